// Who may use the HTTP API. Every request must name an allowed host in `Host` (a loopback name or address, the
// address the API is bound to, or a name given with `--api-host`), carry no `Origin` but the API's own, and
// present the API's bearer token. Host and Origin are checked first: they stop a web page from reaching the
// API through DNS rebinding or a cross-site request, whatever it knows of the token.
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

/** UnauthorizedError unless `req` presents the API's bearer token. */
export function checkToken (req: IncomingMessage, rules: AccessRules): void {
  if (!tokenMatches(bearer(req.headers.authorization), rules.token)) {
    throw new UnauthorizedError(req.headers.authorization === undefined
      ? 'this API needs its token: send Authorization: Bearer <token>'
      : 'the API token is wrong')
  }
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
