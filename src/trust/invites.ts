// Invites (protocols/README.md §15): how an operator lets a node in. A running supernode mints one (`chord-peer
// invite`): a role, a random nonce, an expiry, signed with the supernode's key, handed over as a base64url token.
// The joiner presents it in its JOIN; the leader checks that a supernode of its view signed it, for that role,
// before it expired, and that its nonce was never used (the view records used nonces until they expire).
import { randomBytes } from 'node:crypto'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { Invite, Role } from '../../protocols/trust.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/** How long an invite is valid by default: an hour. */
export const DEFAULT_INVITE_TTL_MS = 60 * 60_000
/** The longest an invite may be valid: a week. */
export const MAX_INVITE_TTL_MS = 7 * 24 * 60 * 60_000
/** Largest encoded invite accepted. */
const MAX_INVITE_BYTES = 1024

export interface CheckedInvite {
  role: Role
  /** Hex of the nonce: what the leader records as used. */
  nonce: string
  expires: number
  issuer: string
}

export type InviteProblem = 'invalid' | 'expired'

/** Mint an invite for `role`, valid for `ttlMs`, signed by `key` (a supernode's); the token. */
export async function mintInvite (key: PrivateKey, issuer: PeerId, role: Role, ttlMs: number, now: number): Promise<string> {
  const unsigned: Invite = {
    role,
    nonce: randomBytes(16) as Uint8Array<ArrayBuffer>,
    expires: BigInt(Math.round(now + ttlMs)),
    issuer: issuer.toMultihash().bytes as Uint8Array<ArrayBuffer>,
    signature: new Uint8Array(0)
  }
  const signature = await key.sign(Invite.encode(unsigned))
  return Buffer.from(Invite.encode({ ...unsigned, signature: signature as Uint8Array<ArrayBuffer> })).toString('base64url')
}

/** The encoded invite in a token; undefined when the token is not base64url. */
export function inviteBytes (token: string): Uint8Array<ArrayBuffer> | undefined {
  const text = token.trim()
  if (text === '' || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined
  return new Uint8Array(Buffer.from(text, 'base64url'))
}

/**
 * Check an invite: signed by one of `issuers` (the supernodes of the view), unexpired at `now`. Whether it was
 * used and whether its role fits are the caller's to decide. The problem, or the invite.
 */
export function checkInvite (bytes: Uint8Array, issuers: (address: string) => boolean, now: number): CheckedInvite | InviteProblem {
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_INVITE_BYTES) return 'invalid'
  try {
    const wire = Invite.decode(bytes)
    const issuer = peerIdFromMultihash(Digest.decode(wire.issuer))
    if (wire.nonce.byteLength !== 16 || issuer.publicKey === undefined || !issuers(issuer.toString())) return 'invalid'
    if (issuer.publicKey.verify(Invite.encode({ ...wire, signature: new Uint8Array(0) }), wire.signature) !== true) return 'invalid'
    const expires = Number(wire.expires)
    if (expires <= now) return 'expired'
    return { role: wire.role, nonce: Buffer.from(wire.nonce).toString('hex'), expires, issuer: issuer.toString() }
  } catch {
    return 'invalid'
  }
}
