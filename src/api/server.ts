// The daemon's HTTP API: JSON over node:http on loopback by default. Routes map to a `DaemonApi` the composition
// root implements, so this module knows nothing of libp2p or the ring's internals. Bad input answers 4xx with
// `{ error, code }` and never reaches the node.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { InvalidInputError, NotFoundError } from '../errors.js'
import type { ErrorJson, LookupJson, RingJson, StatusJson } from './types.js'

export interface DaemonApi {
  status (): StatusJson
  ring (check: boolean, signal: AbortSignal): Promise<RingJson>
  lookup (query: { name: string } | { id: string }, signal: AbortSignal): Promise<LookupJson>
}

export interface ApiServer {
  readonly url: string
  close (): Promise<void>
}

const HEX_ID = /^[0-9a-f]{64}$/
export const MAX_NAME_BYTES = 1024
const REQUEST_TIMEOUT_MS = 30_000

/** Listen on `host:port` (port 0 = any) and serve the API. */
export async function startApiServer (api: DaemonApi, listen: { host: string, port: number }): Promise<ApiServer> {
  const server: Server = createServer((req, res) => { void route(api, req, res) })
  server.requestTimeout = REQUEST_TIMEOUT_MS
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(listen.port, listen.host, () => { server.off('error', reject); resolve() })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the API server has no TCP address')
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

async function route (api: DaemonApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  try {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: `${req.method ?? '?'} is not allowed here`, code: 'ERR_METHOD_NOT_ALLOWED' })
    switch (url.pathname) {
      case '/api/status': return send(res, 200, api.status())
      case '/api/ring': return send(res, 200, await api.ring(flag(url, 'check'), signal))
      case '/api/lookup': return send(res, 200, await api.lookup(lookupQuery(url), signal))
      default: throw new NotFoundError(`no such route: ${url.pathname}`)
    }
  } catch (err) {
    const e = err as Error & { code?: string }
    const status = e instanceof InvalidInputError ? 400 : e instanceof NotFoundError ? 404 : 500
    send(res, status, { error: e.message, code: e.code ?? 'ERR_INTERNAL' } satisfies ErrorJson)
  }
}

function flag (url: URL, name: string): boolean {
  const v = url.searchParams.get(name)
  return v !== null && v !== '0' && v !== 'false'
}

function lookupQuery (url: URL): { name: string } | { id: string } {
  const name = url.searchParams.get('key') ?? url.searchParams.get('name')
  const id = url.searchParams.get('id')
  if (id !== null) {
    if (!HEX_ID.test(id.toLowerCase())) throw new InvalidInputError('id must be 64 hex digits (a 256-bit ring point)')
    return { id: id.toLowerCase() }
  }
  if (name === null || name === '') throw new InvalidInputError('give ?key=<name> or ?id=<64 hex digits>')
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw new InvalidInputError(`name longer than ${MAX_NAME_BYTES} bytes`)
  return { name }
}

function send (res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body, null, 2) + '\n'
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json), 'cache-control': 'no-store' })
  res.end(json)
}
