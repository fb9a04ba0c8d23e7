// The dashboard's login: one-time codes and the browser sessions they open. A token holder mints a code
// (`POST /api/login-codes`, what `chord-peer dashboard` does) and hands it to a browser in a URL's fragment; the
// page trades it (`POST /api/session`) for a session cookie, HttpOnly and SameSite=Strict, which then stands in
// for the bearer token on that browser's requests (access.ts), an EventSource's included, since it cannot send
// an Authorization header. A code lives CODE_TTL_MS and opens one session; a session lives SESSION_TTL_MS.
// Both are kept in memory only, at most MAX_CODES and MAX_SESSIONS (the oldest go first), so they die with the
// daemon: a restart logs every browser out, as it changes the token. Only SHA-256 digests of codes and session
// ids are kept, as map keys: a lookup's timing says nothing about a secret's bytes.
import { createHash, randomBytes } from 'node:crypto'

/** How long a login code may wait to be redeemed. */
export const CODE_TTL_MS = 60_000
/** How long a browser session lasts (it is not renewed: log in again after). */
export const SESSION_TTL_MS = 12 * 3_600_000
/** Codes and sessions kept at once; minting one more drops the oldest. */
export const MAX_CODES = 64
export const MAX_SESSIONS = 64

export interface SessionsInit {
  /** The cookie's name: the port is part of it, as browsers share cookies between the ports of one host. */
  cookieName: string
  /** ms since the epoch (default Date.now). */
  now?: () => number
  codeTtlMs?: number
  sessionTtlMs?: number
}

/** Secrets (codes or session ids) by digest, each with its expiry; insertion order is age order. */
class Expiring {
  private readonly byDigest = new Map<string, number>()

  constructor (private readonly max: number, private readonly now: () => number) {}

  add (secret: string, expires: number): void {
    this.sweep()
    this.byDigest.set(digest(secret), expires)
    while (this.byDigest.size > this.max) this.byDigest.delete(this.byDigest.keys().next().value as string)
  }

  /** The expiry of a live secret, else undefined; `take` removes it (single use). */
  expiry (secret: string, take = false): number | undefined {
    const key = digest(secret)
    const expires = this.byDigest.get(key)
    if (expires === undefined) return undefined
    if (take || expires <= this.now()) this.byDigest.delete(key)
    return expires > this.now() ? expires : undefined
  }

  delete (secret: string): void {
    this.byDigest.delete(digest(secret))
  }

  get size (): number {
    this.sweep()
    return this.byDigest.size
  }

  private sweep (): void {
    const now = this.now()
    for (const [key, expires] of this.byDigest) if (expires <= now) this.byDigest.delete(key)
  }
}

export class Sessions {
  readonly cookieName: string
  private readonly now: () => number
  private readonly codeTtlMs: number
  private readonly sessionTtlMs: number
  private readonly codes: Expiring
  private readonly sessions: Expiring

  constructor (init: SessionsInit) {
    this.cookieName = init.cookieName
    this.now = init.now ?? Date.now
    this.codeTtlMs = init.codeTtlMs ?? CODE_TTL_MS
    this.sessionTtlMs = init.sessionTtlMs ?? SESSION_TTL_MS
    this.codes = new Expiring(MAX_CODES, this.now)
    this.sessions = new Expiring(MAX_SESSIONS, this.now)
  }

  /** A new one-time login code. */
  mintCode (): { code: string, expires: number } {
    const code = secret()
    const expires = this.now() + this.codeTtlMs
    this.codes.add(code, expires)
    return { code, expires }
  }

  /**
   * Trade a code for a session: its id and expiry, or undefined when the code is unknown, used or expired. The
   * code is spent either way.
   */
  redeem (code: string): { id: string, expires: number } | undefined {
    if (this.codes.expiry(code, true) === undefined) return undefined
    const id = secret()
    const expires = this.now() + this.sessionTtlMs
    this.sessions.add(id, expires)
    return { id, expires }
  }

  /** The expiry of the session a Cookie header carries, or undefined when it carries no live one. */
  session (cookieHeader: string | undefined): number | undefined {
    const id = cookieValue(cookieHeader, this.cookieName)
    return id === undefined ? undefined : this.sessions.expiry(id)
  }

  valid (cookieHeader: string | undefined): boolean {
    return this.session(cookieHeader) !== undefined
  }

  /** End the session a Cookie header carries, if any. */
  end (cookieHeader: string | undefined): void {
    const id = cookieValue(cookieHeader, this.cookieName)
    if (id !== undefined) this.sessions.delete(id)
  }

  /** The Set-Cookie value that opens a session in the browser (no `Secure`: the API speaks plain HTTP). */
  cookie (session: { id: string, expires: number }): string {
    const maxAge = Math.max(0, Math.round((session.expires - this.now()) / 1000))
    return `${this.cookieName}=${session.id}; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Strict`
  }

  /** The Set-Cookie value that removes the cookie. */
  clearCookie (): string {
    return `${this.cookieName}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict`
  }

  /** Live codes and sessions (tests). */
  counts (): { codes: number, sessions: number } {
    return { codes: this.codes.size, sessions: this.sessions.size }
  }
}

/** 32 random bytes, base64url (43 characters): as strong as the API token. */
function secret (): string {
  return randomBytes(32).toString('base64url')
}

function digest (text: string): string {
  return createHash('sha256').update(text).digest('base64')
}

/** The value of cookie `name` in a Cookie header (`a=1; b=2`), if present and well formed. */
export function cookieValue (header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() !== name) continue
    const value = part.slice(eq + 1).trim()
    if (/^[A-Za-z0-9_-]{1,128}$/.test(value)) return value
  }
  return undefined
}
