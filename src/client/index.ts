// HTTP client of one daemon's API (src/api). Returns the JSON shapes of src/api/types.ts and maps failures to
// named errors: an error answer → ApiError (with the daemon's code and the HTTP status), no answer →
// DaemonUnreachableError naming the URL. Every call takes an AbortSignal and has a default timeout; file
// transfers stream both ways (never a whole file in memory) and their timeout is an idle timeout, so a large
// file may take as long as it needs while a stalled one fails. A put's body goes through node:http (upload.ts),
// every other call through fetch.
import { ApiError, DaemonUnreachableError, InvalidInputError, InvalidMessageError } from '../errors.js'
import { upload, type Answer, type UploadInit } from './upload.js'
import { SseParser, type SseMessage } from './sse.js'
import type {
  DeleteJson, ErrorJson, InviteJson, LeaderJson, ListJson, LocateJson, LoginCodeJson, LookupJson, NodeEventJson, PutJson, RingJson,
  StatusJson, TrafficJson
} from '../api/types.js'

export { API_FILE, API_TOKEN_FILE, normalizeApiUrl, parseHostPort, readApiTokenFile, readApiUrlFile } from './api-url.js'
export type { HostPort } from './api-url.js'

export interface CallOptions {
  signal?: AbortSignal
}

export interface InviteOptions extends CallOptions {
  /** An invite to join as a supernode (default: as a peer of an invite-only ring). */
  supernode?: boolean
  /** How long it is valid, ms (the daemon's default: an hour). */
  ttlMs?: number
}

export interface RingOptions extends CallOptions {
  /** Ask the daemon to check the ring invariants too (slower: it walks the ring). */
  check?: boolean
}

/** A file name (the daemon hashes it with SHA-256) or a raw 256-bit key in hex. */
export type LookupOptions = CallOptions & ({ name: string, id?: undefined } | { id: string, name?: undefined })

/** A file's content as a stream of chunks: an fs.ReadStream, stdin, a generator, or a web ReadableStream. */
export type ByteSource = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>

export interface PutOptions extends CallOptions {
  /** Bytes in the body, sent as content-length when known (the daemon can then refuse early and check the end). */
  size?: number
  /** Default: guessed from the name's extension, else application/octet-stream. */
  contentType?: string
  /** Called with the bytes handed to the connection so far, as they go. */
  onProgress?: (bytesSent: number) => void
}

export interface GetOptions extends CallOptions {
  /** Only these bytes (inclusive, as in HTTP `Range: bytes=start-end`; no end = to the end of the file). */
  range?: { start: number, end?: number }
}

/** What the headers of a GET/HEAD answer say about the file. */
export interface FileInfo {
  /** Bytes in this answer (content-length); undefined when the daemon did not say. */
  size?: number
  /** Size of the whole file: from content-range on a partial answer, else `size`. */
  totalSize?: number
  /** SHA-256 of the whole content (the etag), 64 hex digits; undefined when the daemon sent no etag. */
  hash?: string
  contentType?: string
  /** The `x-chord-peer-version` header as sent. */
  version?: string
  /** Present on a 206 answer: the bytes this body holds, inclusive. */
  range?: { start: number, end: number }
}

export interface GetResult {
  info: FileInfo
  /** The content, streamed. Iterate it to the end (or break out) so the connection is released. */
  body: AsyncIterable<Uint8Array>
}

export interface ListOptions extends CallOptions {
  /** Files per page (the daemon has its own default and maximum). */
  limit?: number
  /** The `next` of the previous page. */
  after?: string
  /**
   * Only names that start with this. A page may then hold fewer than `limit` files, even none, and still have a
   * `next`: the daemon bounds the work of one page (protocols/README.md §10.7).
   */
  prefix?: string
}

