// The daemon's HTTP API: JSON over node:http on loopback by default. Routes map to a `DaemonApi`
// (src/api/daemon-api.ts builds it from the node's services), so this module knows nothing of libp2p or the
// ring. Every request passes the checks of access.ts first (Host, Origin, the bearer token). Bad input answers
// 4xx with `{ error, code }` and never reaches the node; every error's HTTP status comes from its code
// (`HTTP_STATUS`). The server is a service: it makes a new token each start and, once it listens, writes the
// token to the `api-token` file of the data dir and its URL to the `api` file (both mode 0600); it removes
// both when it stops.
import { randomBytes } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import type { Socket } from 'node:net'
import {
  BusyError, ForbiddenHostError, ForbiddenOriginError, InvalidInputError, InvalidMessageError, JoinFailedError, LookupFailedError,
  MethodNotAllowedError, NoSpaceError, NotFoundError, NotOwnerError, QuorumError, QuotaError, RangeNotSatisfiableError,
  RequestTimeoutError, UnauthorizedError, UnreachableError
} from '../errors.js'
import { MAX_LIST, MAX_NAME_BYTES } from '../files/record.js'
import { API_FILE, API_TOKEN_FILE } from '../client/api-url.js'
import { checkOrigin, checkToken, newApiToken, type AccessRules } from './access.js'
import { EventStreams, type EventFeed, type EventStreamOptions } from './event-stream.js'
import { DashboardFiles, sendStatic } from './dashboard.js'
import { Sessions } from './sessions.js'
import type { Service } from '../lifecycle.js'
import type {
  DeleteJson, ErrorJson, FileJson, InviteJson, LeaderJson, ListJson, LocateJson, LoginCodeJson, LookupJson, PutJson, RingJson,
  SessionJson, StatusJson, StorageJson, TrafficJson
} from './types.js'

/** An open file for GET: its description and a byte stream of [offset, offset + length). */
export interface OpenFile {
  file: FileJson
  offset: number
  length: number
  body: AsyncIterable<Uint8Array>
}

export interface ByteRange { start: number, end?: number, suffix?: number }

export interface DaemonApi {
  status (): StatusJson | Promise<StatusJson>
  leader (signal: AbortSignal): Promise<LeaderJson>
  ring (check: boolean, signal: AbortSignal): Promise<RingJson>
  lookup (query: { name: string } | { id: string }, signal: AbortSignal): Promise<LookupJson>
  put (name: string, body: AsyncIterable<Uint8Array>, contentType: string, signal: AbortSignal): Promise<PutJson>
  /** `range` in bytes, end exclusive (`suffix` = the last n bytes); undefined = the whole file. */
  get (name: string, range: ByteRange | undefined, signal: AbortSignal): Promise<OpenFile>
  list (page: { after?: string, limit?: number, prefix?: string }, signal: AbortSignal): Promise<ListJson>
  locate (name: string, signal: AbortSignal): Promise<LocateJson>
  remove (name: string, signal: AbortSignal): Promise<DeleteJson>
  /** Mint an invite (a supernode only; InvalidInputError elsewhere). */
  invite (options: { supernode: boolean, ttlMs?: number }): Promise<InviteJson>
  /** What this node stores (`GET /api/storage`; absent: 404). */
  storage? (signal: AbortSignal): Promise<StorageJson>
  /** The node's events, streamed by `GET /api/events` (absent: 404). */
  readonly events?: EventFeed
  /** Running totals of the node's traffic, sampled every second on the event stream (absent: no `traffic` events). */
  traffic? (): TrafficJson
  /** This node's metrics in Prometheus text format, and that format's content type (`GET /metrics`; absent: 404). */
  metrics? (): Promise<{ contentType: string, text: string }>
}

/** The pieces of `body`, failing with RequestTimeoutError when the next one takes longer than `idleMs`. */
async function * idleBounded (body: AsyncIterator<Uint8Array>, idleMs: number): AsyncGenerator<Uint8Array> {
  try {
    while (true) {
      // Only the wait for the client is timed, not the node's own work on a piece (the consumer's backpressure).
      let timer: NodeJS.Timeout | undefined
      const idle = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new RequestTimeoutError(`the request body paused for more than ${idleMs / 1000} s`)) }, idleMs)
      })
      let next: IteratorResult<Uint8Array>
      try {
        next = await Promise.race([body.next(), idle])
      } finally {
        clearTimeout(timer)
      }
      if (next.done === true) return
      yield next.value
    }
  } finally {
    // Not awaited: a request iterator's return waits for the rest of the body, which may never come.
    body.return?.().catch(() => {})
  }
}

