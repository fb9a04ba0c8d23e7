// HTTP client of one daemon's API (src/api). Returns the JSON shapes of src/api/types.ts and maps failures to
// named errors: an error answer → ApiError (with the daemon's code and the HTTP status), no answer →
// DaemonUnreachableError naming the URL. Every call takes an AbortSignal and has a default timeout.
import { ApiError, DaemonUnreachableError, InvalidMessageError } from '../errors.js'
import type { ErrorJson, LookupJson, RingJson, StatusJson } from '../api/types.js'

export { API_FILE, normalizeApiUrl, parseHostPort, readApiUrlFile } from './api-url.js'
export type { HostPort } from './api-url.js'

export interface CallOptions {
  signal?: AbortSignal
}

export interface RingOptions extends CallOptions {
  /** Ask the daemon to check the ring invariants too (slower: it walks the ring). */
  check?: boolean
}

/** A file name (the daemon hashes it with SHA-256) or a raw 256-bit key in hex. */
export type LookupOptions = CallOptions & ({ name: string, id?: undefined } | { id: string, name?: undefined })

/** What the CLI commands need from a daemon; ApiClient implements it, tests may stub it. */
export interface DaemonClient {
  readonly url: string
  status (options?: CallOptions): Promise<StatusJson>
  ring (options?: RingOptions): Promise<RingJson>
  lookup (options: LookupOptions): Promise<LookupJson>
}

export interface ApiClientInit {
  /** Origin of the daemon's API, e.g. http://127.0.0.1:4001 (normalised; host:port is accepted). */
  url: string
  /** Abort a call that gets no answer in this time. Default 30000 ms (a lookup may walk many hops). */
  timeoutMs?: number
  /** The fetch to use. Default: the global fetch. */
  fetch?: typeof fetch
}

const DEFAULT_TIMEOUT_MS = 30_000

/** Socket-level error codes that mean "nobody is answering there" rather than "the daemon failed". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'
])

export class ApiClient implements DaemonClient {
  readonly url: string
  private readonly timeoutMs: number
  private readonly fetch: typeof fetch

  constructor (init: ApiClientInit | string) {
    const options = typeof init === 'string' ? { url: init } : init
    this.url = options.url.replace(/\/+$/, '')
    if (!/^https?:\/\//.test(this.url)) this.url = `http://${this.url}`
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.fetch = options.fetch ?? globalThis.fetch
  }

  /** GET /api/status */
  async status (options: CallOptions = {}): Promise<StatusJson> {
    return this.get<StatusJson>('/api/status', {}, options.signal)
  }

  /** GET /api/ring[?check=1] */
  async ring (options: RingOptions = {}): Promise<RingJson> {
    return this.get<RingJson>('/api/ring', options.check === true ? { check: '1' } : {}, options.signal)
  }

  /** GET /api/lookup?key=<name> or ?id=<hex> */
  async lookup (options: LookupOptions): Promise<LookupJson> {
    const query: Record<string, string> = options.id != null ? { id: options.id } : { key: options.name }
    return this.get<LookupJson>('/api/lookup', query, options.signal)
  }

  private async get<T> (path: string, query: Record<string, string>, signal?: AbortSignal): Promise<T> {
    const url = new URL(path, this.url)
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value)
    const timeout = AbortSignal.timeout(this.timeoutMs)
    const combined = signal == null ? timeout : AbortSignal.any([signal, timeout])

    let response: Response
    try {
      response = await this.fetch(url, { headers: { accept: 'application/json' }, signal: combined })
    } catch (err) {
      throw this.mapFetchError(err, timeout, signal)
    }

    let text: string
    try {
      text = await response.text()
    } catch (err) {
      throw this.mapFetchError(err, timeout, signal)
    }
    const body = parseJson(text)

    if (!response.ok) {
      const error = body as Partial<ErrorJson> | undefined
      const message = typeof error?.error === 'string' && error.error !== ''
        ? error.error
        : `${response.status} ${response.statusText}`.trim()
      throw new ApiError(message, { status: response.status, code: typeof error?.code === 'string' ? error.code : undefined })
    }
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
        `cannot reach the daemon at ${this.url}: is the daemon running? start one with \`chord-peer --bootstrap\``,
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