export interface EventsOptions extends CallOptions {
  /** Begin after this event (its `seq`): the daemon sends what it holds after it. Default: its last 50 or so. */
  lastEventId?: string
  /** Called with each `traffic` sample (every second); without it they are dropped. */
  onTraffic?: (traffic: TrafficJson) => void
  /**
   * Told when the stream dropped and the client is about to connect again (`error`, and the how-many-th try), and
   * when it is back (`error` undefined). Without `reconnect` the drop is thrown instead.
   */
  onReconnect?: (state: { error?: Error, attempt: number }) => void
  /** Connect again after a drop, resuming after the last event read (default true). A first connection that fails throws. */
  reconnect?: boolean
  /** A stream silent this long (not even the daemon's heartbeat every 15 s) counts as dropped. Default 45000 ms. */
  idleMs?: number
}

/** A stream is dropped after this long without a byte: three of the daemon's heartbeats. */
const EVENTS_IDLE_MS = 45_000
/** The longest wait between two tries to connect again. */
const EVENTS_MAX_RETRY_MS = 30_000

/** What the CLI commands need from a daemon; ApiClient implements it, tests may stub it. */
export interface DaemonClient {
  readonly url: string
  status (options?: CallOptions): Promise<StatusJson>
  leader (options?: CallOptions): Promise<LeaderJson>
  invite (options?: InviteOptions): Promise<InviteJson>
  loginCode (options?: CallOptions): Promise<LoginCodeJson>
  events (options?: EventsOptions): AsyncGenerator<NodeEventJson>
  ring (options?: RingOptions): Promise<RingJson>
  lookup (options: LookupOptions): Promise<LookupJson>
  put (name: string, body: ByteSource, options?: PutOptions): Promise<PutJson>
  get (name: string, options?: GetOptions): Promise<GetResult>
  head (name: string, options?: CallOptions): Promise<FileInfo>
  list (options?: ListOptions): Promise<ListJson>
  locate (name: string, options?: CallOptions): Promise<LocateJson>
  delete (name: string, options?: CallOptions): Promise<DeleteJson>
}

export interface ApiClientInit {
  /** Origin of the daemon's API, e.g. http://127.0.0.1:4001 (normalised; host:port is accepted). */
  url: string
  /**
   * Abort a call that gets no answer in this time. Default 30000 ms (a lookup may walk many hops). For file
   * transfers it bounds each wait (for the daemon to take more bytes, send more bytes, or answer), not the
   * whole transfer.
   */
  timeoutMs?: number
  /**
   * The fetch to use. Default: the global fetch, and node:http for a put's body (fetch keeps a streamed body
   * in memory until the answer). A fetch given here carries the put too: whoever passes one owns the transport.
   */
  fetch?: typeof fetch
  /**
   * The daemon's API token, sent as `Authorization: Bearer <token>` (the daemon writes it to
   * `<data-dir>/api-token`). Without it the daemon answers 401.
   */
  token?: string
}

const DEFAULT_TIMEOUT_MS = 30_000