/** The HTTP status of each error code; any other error is a 500. */
export const HTTP_STATUS: Readonly<Record<string, number>> = {
  [InvalidInputError.code]: 400,
  [UnauthorizedError.code]: 401,
  [RequestTimeoutError.code]: 408,
  [ForbiddenHostError.code]: 403,
  [ForbiddenOriginError.code]: 403,
  [NotOwnerError.code]: 403,
  [NotFoundError.code]: 404,
  [MethodNotAllowedError.code]: 405,
  [RangeNotSatisfiableError.code]: 416,
  [UnreachableError.code]: 500,
  [InvalidMessageError.code]: 500,
  [LookupFailedError.code]: 500,
  [BusyError.code]: 503,
  [JoinFailedError.code]: 503,
  [QuorumError.code]: 503,
  [NoSpaceError.code]: 507,
  [QuotaError.code]: 507
}

const HEX_ID = /^[0-9a-f]{64}$/
const REQUEST_TIMEOUT_MS = 30_000
/**
 * An upload's body may pause this long between two pieces, then the request fails (408) and its connection
 * closes: a client that trickles bytes cannot hold a descriptor and a temp file for ever.
 */
export const BODY_IDLE_MS = 15_000
/**
 * Uploads this node takes at once; one more is answered 503 with Retry-After before a byte of it is read. Each
 * waits for a store stream slot (src/files/limits.ts) before it reads its body, so a waiting upload holds a
 * socket and no buffer.
 */
export const MAX_UPLOADS = 128
/** Seconds a client told 503 busy waits before trying again. */
export const BUSY_RETRY_AFTER_S = 2
/** Bytes a GET response may queue for a slow client before the read waits for it. */
const RESPONSE_QUEUE_BYTES = 1024 * 1024

export interface ApiServerInit {
  /** Where to listen (port 0: any free port). */
  host: string
  port: number
  /**
   * A data dir to write the URL and the token to (`<dataDir>/api`, `<dataDir>/api-token`), so client commands
   * find the daemon. Without one the token is only in memory (`ApiServer.token`).
   */
  dataDir?: string
  /** Names (or addresses) a request's `Host` may give besides loopback ones and the listen address (`--api-host`). */
  hosts?: readonly string[]
  /** How long an upload's body may pause (default BODY_IDLE_MS; tests shorten it). */
  bodyIdleMs?: number
  /** Uploads taken at once (default MAX_UPLOADS). */
  maxUploads?: number
  /** The bounds and timings of `GET /api/events` (defaults: event-stream.ts; tests shorten them). */
  eventStreams?: Partial<EventStreamOptions>
}

/** The uploads in progress, and the cap on them. */
class Uploads {
  active = 0
  constructor (readonly max: number) {}

  /** Count one more upload (BusyError when at the cap); call the returned function when it is answered. */
  enter (): () => void {
    if (this.active >= this.max) throw new BusyError(`this node is taking ${this.active} uploads already: try again shortly`)
    this.active++
    let done = false
    return () => { if (!done) { done = true; this.active-- } }
  }
}

/** The HTTP API of one node. */
export class ApiServer implements Service {
  private server?: Server
  private address = ''
  private rules: AccessRules = { token: '', hosts: [] }
  /** The dashboard: its files, and the browser sessions that stand in for the token (a new set each start). */
  private web?: Web
  /** Requests being answered: stop() waits for them after closing their connections. */
  private readonly inflight = new Set<Promise<void>>()

  constructor (private readonly api: DaemonApi, private readonly init: ApiServerInit) {}

  /** The URL it serves at (after start). */
  get url (): string {
    return this.address
  }

  /** The bearer token every request must present; a new one each start (empty before the first). */
  get token (): string {
    return this.rules.token
  }

