// The simulator's driver: it runs the production ring core (src/ring ChordNode, unchanged) for thousands of nodes
// over the in-memory SimNetwork, and measures what the Chord papers measured — lookup path length (SIGCOMM 2001
// §6.3) and lookups after a mass failure (Chord ToN §V-C, Table II) — against the sorted-id oracle.
//
// Time is rounds: in one round every live node, in a fresh seeded random order, runs stabilize, fix_fingers and
// check_predecessor once (Chord Fig. 6). Everything is sequential and seeded, so a run is deterministic.
import { IdSpace, DEFAULT_M } from '../src/ring/id.js'
import { lookup } from '../src/ring/lookup.js'
import { ChordNode } from '../src/ring/node.js'
import type { NodeRef } from '../src/ring/types.js'
import { SimNetwork, type TrafficStats } from './network.js'
import { RingOracle, type ConvergenceLevel } from './oracle.js'
import { Prng } from './prng.js'

export interface SimOptions {
  /** Ring size N. */
  nodes: number
  /** Bits of the identifier space (default 256). */
  m?: number
  /** Successor list length (default `defaultR(nodes)`). */
  r?: number
  /** PRNG seed (default 1). */
  seed?: number
  /** Random keys looked up per measurement (default 10,000). */
  keys?: number
  /** Fraction of nodes to crash at once after the ring has converged (default: no failure experiment). */
  fail?: number
  /** Give up converging after this many rounds (default 500). */
  maxRounds?: number
  /** Each join batch adds this fraction of the current ring (default 0.5): the ring grows geometrically. */
  growth?: number
  /** Progress lines (the CLI prints them to stderr). */
  onProgress?: (message: string) => void
}

export interface HopStats {
  lookups: number
  /** Lookups that ended with `failed` (no live candidate, or the hop cap). */
  failed: number
  /** Lookups that returned a node other than the oracle's owner. */
  wrong: number
  mean: number
  p50: number
  p99: number
  max: number
  /** Remote calls that found their target dead, summed over all lookups. */
  timeouts: number
  /** Correct answers whose first node is dead (the caller skips it with one timeout). */
  deadHead: number
}

export interface ConvergeResult {
  converged: boolean
  rounds: number
  /** What was still wrong when the cap was hit (first few nodes). */
  problems: string[]
}

export interface SimReport {
  nodes: number
  m: number
  r: number
  seed: number
  build: { joins: number, batches: number, rounds: number, finalRounds: number, converged: boolean, ms: number }
  /** checkRing from one node (the ring core's own invariant walk). */
  ringOk: boolean
  hops: HopStats & { halfLog2N: number, ms: number }
  /** Steady-state maintenance traffic, from rounds run after convergence. */
  maintenance: { rounds: number, messagesPerNodePerRound: number, bytesPerNodePerRound: number }
  failure?: {
    fraction: number
    killed: number
    live: number
    /** Lookups right after the crash, before any repair (lookups route around dead hops, but change no state). */
    immediate: HopStats
    restabilize: ConvergeResult & { ms: number }
    ringOk: boolean
    after: HopStats
  }
  ms: number
}

/** Default successor list length: 2·log2 N rounded up, at least 4 (Chord ToN §V-C). */
export function defaultR (n: number): number {
  return Math.max(4, Math.ceil(2 * Math.log2(Math.max(n, 2))))
}

export class Simulation {
  readonly space: IdSpace
  readonly r: number
  readonly net: SimNetwork
  readonly rng: Prng
  private readonly members: ChordNode[] = []
  private readonly ids = new Set<bigint>()

  constructor (readonly options: { m?: number, r: number, seed?: number }) {
    this.space = new IdSpace(options.m ?? DEFAULT_M)
    this.r = options.r
    this.net = new SimNetwork(this.space.m)
    this.rng = new Prng(options.seed ?? 1)
  }

  /** Live members, in join order. */
  live (): ChordNode[] {
    return this.members.filter(n => this.net.isLive(n.self))
  }

  oracle (): RingOracle {
    return new RingOracle(this.space, this.live().map(n => n.self.id))
  }

  /** Create a node with a fresh random id and put it on the network (not yet on the ring). */
  spawn (id?: bigint): ChordNode {
    if (id === undefined) {
      if (BigInt(this.ids.size) >= this.space.size) throw new RangeError('the identifier space is full')
      do id = this.rng.bigint(this.space.m); while (this.ids.has(id))
    } else if (this.ids.has(id)) throw new RangeError(`id ${id} is taken`)
    this.ids.add(id)
    const self: NodeRef = { id, address: `sim-${this.members.length}` }
    const node = new ChordNode({ space: this.space, self, r: this.r, transport: this.net.from(self.address) })
    this.net.add(node)
    this.members.push(node)
    return node
  }