/** Socket-level error codes that mean "nobody is answering there" rather than "the daemon failed". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'
])

export class ApiClient implements DaemonClient {
  readonly url: string
  private readonly timeoutMs: number
  private readonly fetch: typeof fetch
  /** The fetch the caller gave, which then sends put bodies too; undefined: they go through node:http. */
  private readonly givenFetch?: typeof fetch
  private readonly auth: Record<string, string>

  constructor (init: ApiClientInit | string) {
    const options = typeof init === 'string' ? { url: init } : init
    this.url = options.url.replace(/\/+$/, '')
    if (!/^https?:\/\//.test(this.url)) this.url = `http://${this.url}`
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.fetch = options.fetch ?? globalThis.fetch
    this.givenFetch = options.fetch
    this.auth = options.token == null ? {} : { authorization: `Bearer ${options.token}` }
  }

  /** GET /api/status */
  async status (options: CallOptions = {}): Promise<StatusJson> {
    return this.json<StatusJson>('GET', '/api/status', {}, options.signal)
  }

  /** GET /api/leader */
  async leader (options: CallOptions = {}): Promise<LeaderJson> {
    return this.json<LeaderJson>('GET', '/api/leader', {}, options.signal)
  }

  /** POST /api/invites: an invite the daemon (a supernode) mints. */
  async invite (options: InviteOptions = {}): Promise<InviteJson> {
    const query: Record<string, string> = {}
    if (options.supernode === true) query.supernode = '1'
    if (options.ttlMs != null) query.ttlMs = String(options.ttlMs)
    return this.json<InviteJson>('POST', '/api/invites', query, options.signal)
  }

  /** POST /api/login-codes: a one-time code (and the URL carrying it) that logs a browser in to the dashboard. */
  async loginCode (options: CallOptions = {}): Promise<LoginCodeJson> {
    return this.json<LoginCodeJson>('POST', '/api/login-codes', {}, options.signal)
  }

  /** GET /api/ring[?check=1] */
  async ring (options: RingOptions = {}): Promise<RingJson> {
    return this.json<RingJson>('GET', '/api/ring', options.check === true ? { check: '1' } : {}, options.signal)
  }

  /** GET /api/lookup?key=<name> or ?id=<hex> */
  async lookup (options: LookupOptions): Promise<LookupJson> {
    const query: Record<string, string> = options.id != null ? { id: options.id } : { key: options.name }
    return this.json<LookupJson>('GET', '/api/lookup', query, options.signal)
  }

  /** GET /api/files?limit=N&after=<key>&prefix=<p>: one page of the ring's files in key order. */
  async list (options: ListOptions = {}): Promise<ListJson> {
    const query: Record<string, string> = {}
    if (options.limit != null) query.limit = String(options.limit)
    if (options.after != null) query.after = options.after
    if (options.prefix != null && options.prefix !== '') query.prefix = options.prefix
    return this.json<ListJson>('GET', '/api/files', query, options.signal)
  }

  /** GET /api/locate/<name>: where a name should live and which of those nodes hold it. */
  async locate (name: string, options: CallOptions = {}): Promise<LocateJson> {
    return this.json<LocateJson>('GET', `/api/locate/${encodeName(name)}`, {}, options.signal)
  }

  /** DELETE /api/files/<name>: writes a tombstone version. */
  async delete (name: string, options: CallOptions = {}): Promise<DeleteJson> {
    return this.json<DeleteJson>('DELETE', `/api/files/${encodeName(name)}`, {}, options.signal)
  }

  /**
   * PUT /api/files/<name> with `body` streamed as it is read (backpressure from the connection reaches the
   * source). Resolves once the daemon answered, i.e. the write quorum has the file. An answer the daemon gives
   * before it has read the whole body (401, 413, 503, 507…) is the error thrown, and the source is read no
   * further.
   */
  async put (name: string, body: ByteSource, options: PutOptions = {}): Promise<PutJson> {
    const path = `/api/files/${encodeName(name)}`
    const headers: Record<string, string> = {
      ...this.auth,
      accept: 'application/json',
      'content-type': options.contentType ?? guessContentType(name)
    }
    if (options.size != null) headers['content-length'] = String(options.size)
    const idle = new IdleTimeout(this.timeoutMs)
    const signal = options.signal == null ? idle.signal : AbortSignal.any([options.signal, idle.signal])
    const init: UploadInit = { method: 'PUT', headers, body, signal, idle, onProgress: options.onProgress }
    // Connecting is a wait on the daemon.
    idle.restart()
    try {
      let answer: Answer
      try {
        const url = new URL(path, this.url)
        answer = this.givenFetch == null ? await upload(url, init) : await fetchUpload(this.givenFetch, url, init)
      } catch (err) {
        throw this.mapFetchError(err, idle.signal, options.signal)
      }
      return this.answerJson<PutJson>(answer, path)
    } finally {
      idle.clear()
    }
  }

  /** GET /api/files/<name>: the headers, and the content as a stream. */
  async get (name: string, options: GetOptions = {}): Promise<GetResult> {
    const headers: Record<string, string> = { ...this.auth, 'accept-encoding': 'identity' }
    if (options.range != null) headers.range = rangeHeader(options.range)
    const idle = new IdleTimeout(this.timeoutMs)
    const signal = options.signal == null ? idle.signal : AbortSignal.any([options.signal, idle.signal])
    idle.restart()
    let response: Response
    try {
      response = await this.fetch(new URL(`/api/files/${encodeName(name)}`, this.url), { headers, signal })
    } catch (err) {
      idle.clear()
      throw this.mapFetchError(err, idle.signal, options.signal)
    }
    if (!response.ok) {
      let text: string
      try {
        text = await response.text()
      } catch (err) {
        throw this.mapFetchError(err, idle.signal, options.signal)
      } finally {
        idle.clear()
      }
      throw errorFrom(response, text)
    }
    idle.clear()
    const info = fileInfo(response)
    // The body keeps `response` alive until it is read: fetch cancels the stream of a Response that is garbage
    // collected before anything locked its body, and the body then reads as an empty, finished stream.
    return { info, body: response.body == null ? empty() : this.guardBody(response, idle, options.signal) }
  }

  /** HEAD /api/files/<name>: what a get would say, without the content. */
  async head (name: string, options: CallOptions = {}): Promise<FileInfo> {
    const timeout = AbortSignal.timeout(this.timeoutMs)
    const signal = options.signal == null ? timeout : AbortSignal.any([options.signal, timeout])
    let response: Response
    try {
      response = await this.fetch(new URL(`/api/files/${encodeName(name)}`, this.url), { method: 'HEAD', headers: this.auth, signal })
    } catch (err) {
      throw this.mapFetchError(err, timeout, options.signal)
    }
    // A HEAD answer has no body to carry the daemon's code: name the common ones ourselves.
    if (response.status === 404) throw new ApiError(`no such file: ${name}`, { status: 404, code: 'ERR_NOT_FOUND' })
    if (response.status === 401) throw new ApiError('the API token is missing or wrong', { status: 401, code: 'ERR_UNAUTHORIZED' })
    if (!response.ok) throw errorFrom(response, '')
    return fileInfo(response)
  }

  /**
   * GET /api/events: the node's events as they happen, beginning with some it holds from before (or those after
   * `lastEventId`). A dropped stream is connected again after the wait the daemon asks for (`retry:`, doubling
   * while it keeps failing), with the last event's id as Last-Event-ID, so nothing is missed or repeated while the
   * daemon holds it; until `signal` aborts. An error answer (401, 404, 503 busy) or a first connection that fails
   * is thrown.
   */
  async * events (options: EventsOptions = {}): AsyncGenerator<NodeEventJson> {
    const parser = new SseParser()
    parser.lastEventId = options.lastEventId ?? ''
    let attempt = 0
    for (;;) {
      let connected = false
      try {
        for await (const message of this.eventStream(parser, options, () => {
          connected = true
          if (attempt > 0) options.onReconnect?.({ attempt })
          attempt = 0
        })) {
          if (message.event === 'traffic') {
            if (options.onTraffic !== undefined) options.onTraffic(parseJson(message.data) as TrafficJson)
            continue
          }
          const event = parseJson(message.data) as NodeEventJson | undefined
          if (typeof event?.type !== 'string' || typeof event.seq !== 'number') {
            throw new InvalidMessageError(`the daemon at ${this.url} sent an event that is not one: ${message.data.slice(0, 80)}`)
          }
          yield event
        }
        throw new DaemonUnreachableError(`the daemon at ${this.url} ended the event stream`, { url: this.url })
      } catch (err) {
        if (options.signal?.aborted === true) throw options.signal.reason ?? err
        // Nothing to come back to (never connected), or an answer that says no (but for a busy daemon's 503): say
        // so rather than retry.
        const refused = (err instanceof ApiError && err.status !== 503) || err instanceof InvalidMessageError
        if (options.reconnect === false || refused || (!connected && attempt === 0)) throw err
        attempt++
        options.onReconnect?.({ error: err as Error, attempt })
        const wait = Math.min((parser.retry ?? 2_000) * 2 ** Math.min(attempt - 1, 10), EVENTS_MAX_RETRY_MS)
        await sleepFor(wait, options.signal)
      }
    }
  }

  /** One connection of `events`: the messages it brings, until it ends or fails. */
  private async * eventStream (
    parser: SseParser, options: EventsOptions, onOpen: () => void
  ): AsyncGenerator<SseMessage> {
    const idle = new IdleTimeout(options.idleMs ?? EVENTS_IDLE_MS)
    const signal = options.signal == null ? idle.signal : AbortSignal.any([options.signal, idle.signal])
    const headers: Record<string, string> = { ...this.auth, accept: 'text/event-stream' }
    if (parser.lastEventId !== '') headers['last-event-id'] = parser.lastEventId
    idle.restart()
    let response: Response
    try {
      response = await this.fetch(new URL('/api/events', this.url), { headers, signal })
    } catch (err) {
      idle.clear()
      throw this.mapFetchError(err, idle.signal, options.signal)
    }
    if (!response.ok) {
      let text = ''
      try {
        text = await response.text()
      } catch {
        // the status says enough
      } finally {
        idle.clear()
      }
      throw errorFrom({ status: response.status, statusText: response.statusText, retryAfter: response.headers.get('retry-after') }, text)
    }
    onOpen()
    const body = response.body
    if (body == null) return
    const reader = body.getReader()
    try {
      for (;;) {
        idle.restart()
        let chunk: Awaited<ReturnType<typeof reader.read>>
        try {
          chunk = await reader.read()
        } catch (err) {
          throw this.mapFetchError(err, idle.signal, options.signal)
        } finally {
          idle.clear()
        }
        if (chunk.done) return
        yield * parser.push(chunk.value)
      }
    } finally {
      idle.clear()
      await reader.cancel().catch(() => {})
    }
  }

  /** The response's body, each wait for the next chunk bounded by the idle timeout (`response` has one). */
  private async * guardBody (response: Response, idle: IdleTimeout, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    const reader = response.body!.getReader()
    let done = false
    try {
      for (;;) {
        idle.restart()
        let chunk: Awaited<ReturnType<typeof reader.read>>
        try {
          chunk = await reader.read()
        } catch (err) {
          done = true
          throw this.mapFetchError(err, idle.signal, signal)
        } finally {
          // Only the wait for the network counts: a slow consumer is not a stalled daemon.
          idle.clear()
        }
        if (chunk.done) {
          done = true
          return
        }
        yield chunk.value
      }
    } finally {
      if (!done) await reader.cancel().catch(() => {})
      reader.releaseLock()
    }
  }

  private async json<T> (method: string, path: string, query: Record<string, string>, signal?: AbortSignal): Promise<T> {
    const url = new URL(path, this.url)
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value)
    const timeout = AbortSignal.timeout(this.timeoutMs)
    const combined = signal == null ? timeout : AbortSignal.any([signal, timeout])

    let response: Response
    try {
      response = await this.fetch(url, { method, headers: { ...this.auth, accept: 'application/json' }, signal: combined })
    } catch (err) {
      throw this.mapFetchError(err, timeout, signal)
    }
    return this.readJson<T>(response, path, timeout, signal)
  }

  /** The JSON body of an answer, or the ApiError it stands for. */
  private async readJson<T> (response: Response, path: string, timeout: AbortSignal, signal?: AbortSignal): Promise<T> {
    let text: string
    try {
      text = await response.text()
    } catch (err) {
      throw this.mapFetchError(err, timeout, signal)
    }
    const retryAfter = response.headers.get('retry-after') ?? undefined
    return this.answerJson<T>({
      status: response.status, statusText: response.statusText, ok: response.ok, text, ...(retryAfter !== undefined ? { retryAfter } : {})
    }, path)
  }

  private answerJson<T> (answer: Answer, path: string): T {
    const { text } = answer
    if (!answer.ok) throw errorFrom(answer, text)
    const body = parseJson(text)
    if (body === undefined) {
      throw new InvalidMessageError(`the daemon at ${this.url} answered ${path} with a body that is not JSON`)
    }
    return body as T
  }

  private mapFetchError (err: unknown, timeout: AbortSignal, signal?: AbortSignal): unknown {
    // The caller's own abort is not our failure to report: pass it through untouched.
    if (signal?.aborted === true) return signal.reason ?? err
    if (timeout.aborted) {
      return new DaemonUnreachableError(
        `the daemon at ${this.url} did not answer within ${this.timeoutMs} ms`, { url: this.url }, { cause: err })
    }
    if (causeMessage(err) === 'bad port') {
      // fetch refuses the ports browsers block (6000, 6665-6669, 10080…) before it even dials.
      return new DaemonUnreachableError(
        `fetch refuses to connect to ${this.url}: the port is on fetch's blocked list; serve the API on another port`,
        { url: this.url }, { cause: err })
    }
    if (isUnreachable(err)) {
      return new DaemonUnreachableError(
        `cannot reach the daemon at ${this.url}: is the daemon running? start it again with the flags and --data-dir it had`,
        { url: this.url }, { cause: err })
    }
    return err
  }
}