  async start (): Promise<void> {
    // The listen address is allowed too: it is what the `api` file names (an IP literal, so no rebinding).
    const hosts = [...(this.init.hosts ?? []), this.init.host.replace(/^\[|\]$/g, '')]
    this.rules = { token: newApiToken(), hosts: hosts.map(h => h.toLowerCase()) }
    const rules = this.rules
    const limits: RouteLimits = {
      bodyIdleMs: this.init.bodyIdleMs ?? BODY_IDLE_MS,
      uploads: new Uploads(this.init.maxUploads ?? MAX_UPLOADS),
      events: new EventStreams(this.init.eventStreams)
    }
    const server: Server = createServer((req, res) => {
      const answering = route(this.api, rules, req, res, limits, this.web!)
        .finally(() => { this.inflight.delete(answering) })
      this.inflight.add(answering)
    })
    // No whole-request timeout: an upload of many GiB takes as long as it takes (Node would cut it with 408).
    // Headers must still arrive promptly, and an idle connection is closed.
    server.requestTimeout = 0
    server.headersTimeout = REQUEST_TIMEOUT_MS
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.init.port, this.init.host, () => { server.off('error', reject); resolve() })
    })
    this.server = server
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('the API server has no TCP address')
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    this.address = `http://${host}:${address.port}`
    // Before any request is read (no await since listen): browsers share cookies between a host's ports, so
    // the cookie's name carries the port.
    const sessions = new Sessions({ cookieName: `chord-peer-session-${address.port}` })
    rules.sessions = sessions
    this.web = { sessions, files: new DashboardFiles() }
    if (this.init.dataDir !== undefined) {
      // The token first: a client that finds the URL finds the token beside it.
      await writePrivate(join(this.init.dataDir, API_TOKEN_FILE), rules.token + '\n')
      await writePrivate(join(this.init.dataDir, API_FILE), this.address + '\n')
    }
  }

  async stop (): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server === undefined) return
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
    await Promise.allSettled([...this.inflight])
    if (this.init.dataDir !== undefined) {
      // Only our own URL and token: a second daemon on the same data dir may have written its own since.
      await removeIfHolds(join(this.init.dataDir, API_FILE), this.address)
      await removeIfHolds(join(this.init.dataDir, API_TOKEN_FILE), this.rules.token)
    }
  }
}

/**
 * Write `text` to `file` readable by its owner only: a temp file created with mode 0600, then renamed over
 * `file`, so no one reads a partial file and an old file's looser mode is not kept.
 */
async function writePrivate (file: string, text: string): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  await writeFile(temp, text, { mode: 0o600, flag: 'wx' })
  try {
    await rename(temp, file)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}

async function removeIfHolds (file: string, text: string): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => '')
  if (current.trim() === text) await rm(file, { force: true })
}

interface RouteLimits {
  bodyIdleMs: number
  uploads: Uploads
  /** The open `GET /api/events` streams, and their cap. */
  events: EventStreams
}

/** The dashboard's part of a running server. */
interface Web {
  sessions: Sessions
  files: DashboardFiles
}

/** What a route's handler gets: the request, where to answer, and what is around it. */
export interface RouteContext {
  api: DaemonApi
  req: IncomingMessage
  res: ServerResponse
  url: URL
  method: string
  /** With a prefix route, the path after the prefix (still percent-encoded). */
  rest: string
  /** Aborts when the client goes away. */
  signal: AbortSignal
  /** `signal`, or REQUEST_TIMEOUT_MS passed: for the routes that are not transfers. */
  timed: AbortSignal
  limits: RouteLimits
  web: Web
}

/**
 * One entry of the route table. `path` is exact, or a prefix when it ends in `/` (the rest is, e.g., a file
 * name); `/` itself is exact. `access`: `api` routes need the token (access.ts); `open` ones only pass the Host and Origin checks,
 * for what is no secret.
 */
export interface Route {
  path: string
  methods: readonly string[]
  access: 'api' | 'open'
  handle: (c: RouteContext) => Promise<void>
}