  /** Admit `joiner` the way a member would: a random live member computes successorsFor, then join (Zave). */
  async join (joiner: ChordNode): Promise<void> {
    if (!this.members.some(n => n !== joiner && this.net.isLive(n.self))) return // the first node: a ring of one
    let via: ChordNode
    do via = this.members[this.rng.int(this.members.length)]; while (via === joiner || !this.net.isLive(via.self))
    const list = await via.successorsFor(joiner.self.id)
    await joiner.join(list)
  }

  /** One maintenance round over every live node, in a seeded random order. */
  async round (): Promise<void> {
    for (const node of this.rng.shuffle(this.live())) {
      if (!this.net.isLive(node.self)) continue
      await node.stabilize()
      try {
        await node.fixFingers()
      } catch {
        // a failed finger lookup is retried next round (the cursor does not move)
      }
      await node.checkPredecessor()
      await node.probeDeparted()
    }
  }

  /**
   * Run rounds until every live node's state matches the oracle up to `level` (RingOracle.diagnose), or
   * `maxRounds` rounds have run. Every node is checked after every round until the first few wrong ones are
   * found (see ConvergenceCheck): "converged" still means one whole pass found every node right.
   */
  async converge (
    maxRounds: number, level: ConvergenceLevel = 'full', onRound?: (round: number, problems: readonly string[]) => void
  ): Promise<ConvergeResult> {
    const check = new ConvergenceCheck(this.oracle(), this.live(), level)
    let rounds = 0
    let problems = check.problems()
    while (problems.length > 0 && rounds < maxRounds) {
      await this.round()
      rounds++
      problems = check.problems()
      onRound?.(rounds, problems)
    }
    return { converged: problems.length === 0, rounds, problems }
  }

  /**
   * Grow the ring to `n` nodes (or to hold the given ids, in that join order) by joins in batches of
   * `growth` × the current size, converging predecessor and successor pointers between batches (routing needs
   * correct successors, not perfect fingers: Chord §4.4), then converge everything.
   */
  async build (
    target: number | readonly bigint[], options: { growth?: number, maxRounds?: number, onProgress?: (message: string) => void } = {}
  ): Promise<SimReport['build']> {
    const started = performance.now()
    const ids = typeof target === 'number' ? undefined : [...target]
    const n = ids === undefined ? target as number : this.members.length + ids.length
    const growth = options.growth ?? 0.5
    const maxRounds = options.maxRounds ?? 500
    const joinsBefore = this.members.length
    let batches = 0
    let rounds = 0
    if (this.members.length === 0 && n > 0) this.spawn(ids?.shift())
    while (this.members.length < n) {
      const size = Math.min(n - this.members.length, Math.max(1, Math.floor(this.members.length * growth)))
      for (let i = 0; i < size; i++) await this.join(this.spawn(ids?.shift()))
      batches++
      const pointers = await this.converge(maxRounds, 'pointers')
      rounds += pointers.rounds
      options.onProgress?.(`joined ${this.members.length}/${n} (batch ${batches}, ${pointers.rounds} rounds)`)
    }
    const progress = options.onProgress
    const final = await this.converge(maxRounds, 'full', progress === undefined ? undefined : (round, problems) => {
      progress(`final round ${round}: ${problems.length === 0 ? 'every node matches the oracle' : `still wrong: ${problems[0]}, …`}`)
    })
    rounds += final.rounds
    options.onProgress?.(`converged: ${final.converged} after ${final.rounds} final rounds`)
    return {
      joins: this.members.length - Math.max(1, joinsBefore),
      batches,
      rounds,
      finalRounds: final.rounds,
      converged: final.converged,
      ms: performance.now() - started
    }
  }

  /**
   * Look up `count` random keys, each from a random live node, through ChordNode.findOwner (which repairs state
   * on a dead hop, as a real node would), or with `repair: false` through the bare iterative lookup, which
   * routes around dead hops but changes nothing.
   */
  async measureLookups (count: number, options: { repair?: boolean } = {}): Promise<HopStats> {
    const oracle = this.oracle()
    const live = this.live()
    const hops: number[] = []
    let failed = 0
    let wrong = 0
    let timeouts = 0
    let deadHead = 0
    for (let i = 0; i < count; i++) {
      const from = live[this.rng.int(live.length)]
      const key = this.rng.bigint(this.space.m)
      const events = options.repair === false
        ? lookup(this.space, this.net, key, from.state.findSuccessor(key),
          { origin: { node: from.self, state: () => from.handleGetState() } })
        : from.lookup(key)
      for await (const event of events) {
        if (event.type === 'hop-failed') timeouts++
        else if (event.type === 'failed') failed++
        else if (event.type === 'found') {
          hops.push(event.hops)
          // The answer is the owner followed by its successors; a caller contacts them in order, so the owner
          // it reaches is the first live one. A dead head costs it one timeout, counted apart.
          const owner = event.nodes.find(n => this.net.isLive(n))
          if (owner === undefined || !oracle.owns(owner, key)) wrong++
          if (!this.net.isLive(event.nodes[0])) deadHead++
        }
      }
    }
    return { lookups: count, failed, wrong, deadHead, timeouts, ...summarize(hops) }
  }