/** Undici reports socket failures as `TypeError: fetch failed` with the system error (or an AggregateError) as cause. */
function isUnreachable (err: unknown): boolean {
  const seen = new Set<unknown>()
  let current: unknown = err
  while (current != null && typeof current === 'object' && !seen.has(current)) {
    seen.add(current)
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true
    const errors = (current as { errors?: unknown }).errors
    if (Array.isArray(errors) && errors.some(isUnreachable)) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

function causeMessage (err: unknown): string | undefined {
  const cause = (err as { cause?: unknown } | undefined)?.cause
  return cause instanceof Error ? cause.message : undefined
}

function parseJson (text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The ApiError an error answer stands for: the daemon's ErrorJson when there is one, else the status line. */
function errorFrom (response: { status: number, statusText: string, retryAfter?: string | null }, text: string): ApiError {
  const error = parseJson(text) as Partial<ErrorJson> | undefined
  const message = typeof error?.error === 'string' && error.error !== ''
    ? error.error
    : `${response.status} ${response.statusText}`.trim()
  const retryAfterS = /^\d{1,5}$/.test(response.retryAfter ?? '') ? Number(response.retryAfter) : undefined
  return new ApiError(message, {
    status: response.status, code: typeof error?.code === 'string' ? error.code : undefined, retryAfterS
  })
}

/**
 * A name as one URL path segment. `.` and `..` cannot be one: URL parsing resolves them (even as %2E), so the
 * request would reach another route.
 */
export function encodeName (name: string): string {
  if (name === '' || name === '.' || name === '..') {
    throw new InvalidInputError(`a file name cannot be ${name === '' ? 'empty' : `"${name}"`}`)
  }
  return encodeURIComponent(name)
}

function rangeHeader (range: { start: number, end?: number }): string {
  const ok = Number.isSafeInteger(range.start) && range.start >= 0 &&
    (range.end == null || (Number.isSafeInteger(range.end) && range.end >= range.start))
  if (!ok) throw new InvalidInputError(`bad byte range ${range.start}-${range.end ?? ''}`)
  return `bytes=${range.start}-${range.end ?? ''}`
}

function fileInfo (response: Response): FileInfo {
  const info: FileInfo = {}
  const length = integerHeader(response.headers.get('content-length'))
  if (length != null) info.size = length
  info.totalSize = length
  const contentRange = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '')
  if (response.status === 206 && contentRange != null) {
    info.range = { start: Number(contentRange[1]), end: Number(contentRange[2]) }
    info.totalSize = contentRange[3] === '*' ? undefined : Number(contentRange[3])
  }
  if (info.totalSize == null) delete info.totalSize
  // An etag is quoted, maybe weak (W/"…"); the hash is what is inside.
  const etag = /^(?:W\/)?"?([^"]*)"?$/.exec(response.headers.get('etag') ?? '')?.[1]
  if (etag != null && etag !== '') info.hash = etag.toLowerCase()
  const contentType = response.headers.get('content-type')
  if (contentType != null) info.contentType = contentType
  const version = response.headers.get('x-chord-peer-version')
  if (version != null) info.version = version
  return info
}

