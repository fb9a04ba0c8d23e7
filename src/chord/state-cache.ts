// GET_STATE without resending what the asker already has. Every stabilize asks the successor for its predecessor
// and successor list, and in a quiet ring the answer is the same each second: r peers with their certificates,
// kilobytes per node per second. So the asker sends the digest of the last full answer it had from that node
// (`known`), and the node answers `unchanged` when the answer it would send now has the same digest.
//
// The digest is taken over the encoded full reply, certificates and addresses included, so a renewed certificate
// changes it too and reaches the asker as before. Both sides compute it the same way: the node over the reply it
// builds, the asker over the reply it decoded (protobuf encoding of one message is deterministic here). Nothing
// is trusted from the digest: a wrong or stale `known` only costs the full answer, and `unchanged` counts only
// when the asker sent a digest, and gives back what the asker itself decoded from this node before.
import { createHash } from 'node:crypto'
import { ChordResponse } from '../../protocols/chord.js'

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