/** Every route of the API, first match wins: the whole HTTP surface in one table. */
export const ROUTES: readonly Route[] = [
  { path: '/api/files/', methods: ['GET', 'HEAD', 'PUT', 'DELETE'], access: 'api', handle: fileRoute },
  {
    path: '/api/locate/',
    methods: ['GET'],
    access: 'api',
    handle: async c => { send(c.res, 200, await c.api.locate(fileName(c.rest), c.signal)) }
  },
  {
    path: '/api/invites',
    methods: ['POST'],
    access: 'api',
    handle: async c => { send(c.res, 201, await c.api.invite(inviteQuery(c.url))) }
  },
  { path: '/api/status', methods: ['GET', 'HEAD'], access: 'api', handle: async c => { send(c.res, 200, await c.api.status()) } },
  {
    path: '/api/traffic',
    methods: ['GET', 'HEAD'],
    access: 'api',
    handle: async c => {
      if (c.api.traffic === undefined) throw new NotFoundError('this node counts no traffic')
      send(c.res, 200, c.api.traffic())
    }
  },
  // Prometheus scrapes here with the token (`authorization` in its scrape config), or the `--metrics` listener without.
  { path: '/metrics', methods: ['GET', 'HEAD'], access: 'api', handle: metricsRoute },
  // Long-lived: bounded by the reader going away, never by REQUEST_TIMEOUT_MS (event-stream.ts).
  {
    path: '/api/events',
    methods: ['GET'],
    access: 'api',
    handle: async c => { await c.limits.events.serve(c.req, c.res, c.url, c.api.events, c.api.traffic?.bind(c.api)) }
  },
  { path: '/api/leader', methods: ['GET', 'HEAD'], access: 'api', handle: async c => { send(c.res, 200, await c.api.leader(c.timed)) } },
  {
    path: '/api/ring',
    methods: ['GET', 'HEAD'],
    access: 'api',
    handle: async c => { send(c.res, 200, await c.api.ring(flag(c.url, 'check'), c.timed)) }
  },
  {
    path: '/api/lookup',
    methods: ['GET', 'HEAD'],
    access: 'api',
    handle: async c => { send(c.res, 200, await c.api.lookup(lookupQuery(c.url), c.timed)) }
  },
  {
    path: '/api/files',
    methods: ['GET', 'HEAD'],
    access: 'api',
    handle: async c => { send(c.res, 200, await c.api.list(listQuery(c.url), c.timed)) }
  },
  {
    path: '/api/storage',
    methods: ['GET', 'HEAD'],
    access: 'api',
    handle: async c => {
      if (c.api.storage === undefined) throw new NotFoundError('this node reports no storage')
      send(c.res, 200, await c.api.storage(c.timed))
    }
  },
  // The dashboard (web/): a token holder mints a login code, the page trades it for a session cookie.
  { path: '/api/login-codes', methods: ['POST'], access: 'api', handle: loginCodeRoute },
  { path: '/api/session', methods: ['GET', 'HEAD', 'POST', 'DELETE'], access: 'open', handle: sessionRoute },
  { path: '/vendor/', methods: ['GET', 'HEAD'], access: 'open', handle: async c => { await staticRoute(c, `vendor/${c.rest}`) } },
  { path: '/web/', methods: ['GET', 'HEAD'], access: 'open', handle: async c => { await staticRoute(c, c.rest) } },
  { path: '/', methods: ['GET', 'HEAD'], access: 'open', handle: async c => { await staticRoute(c, 'index.html') } }
]

/** The route for a path, and the rest of the path after a prefix route's prefix. */
function findRoute (pathname: string): { route: Route, rest: string } | undefined {
  for (const route of ROUTES) {
    if (route.path.endsWith('/') && route.path !== '/' ? pathname.startsWith(route.path) : pathname === route.path) {
      return { route, rest: pathname.slice(route.path.length) }
    }
  }
  return undefined
}

