// Request rates per key (a peer, an IP address) and kind of request: a token bucket each, refilled continuously,
// so a burst is allowed and a steady flood is held to the rate. The index server refuses index requests over
// their rates per peer (src/files/index-protocol.ts) and its client paces its own requests to half of them
// (`debt`); a supernode takes JOINs per remote IP address (src/membership/server.ts). The keys of the least
// recently seen go first once `maxPeers` are tracked, so a flood of fresh keys costs bounded memory (and a
// forgotten key starts full again, which only matters to an attacker holding more than that many identities).

/** A token bucket's shape: it holds at most `burst` tokens and gains `perSecond` a second. */
export interface Rate {
  /** Requests allowed at once. */
  burst: number
  /** Requests allowed per second after that. */
  perSecond: number
}

/** Most keys whose buckets are kept; the least recently seen beyond it start afresh (full) when they return. */
export const MAX_RATE_PEERS = 4096

interface Bucket { tokens: number, at: number }

/** Token buckets per key and kind of request, for the kinds `rates` names; a bounded LRU of keys. */
export class TokenBuckets<K extends PropertyKey> {
  private readonly peers = new Map<string, Map<K, Bucket>>()

  constructor (
    private readonly rates: Partial<Record<K, Rate>>,
    private readonly options: { maxPeers?: number, now?: () => number } = {}
  ) {
    for (const [kind, rate] of Object.entries(rates) as Array<[string, Rate]>) {
      if (!(rate.burst >= 1 && rate.perSecond > 0)) {
        throw new RangeError(`rate ${kind} needs burst ≥ 1 and perSecond > 0, got ${rate.burst}, ${rate.perSecond}`)
      }
    }
  }

  /** Keys with buckets now. */
  get size (): number {
    return this.peers.size
  }

  /** Take a token of `kind` from `peer`'s bucket: false when it has none (the peer is over its rate). */
  take (peer: string, kind: K): boolean {
    const bucket = this.bucket(peer, kind)
    if (bucket === undefined) return true
    if (bucket.tokens < 1) return false
    bucket.tokens--
    return true
  }

  /**
   * Take a token of `kind` from `peer`'s bucket, going into debt when it has none: how long (ms) to wait before
   * using it, so that a caller who waits never exceeds the rate.
   */
  debt (peer: string, kind: K): number {
    const bucket = this.bucket(peer, kind)
    if (bucket === undefined) return 0
    bucket.tokens--
    return bucket.tokens >= 0 ? 0 : -bucket.tokens / this.rates[kind]!.perSecond * 1000
  }

  private bucket (peer: string, kind: K): Bucket | undefined {
    const rate = this.rates[kind]
    if (rate === undefined) return undefined
    const now = (this.options.now ?? performance.now.bind(performance))()
    let buckets = this.peers.get(peer)
    if (buckets === undefined) {
      buckets = new Map()
      if (this.peers.size >= (this.options.maxPeers ?? MAX_RATE_PEERS)) this.peers.delete(this.peers.keys().next().value!)
    } else {
      this.peers.delete(peer) // re-inserted below: the most recently seen is last
    }
    this.peers.set(peer, buckets)
    let bucket = buckets.get(kind)
    if (bucket === undefined) {
      bucket = { tokens: rate.burst, at: now }
      buckets.set(kind, bucket)
    }
    bucket.tokens = Math.min(rate.burst, bucket.tokens + (now - bucket.at) / 1000 * rate.perSecond)
    bucket.at = now
    return bucket
  }
}
