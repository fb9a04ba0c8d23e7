// What the file protocols let any one peer cost this node, admitted member or not (protocols/README.md §10.9):
// TransferBudget, one memory budget for every inbound store and fetch stream. Each reserves the most it can
// buffer for as long as it runs; once the budget (or the peer's share of it) is spent, new transfer streams are
// refused at once, and the sender treats this node as busy (replication retries on its next pass). The index
// requests' rates per peer are token buckets of src/trust/rate.ts. StreamSlots bound the other side: the store
// streams this node opens for its own writes, so it queues a burst of them rather than overrun a receiver.
import { BusyError } from '../errors.js'

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

/**
 * Store streams this node opens to one peer at once for its own writes (puts, deletes, replica copies). A
 * receiver admits about 5 store streams of one peer (its PEER_SHARE of the budget) and 11 in all; 2 per sender
 * leaves room for the chains relayed through the same sender and for other senders, so a burst of uploads
 * through one node waits here instead of being refused there (which the sender cannot tell from a dead node).
 */
export const STORE_STREAMS_PER_PEER = 2
/** Store streams this node opens at once for its own writes, to all peers: what an entry's uploads may buffer. */
export const STORE_STREAMS_TOTAL = 16
/** Longest wait for a slot: below a client's idle timeout (30 s), so it gets a 503 to retry instead of a cut. */
export const SLOT_WAIT_MS = 20_000
/** Writes waiting for a slot at most; more are refused at once (BusyError). */
export const MAX_SLOT_WAITERS = 1024

interface Waiter { peer: string, grant: (release: () => void) => void }

/** Slots for outbound store streams: at most `perPeer` per peer and `total` in all, granted first come first served. */
export class StreamSlots {
  private open = 0
  private readonly byPeer = new Map<string, number>()
  private readonly waiters: Waiter[] = []

  constructor (
    readonly perPeer = STORE_STREAMS_PER_PEER, readonly total = STORE_STREAMS_TOTAL,
    readonly waitMs = SLOT_WAIT_MS, readonly maxWaiters = MAX_SLOT_WAITERS
  ) {}

  /** Streams open now, and writes waiting for a slot. */
  get usage (): { open: number, waiting: number } {
    return { open: this.open, waiting: this.waiters.length }
  }

  /**
   * A slot for a stream to `peer`; call the returned function once the stream is done. Waits in line for one;
   * BusyError when none frees within `waitMs` or the line is full, the signal's reason when it aborts first.
   */
  async acquire (peer: string, signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted()
    // After every release no waiter fits (wake grants those that do), so one that fits now passes nobody who could go.
    if (this.fits(peer)) return this.take(peer)
    if (this.waiters.length >= this.maxWaiters) throw new BusyError(`${this.waiters.length} writes are waiting to be sent already`)
    return await new Promise<() => void>((resolve, reject) => {
      const waiter: Waiter = {
        peer,
        grant: release => { cleanup(); resolve(release) }
      }
      const giveUp = (err: unknown): void => {
        const i = this.waiters.indexOf(waiter)
        if (i < 0) return
        this.waiters.splice(i, 1)
        cleanup()
        reject(err)
        this.wake() // those behind it may fit now
      }
      const onAbort = (): void => { giveUp(signal.reason) }
      const timer = setTimeout(() => {
        giveUp(new BusyError(`no room to send to ${peer} within ${this.waitMs / 1000} s: this node is sending all it can`))
      }, this.waitMs)
      const cleanup = (): void => { clearTimeout(timer); signal.removeEventListener('abort', onAbort) }
      signal.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(waiter)
    })
  }

  private fits (peer: string): boolean {
    return this.open < this.total && (this.byPeer.get(peer) ?? 0) < this.perPeer
  }

  private take (peer: string): () => void {
    this.open++
    this.byPeer.set(peer, (this.byPeer.get(peer) ?? 0) + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      this.open--
      const left = (this.byPeer.get(peer) ?? 1) - 1
      if (left > 0) this.byPeer.set(peer, left)
      else this.byPeer.delete(peer)
      this.wake()
    }
  }

  /** Grant slots to waiters in order, skipping those whose peer is at its limit (they keep their place). */
  private wake (): void {
    for (let i = 0; i < this.waiters.length && this.open < this.total;) {
      const waiter = this.waiters[i]
      if (this.fits(waiter.peer)) {
        this.waiters.splice(i, 1)
        waiter.grant(this.take(waiter.peer))
      } else {
        i++
      }
    }
  }
}