async function route (
  api: DaemonApi, rules: AccessRules, req: IncomingMessage, res: ServerResponse, limits: RouteLimits, web: Web
): Promise<void> {
  // Transfers may run long: they are bounded by the client going away, not by a clock.
  const gone = new AbortController()
  res.on('close', () => { if (!res.writableFinished) gone.abort(new Error('the client went away')) })
  const signal = gone.signal
  try {
    checkOrigin(req, rules)
    const url = new URL(req.url ?? '/', 'http://localhost')
    const found = findRoute(url.pathname)
    // Unknown paths need the token too: their answer says nothing to whoever lacks it.
    if (found?.route.access !== 'open') checkToken(req, rules)
    if (found === undefined) throw new NotFoundError(`no such route: ${url.pathname}`)
    const method = req.method ?? 'GET'
    allow(method, found.route.methods)
    const timed = AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)])
    await found.route.handle({ api, req, res, url, method, rest: found.rest, signal, timed, limits, web })
  } catch (err) {
    const e = err as Error & { code?: string }
    if (res.headersSent) { res.destroy(e); return } // mid-body: all we can do is cut the response
    if (!req.complete) {
      // The request body was not all read (a failed upload): discard the rest so the client reads our answer,
      // and close the connection after it.
      res.setHeader('connection', 'close')
      req.resume()
      lingerAfterAnswer(req.socket)
    }
    const code = typeof e.code === 'string' ? e.code : 'ERR_INTERNAL'
    if (code === UnauthorizedError.code) res.setHeader('www-authenticate', 'Bearer realm="chord-peer"')
    if (code === BusyError.code) res.setHeader('retry-after', String(BUSY_RETRY_AFTER_S))
    const message = code === NoSpaceError.code ? `this node is out of disk space: ${e.message}` : e.message
    send(res, HTTP_STATUS[code] ?? 500, { error: message, code } satisfies ErrorJson)
  }
}

/** A file of the dashboard (dashboard.ts: the page's files and the allow-listed library files). */
async function staticRoute (c: RouteContext, name: string): Promise<void> {
  const file = await c.web.files.get(name)
  sendStatic(c.req, c.res, file, await c.web.files.csp())
}

/** POST /api/login-codes: a one-time code for the dashboard, and the URL that carries it (in the fragment, which no log sees). */
async function loginCodeRoute (c: RouteContext): Promise<void> {
  const { code, expires } = c.web.sessions.mintCode()
  // The Host passed checkOrigin: the name the caller reached this API by, which its browser can reach too.
  send(c.res, 201, { code, url: `http://${c.req.headers.host ?? ''}/#code=${code}`, expires } satisfies LoginCodeJson)
}

/** GET, POST (`{ "code" }`: log in) and DELETE (log out) of /api/session: the browser's dashboard session. */
async function sessionRoute (c: RouteContext): Promise<void> {
  const { sessions } = c.web
  const cookie = c.req.headers.cookie
  if (c.method === 'POST') {
    const body = await smallBody(c.req, 1024)
    let code: unknown
    try {
      code = (JSON.parse(body) as { code?: unknown }).code
    } catch {
      throw new InvalidInputError('send {"code": "<login code>"} as JSON')
    }
    const session = typeof code === 'string' ? sessions.redeem(code) : undefined
    if (session === undefined) {
      throw new UnauthorizedError('this login code is unknown, used or expired: run `chord-peer dashboard` for a new one')
    }
    c.res.setHeader('set-cookie', sessions.cookie(session))
    return send(c.res, 200, { session: true, expires: session.expires } satisfies SessionJson)
  }
  if (c.method === 'DELETE') {
    sessions.end(cookie)
    c.res.setHeader('set-cookie', sessions.clearCookie())
    return send(c.res, 200, { session: false } satisfies SessionJson)
  }
  const expires = sessions.session(cookie)
  send(c.res, 200, (expires === undefined ? { session: false } : { session: true, expires }) satisfies SessionJson)
}

/** A request body of at most `max` bytes, as text (InvalidInputError when longer). */
async function smallBody (req: IncomingMessage, max: number): Promise<string> {
  const pieces: Buffer[] = []
  let length = 0
  for await (const piece of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    length += piece.byteLength
    if (length > max) throw new InvalidInputError(`the request body is longer than ${max} bytes`)
    pieces.push(piece)
  }
  return Buffer.concat(pieces).toString('utf8')
}