function integerHeader (value: string | null): number | undefined {
  return value != null && /^\d+$/.test(value) ? Number(value) : undefined
}

async function * empty (): AsyncGenerator<Uint8Array> {}

/**
 * A put through the fetch the caller gave (ApiClientInit.fetch), with upload()'s timeout and progress
 * semantics. Memory then depends on that fetch: the global one keeps the whole streamed body until the answer.
 */
async function fetchUpload (fetcher: typeof fetch, url: URL, init: UploadInit): Promise<Answer> {
  const { idle } = init
  let sent = 0
  const stream = pullStream(init.body, {
    // Waiting for the source (a slow pipe into stdin) is not the daemon stalling.
    onPull: () => { idle.clear() },
    onChunk: bytes => {
      idle.restart()
      sent += bytes
      init.onProgress?.(sent)
    },
    // All bytes handed over: from now on the timeout bounds the wait for the daemon's answer.
    onEnd: () => { idle.restart() }
  })
  const response = await fetcher(url, { method: init.method, headers: init.headers, body: stream, duplex: 'half', signal: init.signal })
  const answer: Answer = { status: response.status, statusText: response.statusText, ok: response.ok, text: await response.text() }
  const retryAfter = response.headers.get('retry-after')
  if (retryAfter !== null) answer.retryAfter = retryAfter
  return answer
}

