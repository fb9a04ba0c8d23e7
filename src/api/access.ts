// Who may use the HTTP API. Every request must name an allowed host in `Host` (a loopback name or address, the
// address the API is bound to, or a name given with `--api-host`), carry no `Origin` but the API's own, and
// present the API's bearer token, or, from the dashboard's own page, a session cookie (sessions.ts). Host and
// Origin are checked first: they stop a web page from reaching the API through DNS rebinding or a cross-site
// request, whatever it knows of the token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { isLoopback } from '../config.js'
import { ForbiddenHostError, ForbiddenOriginError, UnauthorizedError } from '../errors.js'

/** A new API token: 32 random bytes, base64url (43 characters). */
export function newApiToken (): string {
  return randomBytes(32).toString('base64url')
}

export interface AccessRules {
  /** The bearer token every request must present. */
  token: string
  /** Host names allowed besides loopback ones: lowercase, IPv6 without brackets. */
  hosts: readonly string[]
  /** The dashboard's sessions: a live session cookie stands in for the token (sessions.ts). */
  sessions?: { valid (cookieHeader: string | undefined): boolean }
}

/** ForbiddenHostError or ForbiddenOriginError unless `req` names an allowed host and comes from no other origin. */
export function checkOrigin (req: IncomingMessage, rules: AccessRules): void {
  const host = req.headers.host
  const name = host === undefined ? undefined : hostName(host)
  if (name === undefined || !(isLoopback(name) || rules.hosts.includes(name))) {
    throw new ForbiddenHostError(host === undefined
      ? 'the request has no Host header'
      : `the Host ${JSON.stringify(host)} is not this API's (give the daemon --api-host <name> to allow a name)`)
  }
  const origin = req.headers.origin
  if (origin !== undefined && !sameOrigin(origin, host!)) {
    throw new ForbiddenOriginError(`requests from ${JSON.stringify(origin)} are not allowed`)
  }
}

/** UnauthorizedError unless `req` presents the API's bearer token, or a dashboard session from its own page. */
export function checkToken (req: IncomingMessage, rules: AccessRules): void {
  if (req.headers.authorization === undefined && ownPage(req) && rules.sessions?.valid(req.headers.cookie) === true) return
  if (!tokenMatches(bearer(req.headers.authorization), rules.token)) {
    throw new UnauthorizedError(req.headers.authorization === undefined
      ? 'this API needs its token: send Authorization: Bearer <token> (a browser: log in with `chord-peer dashboard`)'
      : 'the API token is wrong')
  }
}

/**
 * Whether a browser says the request came from a page of this origin, or from the user (a typed URL). A cookie
 * rides along on requests other pages cause too (SameSite counts every port of a host as the same site), so a
 * session cookie counts only on these; clients that send no Sec-Fetch-Site are not browsers, or old ones,
 * and still pass the Origin check.
 */
function ownPage (req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site']
  return site === undefined || site === 'same-origin' || site === 'none'
}

/** The host part of a Host header (`name:port`, `[v6]:port`), lowercase, without brackets or a final dot. */
export function hostName (host: string): string | undefined {
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::\d*)?$/i.exec(host.trim())
  if (m === null) return undefined
  return (m[1] ?? m[2]).toLowerCase().replace(/\.$/, '')
}

/** Whether `origin` is `http://<host>` (default ports aside). */
function sameOrigin (origin: string, host: string): boolean {
  try {
    return new URL(origin).origin === new URL(`http://${host}`).origin
  } catch {
    return false // "null" (a sandboxed page) and other non-URLs
  }
}

function bearer (header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^Bearer +(\S+) *$/i.exec(header)?.[1]
}

/** A constant-time comparison; digests first, so neither the length nor a prefix of the token leaks. */
function tokenMatches (given: string | undefined, token: string): boolean {
  if (given === undefined) return false
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(given), digest(token))
}
