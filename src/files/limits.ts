// What the file protocols let any one peer cost this node, admitted member or not (protocols/README.md §10.9):
// TransferBudget, one memory budget for every inbound store and fetch stream. Each reserves the most it can
// buffer for as long as it runs; once the budget (or the peer's share of it) is spent, new transfer streams are
// refused at once, and the sender treats this node as busy (replication retries on its next pass). The index
// requests' rates per peer are token buckets of src/trust/rate.ts.

/**
 * Bytes every inbound transfer may hold at once: 128 MiB. A node idles at about 150 MB RSS, and no flood should
 * take it past 300 MB. A store stream reserves about 11.1 MiB (src/files/store.ts STORE_STREAM_BYTES: what its
 * reader may buffer, two frames in flight and its result), and a fetch about 3 MiB, so this admits 11 store
 * streams at once (5 of one peer), or about 40 fetches, more than the replicas of a busy ring send one node.
 */
export const TRANSFER_BUDGET_BYTES = 128 * 1024 * 1024
/** The share of the budget one peer may hold: another member's transfers still find room. */
export const PEER_SHARE = 0.5

/** Bytes held from a TransferBudget until `release()`. */
export interface Reservation {
  readonly bytes: number
  /** Hold `bytes` in all (more than now, for a longer frame); false, holding what it held, when there is no room. */
  grow: (bytes: number) => boolean
  /** Give the bytes back (again: nothing). */
  release: () => void
}

export class TransferBudget {
  private used = 0
  private readonly byPeer = new Map<string, number>()

  constructor (readonly capacity = TRANSFER_BUDGET_BYTES, readonly perPeer = Math.floor(capacity * PEER_SHARE)) {}

  /** Bytes reserved now. */
  get reserved (): number {
    return this.used
  }

  /** Reserve `bytes` for a transfer with `peer`; undefined when the budget or the peer's share has no room. */
  reserve (peer: string, bytes: number): Reservation | undefined {
    if (!this.fits(peer, bytes)) return undefined
    this.add(peer, bytes)
    let held = bytes
    let released = false
    return {
      get bytes () { return held },
      grow: more => {
        if (released || more <= held) return !released
        if (!this.fits(peer, more - held)) return false
        this.add(peer, more - held)
        held = more
        return true
      },
      release: () => {
        if (released) return
        released = true
        this.add(peer, -held)
      }
    }
  }

  private fits (peer: string, bytes: number): boolean {
    return this.used + bytes <= this.capacity && (this.byPeer.get(peer) ?? 0) + bytes <= this.perPeer
  }

  private add (peer: string, bytes: number): void {
    this.used += bytes
    const mine = (this.byPeer.get(peer) ?? 0) + bytes
    if (mine > 0) this.byPeer.set(peer, mine)
    else this.byPeer.delete(peer)
  }
}