/** GET, HEAD, PUT and DELETE of `/api/files/<name>`. */
async function fileRoute (c: RouteContext): Promise<void> {
  const { api, req, res, method, signal, limits } = c
  const name = fileName(c.rest)
  if (method === 'PUT') {
    const done = limits.uploads.enter()
    try {
      const contentType = req.headers['content-type'] ?? 'application/octet-stream'
      // A put that fails stops reading the body; the request must not be destroyed then (the default of a
      // readable's iterator), or the client gets a reset instead of the error. route() drains the rest.
      const body = idleBounded(req.iterator({ destroyOnReturn: false }) as AsyncIterator<Uint8Array>, limits.bodyIdleMs)
      return send(res, 201, await api.put(name, body, contentType, signal))
    } finally {
      done()
    }
  }
  if (method === 'DELETE') return send(res, 200, await api.remove(name, signal))
  const range = parseRange(req.headers.range)
  const open = await api.get(name, range, signal)
  const version = `${open.file.version.time}.${open.file.version.counter}.${open.file.version.writer}`
  const validators = {
    etag: `"${open.file.hash}"`,
    'last-modified': new Date(open.file.modified).toUTCString(),
    'x-chord-peer-version': version
  }
  if (etagMatches(req.headers['if-none-match'], open.file.hash)) {
    // The client has these bytes: no body, whatever the method and the range (RFC 9110 §13.2.2).
    res.writeHead(304, validators)
    res.end()
    return
  }
  if (range !== undefined && open.length === 0) {
    res.writeHead(416, { 'content-range': `bytes */${open.file.size}`, 'content-type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify({
      error: `the range is outside the file (${open.file.size} bytes)`,
      code: RangeNotSatisfiableError.code
    } satisfies ErrorJson) + '\n')
    return
  }
  const headers: Record<string, string | number> = {
    'content-type': open.file.contentType,
    'content-length': open.length,
    'accept-ranges': 'bytes',
    ...validators,
    ...FILE_SAFETY_HEADERS,
    'content-disposition': `attachment; filename*=UTF-8''${encodeExtValue(name)}`
  }
  if (range !== undefined) headers['content-range'] = `bytes ${open.offset}-${open.offset + open.length - 1}/${open.file.size}`
  if (method === 'HEAD') {
    res.writeHead(range === undefined ? 200 : 206, headers)
    res.end()
    return
  }
  // The first piece before the status line: a read that no holder can serve at all answers an error that says
  // why (the route's catch), not a 200 whose body is cut after 0 bytes. Later failures can only cut the body.
  const pieces = open.body[Symbol.asyncIterator]()
  let first: IteratorResult<Uint8Array>
  try {
    first = await pieces.next()
  } catch (err) {
    await pieces.return?.(undefined).catch(() => {})
    throw err
  }
  res.writeHead(range === undefined ? 200 : 206, headers)
  const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => pieces }
  for await (const piece of first.done === true ? [] : prepend(first.value, rest)) {
    // Pieces are as small as the noise messages they arrived in (64 KiB): wait for the client only once a
    // chunk's worth is queued, not after every piece.
    if (!res.write(piece) && res.writableLength >= RESPONSE_QUEUE_BYTES) {
      // Each wait removes what it added: a large file waits hundreds of times on one response.
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => { res.off('close', onClose); resolve() }
        const onClose = (): void => { res.off('drain', onDrain); reject(new Error('the client went away')) }
        res.once('drain', onDrain)
        res.once('close', onClose)
      })
    }
  }
  res.end()
}

/** `head`, then the pieces of `rest`. */
async function * prepend (head: Uint8Array, rest: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield head
  yield * rest
}

/**
 * Served content is someone's bytes, not this API's page: never sniffed into another type, and, if a browser
 * shows it anyway, in a sandbox (no scripts, a unique origin) rather than the API's origin.
 */
const FILE_SAFETY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': 'sandbox'
}

/** Whether an `If-None-Match` list (`*`, or entity tags, weak or strong) names the content hash `hash`. */
function etagMatches (header: string | undefined, hash: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  return header.split(',').some(tag => /^\s*(?:W\/)?"([^"]*)"\s*$/.exec(tag)?.[1] === hash)
}

