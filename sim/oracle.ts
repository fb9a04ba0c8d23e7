// The ground truth the simulator, the tests and the benchmarks judge the protocol against: the sorted ids of the
// live nodes. successor(k) is the first id ≥ k, wrapping to the smallest (Chord §4.1). It knows nothing of
// ChordNode, so a bug in the ring core cannot hide in it. RingOracle checks whole routing states; the functions
// at the end answer one question over a list of ids, for tests and benchmarks on real peers.
import type { IdSpace } from '../src/ring/id.js'
import type { NodeRef } from '../src/ring/types.js'
import type { ChordNode } from '../src/ring/node.js'

export type ConvergenceLevel = 'pointers' | 'lists' | 'full'

export class RingOracle {
  readonly sorted: readonly bigint[]
  private readonly index = new Map<bigint, number>()
  /** 2^i for every finger i, made once: diagnose compares each node's gap to its successor with them. */
  private readonly powers: readonly bigint[]

  constructor (readonly space: IdSpace, ids: Iterable<bigint>) {
    this.sorted = [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    if (this.sorted.length === 0) throw new RangeError('an oracle needs at least one id')
    this.sorted.forEach((id, i) => this.index.set(id, i))
    this.powers = Array.from({ length: space.m }, (_, i) => 1n << BigInt(i))
  }

  get size (): number {
    return this.sorted.length
  }

  /** successor(key): the first live id at or after key, clockwise. */
  successor (key: bigint): bigint {
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.sorted[mid] < key) lo = mid + 1
      else hi = mid
    }
    return this.sorted[lo % this.sorted.length]
  }

  /** The r ids that follow member `id` (fewer when the ring is smaller; [id] on a one-node ring). */
  successorsOf (id: bigint, r: number): bigint[] {
    const i = this.position(id)
    const n = this.sorted.length
    if (n === 1) return [id]
    const out: bigint[] = []
    for (let k = 1; k <= Math.min(r, n - 1); k++) out.push(this.sorted[(i + k) % n])
    return out
  }

  predecessorOf (id: bigint): bigint | undefined {
    const n = this.sorted.length
    if (n === 1) return undefined
    return this.sorted[(this.position(id) - 1 + n) % n]
  }

  private position (id: bigint): number {
    const i = this.index.get(id)
    if (i === undefined) throw new RangeError(`${id} is not a member`)
    return i
  }

  /**
   * What is wrong with one node's routing state, or undefined when it matches the oracle up to `level`:
   * predecessor and successor ('pointers', what correct routing needs: Chord §4.4), then the full successor
   * list of length min(r, N-1) ('lists'), then every finger entry ('full').
   */
  diagnose (node: ChordNode, level: ConvergenceLevel): string | undefined {
    const { state, self } = node
    const expectPred = this.predecessorOf(self.id)
    if (state.predecessor?.id !== expectPred) return 'predecessor'
    const expect = this.successorsOf(self.id, state.r)
    const got = state.successors
    if (got[0].id !== expect[0]) return 'successor'
    if (level === 'pointers') return undefined
    if (got.length !== expect.length || got.some((s, i) => s.id !== expect[i])) return 'successor list'
    if (level === 'lists') return undefined
    // Fingers whose start lies in (self, successor] all point at the successor (Chord §4.3): about m − log2 N
    // of them, checked with one comparison each. Only the few above need a search. (On a one-node ring the gap
    // is 0 and every finger is searched, which finds the node itself.)
    const succ = expect[0]
    const gap = this.space.distance(self.id, succ)
    const { fingers } = state
    let i = 0
    for (; i < this.space.m && this.powers[i] <= gap; i++) if (fingers.get(i)?.id !== succ) return `finger ${i}`
    for (; i < this.space.m; i++) {
      if (fingers.get(i)?.id !== this.successor(this.space.fingerStart(self.id, i))) return `finger ${i}`
    }
    return undefined
  }

  /** Does `found` (a lookup's first node) name the true owner of `key`? */
  owns (found: NodeRef, key: bigint): boolean {
    return found.id === this.successor(key)
  }
}

/** The true owner of `key` among ascending `sortedIds`: the first id at or after it, wrapping around. */
export function trueOwner (sortedIds: readonly bigint[], key: bigint): bigint {
  for (const id of sortedIds) if (id >= key) return id
  return sortedIds[0]
}

/** A deterministic stream of 256-bit keys (xorshift), so a failing run can be replayed. */
export function * randomKeys (count: number, seed = 0x9e3779b97f4a7c15n): Generator<bigint> {
  let s = seed
  const mask = (1n << 64n) - 1n
  const next = (): bigint => {
    s ^= (s << 13n) & mask; s ^= s >> 7n; s ^= (s << 17n) & mask
    return s
  }
  for (let i = 0; i < count; i++) yield (next() << 192n) | (next() << 128n) | (next() << 64n) | next()
}

/** The ids of the k nodes that should hold `keyHex` among `ids` (any order): its owner and the next k − 1. */
export function placementOf (ids: readonly bigint[], keyHex: string, k: number): bigint[] {
  const sorted = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const x = BigInt('0x' + keyHex)
  const i = Math.max(0, sorted.findIndex(id => id >= x))
  return Array.from({ length: Math.min(k, sorted.length) }, (_, j) => sorted[(i + j) % sorted.length])
}
