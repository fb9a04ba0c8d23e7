// GET_STATE without resending what the asker already has. Every stabilize asks the successor for its predecessor
// and successor list, and in a quiet ring the answer is the same each second: r peers with their certificates,
// kilobytes per node per second. So the asker sends the digest of the last full answer it had from that node
// (`known`), and the node answers `unchanged` when the answer it would send now has the same digest.
//
// When the answer did change, the node sends only what the asker lacks: a `Peer` whose certificate it sent, the
// same, in the earlier answer that `known` names goes without it (`RecentReplies`, `withoutHeldCerts`), since the
// asker holds it. The node remembers its own last few full answers for this, not anything per asker; an asker
// whose `known` it no longer remembers gets the full answer. Under churn this is most of GET_STATE's bytes: a
// successor list that changed by one node no longer resends the other r − 1 certificates.
//
// The digest is taken over the encoded full reply, certificates and addresses included, so a renewed certificate
// changes it too and reaches the asker as before. Both sides compute it the same way: the node over the reply it
// builds, the asker over the reply it decoded with the certificates it was sent without filled back in from its
// own (`withHeldCerts`; protobuf encoding of one message is deterministic here). Nothing is trusted from the
// digest: a wrong or stale `known` only costs the full answer, and `unchanged` counts only when the asker sent a
// digest, and gives back what the asker itself decoded from this node before.
import { createHash } from 'node:crypto'
import { ChordResponse, type Peer } from '../../protocols/chord.js'

/** Bytes of a GET_STATE digest: the first 8 bytes of SHA-256 of the encoded full reply. */
export const DIGEST_BYTES = 8
/** Most nodes whose last GET_STATE answer a node keeps (its successors, the nodes it walked, its fingers). */
export const MAX_CACHED_STATES = 64

/** The digest of a full GET_STATE reply (only its predecessor and successors count). */
export function stateDigest (reply: Pick<ChordResponse, 'predecessor' | 'successors'>): Uint8Array<ArrayBuffer> {
  const bytes = ChordResponse.encode({
    found: false, nodes: [], predecessor: reply.predecessor, successors: reply.successors, unchanged: false
  })
  return new Uint8Array(createHash('sha256').update(bytes).digest().subarray(0, DIGEST_BYTES))
}

/** The full GET_STATE replies a node remembers having sent lately (RecentReplies). */
export const RECENT_REPLIES = 8

/**
 * The last RECENT_REPLIES distinct full GET_STATE replies this node sent, by digest, the least recently sent
 * going first: an asker's `known` names one of them when it holds it. A node's own replies, not its askers', so
 * it keeps at most RECENT_REPLIES × (r + 1) peers whoever asks.
 */
export class RecentReplies {
  private readonly replies = new Map<string, ChordResponse>()

  constructor (readonly capacity = RECENT_REPLIES) {}

  /** Remember `reply`, sent with digest `digest`. */
  sent (digest: Uint8Array, reply: ChordResponse): void {
    const key = hex(digest)
    this.replies.delete(key)
    this.replies.set(key, reply)
    while (this.replies.size > this.capacity) this.replies.delete(this.replies.keys().next().value as string)
  }

  /** The reply sent with digest `known`, if this node still remembers it. */
  get (known: Uint8Array): ChordResponse | undefined {
    return known.byteLength === DIGEST_BYTES ? this.replies.get(hex(known)) : undefined
  }
}

/**
 * `reply` less the certificates that `before` (an earlier reply the asker holds) carried for the same peers: each
 * such `Peer` goes with its PeerId and addresses only.
 */
export function withoutHeldCerts (reply: ChordResponse, before: ChordResponse): ChordResponse {
  const held = new Map<string, Uint8Array>()
  for (const p of [before.predecessor, ...before.successors]) if (p !== undefined && p.cert.byteLength > 0) held.set(hex(p.peerId), p.cert)
  const strip = (p: Peer): Peer => sameBytes(held.get(hex(p.peerId)), p.cert) ? { ...p, cert: new Uint8Array(0) } : p
  const predecessor = reply.predecessor === undefined ? undefined : strip(reply.predecessor)
  return { ...reply, predecessor, successors: reply.successors.map(strip) }
}

/**
 * `reply` with the certificates it was sent without put back, from `held` (the asker's own, by PeerId bytes):
 * the full reply, as the node took its digest. A `Peer` whose certificate the asker does not hold stays without.
 */
export function withHeldCerts (
  reply: Pick<ChordResponse, 'predecessor' | 'successors'>, held: (peerId: Uint8Array) => Uint8Array<ArrayBuffer> | undefined
): Pick<ChordResponse, 'predecessor' | 'successors'> {
  const fill = (p: Peer): Peer => {
    if (p.cert.byteLength > 0) return p
    const cert = held(p.peerId)
    return cert === undefined ? p : { ...p, cert }
  }
  return { predecessor: reply.predecessor === undefined ? undefined : fill(reply.predecessor), successors: reply.successors.map(fill) }
}

function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

function sameBytes (a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}

/** Are two digests the same (a `known` of another length never matches)? */
export function sameDigest (a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/** The key a GET_STATE answer is cached under: the node asked, and how many successors were asked for. */
export function stateKey (address: string, maxSuccessors?: number): string {
  return maxSuccessors === undefined ? address : `${address}/${maxSuccessors}`
}

/**
 * The last full GET_STATE answer had from each node, with its digest: at most `capacity` of them, the least
 * recently used going first. Pure: the libp2p messenger and the simulator both use it.
 */
export class StateCache<T> {
  private readonly entries = new Map<string, { digest: Uint8Array<ArrayBuffer>, value: T }>()

  constructor (readonly capacity = MAX_CACHED_STATES) {}

  get (key: string): { digest: Uint8Array<ArrayBuffer>, value: T } | undefined {
    const entry = this.entries.get(key)
    if (entry !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, entry)
    }
    return entry
  }

  set (key: string, digest: Uint8Array<ArrayBuffer>, value: T): void {
    this.entries.delete(key)
    this.entries.set(key, { digest, value })
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string)
  }

  delete (key: string): void {
    this.entries.delete(key)
  }

  get size (): number {
    return this.entries.size
  }
}