  /** Crash a random `fraction` of the live nodes at once; returns how many. */
  fail (fraction: number): number {
    const live = this.rng.shuffle(this.live())
    const count = Math.min(live.length - 1, Math.floor(live.length * fraction))
    for (const node of live.slice(0, count)) this.net.kill(node.self.address)
    return count
  }

  /** The ring core's own invariant check (a walk along successor pointers) from a random live node. */
  async checkRing (): Promise<boolean> {
    const live = this.live()
    const from = live[this.rng.int(live.length)]
    return (await from.checkRing(live.length + 1)).ok
  }

  /** Run rounds and return the traffic they caused, per node per round. */
  async measureMaintenance (rounds: number): Promise<SimReport['maintenance']> {
    const before: TrafficStats = structuredClone(this.net.stats)
    for (let i = 0; i < rounds; i++) await this.round()
    const per = rounds * this.live().length
    return {
      rounds,
      messagesPerNodePerRound: (this.net.stats.messages - before.messages) / per,
      bytesPerNodePerRound: (this.net.stats.bytes - before.bytes) / per
    }
  }
}

/** The whole experiment the CLI runs: build, converge, measure hops, then optionally the mass failure. */
export async function runSimulation (options: SimOptions): Promise<SimReport> {
  const started = performance.now()
  const n = options.nodes
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`nodes must be a positive integer, got ${n}`)
  const m = options.m ?? DEFAULT_M
  const r = options.r ?? defaultR(n)
  const seed = options.seed ?? 1
  const keys = options.keys ?? 10_000
  const maxRounds = options.maxRounds ?? 500
  const progress = options.onProgress ?? (() => {})
  const sim = new Simulation({ m, r, seed })
  if (BigInt(n) > sim.space.size) throw new RangeError(`${n} nodes do not fit in a ${m}-bit identifier space`)

  const build = await sim.build(n, { growth: options.growth, maxRounds, onProgress: progress })
  const ringOk = await sim.checkRing()
  progress(`ring check: ${ringOk ? 'ok' : 'FAILED'}; measuring ${keys} lookups`)
  let t = performance.now()
  const hops = { ...(await sim.measureLookups(keys)), halfLog2N: Math.log2(n) / 2, ms: performance.now() - t }
  const maintenance = await sim.measureMaintenance(n >= 5000 ? 1 : 3)

  let failure: SimReport['failure']
  if (options.fail !== undefined && options.fail > 0) {
    const killed = sim.fail(options.fail)
    progress(`killed ${killed} nodes; measuring ${keys} lookups before repair`)
    const immediate = await sim.measureLookups(keys, { repair: false })
    t = performance.now()
    const restabilize = { ...(await sim.converge(maxRounds, 'full')), ms: performance.now() - t }
    progress(`re-stabilised: ${restabilize.converged} after ${restabilize.rounds} rounds`)
    const failedRingOk = await sim.checkRing()
    const after = await sim.measureLookups(keys)
    failure = { fraction: options.fail, killed, live: sim.live().length, immediate, restabilize, ringOk: failedRingOk, after }
  }
  return { nodes: n, m, r, seed, build, ringOk, hops, maintenance, failure, ms: performance.now() - started }
}

/**
 * The convergence test after each round, exact but cheap while most nodes are still wrong. A pass diagnoses the
 * nodes in a fixed order and stops at the first `limit` wrong ones; the next pass starts at the first of them,
 * wrapping round, so nodes that were right are re-checked only when everything after them is right too. A pass
 * that returns nothing has diagnosed every node against the same post-round state. (Diagnosing every node after
 * every round took about a tenth of a whole run at N = 10^4, mostly in rounds that had long been decided.)
 */
export class ConvergenceCheck {
  private cursor = 0

  constructor (
    private readonly oracle: RingOracle,
    private readonly nodes: readonly ChordNode[],
    private readonly level: ConvergenceLevel,
    private readonly limit = 5
  ) {}

  /** What is wrong now with the first `limit` wrong nodes from the cursor on ("address: problem"); [] when none. */
  problems (): string[] {
    const problems: string[] = []
    const n = this.nodes.length
    let first = -1
    for (let k = 0; k < n && problems.length < this.limit; k++) {
      const i = (this.cursor + k) % n
      const node = this.nodes[i]
      const problem = this.oracle.diagnose(node, this.level)
      if (problem === undefined) continue
      if (first < 0) first = i
      problems.push(`${node.self.address}: ${problem}`)
    }
    if (first >= 0) this.cursor = first
    return problems
  }
}

function summarize (values: number[]): Pick<HopStats, 'mean' | 'p50' | 'p99' | 'max'> {
  if (values.length === 0) return { mean: NaN, p50: NaN, p99: NaN, max: NaN }
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
  return { mean: sorted.reduce((a, b) => a + b, 0) / sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] }
}