/**
 * A pull-driven web stream over a source: a chunk is read from the source only when fetch asks for one, so
 * the connection's backpressure reaches the disk (or stdin) and at most a chunk or two is in memory.
 */
function pullStream (
  source: ByteSource, hooks: { onPull: () => void, onChunk: (bytes: number) => void, onEnd: () => void }
): ReadableStream<Uint8Array> {
  const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
  return new ReadableStream<Uint8Array>({
    async pull (controller) {
      hooks.onPull()
      const { done, value } = await iterator.next()
      if (done === true) {
        hooks.onEnd()
        controller.close()
        return
      }
      if (value.byteLength === 0) return
      hooks.onChunk(value.byteLength)
      controller.enqueue(value)
    },
    async cancel (reason) {
      await iterator.return?.(reason)
    }
  }, { highWaterMark: 0 })
}

/** An abort that fires when `restart()` was not called for `ms`; `clear()` pauses it. */
class IdleTimeout {
  private readonly controller = new AbortController()
  private timer?: ReturnType<typeof setTimeout>

  constructor (private readonly ms: number) {}

  get signal (): AbortSignal {
    return this.controller.signal
  }

  restart (): void {
    this.clear()
    this.timer = setTimeout(() => {
      this.controller.abort(new DOMException(`no progress for ${this.ms} ms`, 'TimeoutError'))
    }, this.ms)
  }

  clear (): void {
    if (this.timer != null) clearTimeout(this.timer)
    this.timer = undefined
  }
}

const CONTENT_TYPES: Record<string, string> = {
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  json: 'application/json',
  xml: 'application/xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tgz: 'application/gzip',
  tar: 'application/x-tar',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  mp4: 'video/mp4',
  webm: 'video/webm',
  wasm: 'application/wasm'
}

/** A content type from the name's extension; application/octet-stream when unknown. */
export function guessContentType (name: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase()
  return (ext != null ? CONTENT_TYPES[ext] : undefined) ?? 'application/octet-stream'
}

/** Wait `ms`, or reject with the signal's reason when it aborts first. */
async function sleepFor (ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason) }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
