// The daemon's file routes for the stub daemon (cli.ts): files kept in a Map, hashed here with SHA-256, in
// the shapes of src/api/types.ts. Hooks let a test tamper with the etag, hold a download half-way, or watch
// an upload arrive chunk by chunk.
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { NODE_A, NODE_B, NODE_C, PEER_A } from './cli-fixtures.js'
import type { DeleteJson, ErrorJson, FileJson, ListJson, LocateJson, PutJson } from '../../src/api/types.js'

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex')

export interface StoredFile {
  record: FileJson
  content: Buffer
}

export interface FileCall {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
}

export interface FileStoreHooks {
  /** The etag to send for a file (default: its SHA-256). */
  etag?: (file: StoredFile) => string
  /** Awaited after half of a GET body was sent. */
  holdGet?: () => Promise<void>
}

/** What PUT answers and locate reports. */
export const HOLDERS = [NODE_C, NODE_A]
export const K = 3
/** Files per page when the request gives no limit. */
export const DEFAULT_LIMIT = 100
const SEND_CHUNK = 64 * 1024

export class FileStore {
  readonly files = new Map<string, StoredFile>()
  readonly calls: FileCall[] = []
  /** Bytes of PUT bodies received so far, across requests. */
  bytesReceived = 0
  private counter = 0
  private waiters: Array<() => void> = []

  constructor (readonly hooks: FileStoreHooks = {}) {}

  /** Store a file directly, as if it had been put. */
  add (name: string, content: Uint8Array | string, contentType = 'application/octet-stream'): StoredFile {
    const bytes = Buffer.from(content)
    const now = Date.UTC(2024, 4, 1, 12, 34) + this.counter * 60_000
    const previous = this.files.get(name)
    const file: StoredFile = {
      content: bytes,
      record: {
        name,
        key: sha256(name),
        size: bytes.length,
        hash: sha256(bytes),
        contentType,
        version: { time: now, counter: this.counter++, writer: PEER_A },
        created: previous?.record.created ?? now,
        modified: now
      }
    }
    this.files.set(name, file)
    return file
  }

  /** Resolves once PUT bodies have brought at least `bytes` (event-driven, with a deadline). */
  async waitForBytes (bytes: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.bytesReceived < bytes) {
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error(`timed out waiting for ${bytes} bytes, got ${this.bytesReceived}`)
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, remaining)
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }

  /** Serve a file route; false when the path is not one (the stub then tries its JSON routes). */
  handle (req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const method = req.method ?? 'GET'
    const path = url.pathname
    let name: string | undefined
    if (path.startsWith('/api/files/')) name = decodeURIComponent(path.slice('/api/files/'.length))
    else if (path.startsWith('/api/locate/')) name = decodeURIComponent(path.slice('/api/locate/'.length))
    else if (path !== '/api/files') return false
    this.calls.push({ method, path, query: url.searchParams, headers: req.headers })

    const run = async (): Promise<void> => {
      if (path === '/api/files' && method === 'GET') return this.list(res, url)
      if (name == null) return fail(res, 405, 'method not allowed', 'ERR_METHOD_NOT_ALLOWED')
      if (path.startsWith('/api/locate/')) return json(res, 200, this.locate(name))
      if (method === 'PUT') return this.put(req, res, name)
      if (method === 'GET' || method === 'HEAD') return this.get(req, res, name)
      if (method === 'DELETE') return this.delete(res, name)
      return fail(res, 405, 'method not allowed', 'ERR_METHOD_NOT_ALLOWED')
    }
    run().catch(err => { res.destroy(err as Error) })
    return true
  }

  private async put (req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req as AsyncIterable<Buffer>) {
      chunks.push(chunk)
      this.bytesReceived += chunk.length
      for (const wake of this.waiters.splice(0)) wake()
    }
    const file = this.add(name, Buffer.concat(chunks), req.headers['content-type'] ?? 'application/octet-stream')
    json(res, 201, { file: file.record, holders: HOLDERS, k: K, ms: 7 } satisfies PutJson)
  }

  private async get (req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const file = this.files.get(name)
    if (file == null) {
      if (req.method === 'HEAD') { res.writeHead(404).end(); return }
      return fail(res, 404, `no such file: ${name}`, 'ERR_NOT_FOUND')
    }
    const size = file.content.length
    let start = 0
    let end = size - 1
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
    if (range != null) {
      start = Number(range[1])
      end = range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1)
    }
    const v = file.record.version
    res.writeHead(range != null ? 206 : 200, {
      'content-type': file.record.contentType,
      'content-length': end - start + 1,
      etag: `"${this.hooks.etag?.(file) ?? file.record.hash}"`,
      'x-chord-peer-version': `${v.time}.${v.counter}.${v.writer}`,
      ...(range != null ? { 'content-range': `bytes ${start}-${end}/${size}` } : {})
    })
    if (req.method === 'HEAD') { res.end(); return }
    const body = file.content.subarray(start, end + 1)
    const half = Math.floor(body.length / 2)
    for (let offset = 0; offset < body.length; offset += SEND_CHUNK) {
      if (this.hooks.holdGet != null && offset <= half && offset + SEND_CHUNK > half) await this.hooks.holdGet()
      if (!res.write(body.subarray(offset, offset + SEND_CHUNK))) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = (): void => { res.off('close', onClose); resolve() }
          const onClose = (): void => { res.off('drain', onDrain); reject(new Error('closed')) }
          res.once('drain', onDrain)
          res.once('close', onClose)
        })
      }
    }
    res.end()
  }

  private list (res: ServerResponse, url: URL): void {
    const limit = Number(url.searchParams.get('limit') ?? DEFAULT_LIMIT)
    const after = url.searchParams.get('after')
    const sorted = [...this.files.values()].map(f => f.record).sort((a, b) => a.key < b.key ? -1 : 1)
    const rest = after == null ? sorted : sorted.filter(f => f.key > after)
    const page: ListJson = { files: rest.slice(0, limit) }
    if (rest.length > limit) page.next = page.files[page.files.length - 1].key
    json(res, 200, page)
  }

  /** Placement C, A, B: C and A hold the file, B answers that it does not, with an error. */
  locate (name: string): LocateJson {
    const file = this.files.get(name)
    const result: LocateJson = {
      name,
      key: sha256(name),
      placement: [NODE_C, NODE_A, NODE_B],
      holders: [
        { node: NODE_C, has: file != null, version: file?.record.version },
        { node: NODE_A, has: file != null, version: file?.record.version },
        { node: NODE_B, has: false, error: 'dial timeout' }
      ],
      hops: 2
    }
    if (file != null) result.file = file.record
    return result
  }

  private delete (res: ServerResponse, name: string): void {
    const file = this.files.get(name)
    if (file == null) return fail(res, 404, `no such file: ${name}`, 'ERR_NOT_FOUND')
    this.files.delete(name)
    const version = { time: file.record.version.time + 1, counter: this.counter++, writer: PEER_A }
    json(res, 200, { name, key: file.record.key, version, holders: HOLDERS } satisfies DeleteJson)
  }
}

function json (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function fail (res: ServerResponse, status: number, error: string, code: string): void {
  json(res, status, { error, code } satisfies ErrorJson)
}