/** A name as an RFC 8187 `ext-value` (percent-encoded UTF-8; also `'()*`, which encodeURIComponent leaves). */
function encodeExtValue (name: string): string {
  return encodeURIComponent(name).replace(/['()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

function allow (method: string, allowed: readonly string[]): void {
  if (!allowed.includes(method)) throw new MethodNotAllowedError(`${method} is not allowed here (use ${allowed.join(', ')})`)
}

/** A file name from a URL path segment: percent-decoded, any bytes but NUL, at most MAX_NAME_BYTES. */
function fileName (segment: string): string {
  let name: string
  try {
    name = decodeURIComponent(segment)
  } catch {
    throw new InvalidInputError('the file name is not valid percent-encoding')
  }
  if (name === '') throw new InvalidInputError('give a file name: /api/files/<url-encoded name>')
  if (name.includes('\0')) throw new InvalidInputError('the file name contains a NUL byte')
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw new InvalidInputError(`the file name is longer than ${MAX_NAME_BYTES} bytes`)
  return name
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` (one range only); end exclusive in the result. */
function parseRange (header: string | undefined): ByteRange | undefined {
  if (header === undefined) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (m === null || (m[1] === '' && m[2] === '')) throw new RangeNotSatisfiableError(`unsupported Range: ${header} (one range, bytes=a-b)`)
  if (m[1] === '') return { start: -1, suffix: Number(m[2]) }
  const start = Number(m[1])
  const end = m[2] === '' ? undefined : Number(m[2]) + 1
  if (end !== undefined && end <= start) throw new RangeNotSatisfiableError(`empty Range: ${header}`)
  return { start, end }
}

function listQuery (url: URL): { after?: string, limit?: number, prefix?: string } {
  const after = url.searchParams.get('after') ?? undefined
  const prefix = url.searchParams.get('prefix') ?? undefined
  const limitText = url.searchParams.get('limit')
  const limit = limitText === null ? undefined : Number(limitText)
  if (after !== undefined && !HEX_ID.test(after)) throw new InvalidInputError(
    'after must be a 64-hex key (the `next` of the previous page)')
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST)) throw new InvalidInputError(
    `limit must be an integer in [1, ${MAX_LIST}]`)
  if (prefix !== undefined && Buffer.byteLength(prefix) > MAX_NAME_BYTES) throw new InvalidInputError(
    `prefix must be at most ${MAX_NAME_BYTES} bytes (a name's longest)`)
  return { after, limit, ...(prefix !== undefined && prefix !== '' ? { prefix } : {}) }
}

function inviteQuery (url: URL): { supernode: boolean, ttlMs?: number } {
  const ttlText = url.searchParams.get('ttlMs')
  const ttlMs = ttlText === null ? undefined : Number(ttlText)
  if (ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && ttlMs > 0)) {
    throw new InvalidInputError('ttlMs must be a whole number of ms above 0')
  }
  return { supernode: flag(url, 'supernode'), ...(ttlMs !== undefined ? { ttlMs } : {}) }
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
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff'
  })
  res.end(json)
}

/** GET /metrics: the Prometheus text exposition (format 0.0.4). */
async function metricsRoute (c: RouteContext): Promise<void> {
  if (c.api.metrics === undefined) throw new NotFoundError('this node exports no metrics')
  const { contentType, text } = await c.api.metrics()
  c.res.writeHead(200, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff'
  })
  c.res.end(c.method === 'HEAD' ? undefined : text)
}

/** How long a connection whose upload was refused may go on draining after the answer before it is cut. */
const LINGER_MS = 2_000

/**
 * Close in stages (RFC 9112 §9.6): an answer to an upload the client is still sending, followed by an
 * immediate close, makes our TCP stack reset the connection when the client's next bytes arrive, and the reset
 * can destroy the answer before the client reads it. So: send the answer and FIN, keep discarding the body,
 * and close once the client does (it stops sending when it reads the answer) or after LINGER_MS. Node's server
 * closes a `connection: close` response's socket with `destroySoon`, which this socket's override replaces.
 */
function lingerAfterAnswer (socket: Socket): void {
  socket.destroySoon = function (this: Socket) {
    if (this.writable) this.end()
    const cut = setTimeout(() => { this.destroy() }, LINGER_MS)
    cut.unref()
    this.once('close', () => { clearTimeout(cut) })
    this.once('end', () => { this.destroy() })
  }
}
