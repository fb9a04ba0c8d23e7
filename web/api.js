// The dashboard's calls to its node's HTTP API (same origin; the session cookie authenticates them) and the
// small formatting helpers every panel shares. Errors come back as ApiError with the daemon's `{ error, code }`,
// and `explain` turns a code into a sentence for the page.

export class ApiError extends Error {
  constructor (status, code, message) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
  }
}

/** Called when an answer says the session is gone (401), so the page can show the login help. */
let onUnauthorized = () => {}
export function whenUnauthorized (fn) { onUnauthorized = fn }

/** The ApiError an error answer stands for. */
export async function errorOf (response) {
  let body
  try { body = await response.json() } catch { body = undefined }
  const message = typeof body?.error === 'string' ? body.error : `${response.status} ${response.statusText}`
  return new ApiError(response.status, typeof body?.code === 'string' ? body.code : `HTTP_${response.status}`, message)
}

/** `method path` with an optional JSON body; the parsed JSON answer, or an ApiError. */
export async function call (method, path, { body, signal } = {}) {
  let response
  try {
    response = await fetch(path, {
      method,
      signal,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
  } catch (err) {
    if (err?.name === 'AbortError') throw err
    throw new ApiError(0, 'ERR_UNREACHABLE', 'the node does not answer: is its daemon still running?')
  }
  if (!response.ok) {
    const err = await errorOf(response)
    if (response.status === 401 && path !== '/api/session') onUnauthorized(err)
    throw err
  }
  return await response.json()
}

export const get = (path, options) => call('GET', path, options)

/** A file name as one URL path segment. */
export const encodeName = name => encodeURIComponent(name)

/** A sentence for the page from an error of the API. */
export function explain (err) {
  const message = err?.message ?? String(err)
  switch (err?.code) {
    case 'ERR_NOT_OWNER': return `Not yours: ${message}.`
    case 'ERR_QUOTA': return `No space: this node's storage quota is full (${message}).`
    case 'ERR_NO_SPACE': return `No space: ${message}.`
    case 'ERR_QUORUM': return `Fewer copies than asked: ${message}.`
    case 'ERR_BUSY': return `The node is busy with other uploads: try again in a few seconds (${message}).`
    case 'ERR_NOT_FOUND': return `Not found: ${message}.`
    case 'ERR_UNAUTHORIZED': return 'The session has ended: log in again with `chord-peer dashboard`.'
    case 'ERR_REQUEST_TIMEOUT': return `The upload stalled: ${message}.`
    default: return message
  }
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
export function bytes (n) {
  if (n === undefined || n === null || !Number.isFinite(n)) return '–'
  let i = 0
  let v = n
  while (v >= 1024 && i < UNITS.length - 1) { v /= 1024; i++ }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${UNITS[i]}`
}

export function duration (ms) {
  if (ms === undefined || ms === null) return '–'
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${s % 60} s`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h} h ${m % 60} min`
  return `${Math.floor(h / 24)} d ${h % 24} h`
}

export const ago = time => time === undefined ? '–' : `${duration(Date.now() - time)} ago`

export function clock (time) {
  const d = new Date(time)
  return d.toLocaleTimeString(undefined, { hour12: false })
}

/** A PeerId short enough for a label: 12D3KooW…last6. */
export const short = peerId => peerId === undefined ? '–' : peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-6)}` : peerId
