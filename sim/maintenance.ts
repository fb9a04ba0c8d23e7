// Maintenance traffic in simulated time: the production ring core (src/ring ChordNode) on the in-memory SimNetwork,
// every node running stabilize, fix_fingers, check_predecessor and probe_departed on its own jittered timer, as
// src/chord/maintenance.ts does (each wait drawn from [½, 1½] × the interval, counted from the end of the run
// before), with the production default intervals unless told otherwise. Two experiments:
// - idle: a converged ring of N nodes, nothing else happening: bytes per node per second, by message and task;
// - churn (the workload of the Chord ToN and p2psim studies, Li et al. 2005): exponential session times, every
//   node that leaves (a crash) replaced at once by a new node joining, so N stays constant; each node looks up a
//   random key at exponential intervals. Lookups are checked against the live ids at that instant.
//
// Model, and what it leaves out: a remote call is answered at once in simulated time, so a task's run takes no
// time (in a real node a call to a dead node holds its task for the rpc timeout). Lookup latency is computed
// from the lookup's events: a seeded random round-trip time per answered hop, the rpc timeout per unanswered
// one, and one timeout more when the answer leads with a crashed node (the caller tries it first). A join is
// the ring part of an admission (successorsFor from a random live member, then ChordNode.join); the membership
// messages around it (JOIN, the certificate) are not counted. Bytes are those of sim/network.ts.
import { IdSpace, DEFAULT_M } from '../src/ring/id.js'
import { ChordNode } from '../src/ring/node.js'
import { SimNetwork, type Traffic, type TrafficStats } from './network.js'
import { Prng } from './prng.js'

/** src/config.ts defaults. */
export const DEFAULT_TIMERS = { stabilizeMs: 1_000, fixFingersMs: 500, checkPredecessorMs: 2_000 }
/** src/config.ts default successor list length. */
export const DEFAULT_R = 16
/** src/chord/service.ts DEFAULT_LIMITS.timeoutMs: how long a call to a dead node costs a lookup. */
export const DEFAULT_TIMEOUT_MS = 3_000

export interface Timers { stabilizeMs: number, fixFingersMs: number, checkPredecessorMs: number }

export interface TrafficOptions {
  nodes: number
  m?: number
  /** Successor list length (default DEFAULT_R, the production default). */
  r?: number
  seed?: number
  timers?: Timers
  /** Simulated seconds run before measuring (default 30). */
  warmupS?: number
  /** Simulated seconds measured (default 60). */
  measureS?: number
  /** Churn: mean session time in seconds (exponential); none when absent. */
  meanSessionS?: number
  /** Mean seconds between two lookups of one node (exponential); none when absent. */
  lookupIntervalS?: number
  /** false: GET_STATE without digests (sim/network.ts), to measure the protocol as it was. Default true. */
  stateDigests?: boolean
  /** false: a changed GET_STATE answer resends every certificate (the protocol before RecentReplies). Default true. */
  certDeltas?: boolean
  /** Round-trip time of one answered hop, drawn uniformly from [min, max] ms (default 20..180). */
  rttMs?: readonly [number, number]
  timeoutMs?: number
  onProgress?: (message: string) => void
}

export interface LookupStats {
  lookups: number
  correct: number
  incorrect: number
  failed: number
  hops: Percentiles
  latencyMs: Percentiles
  /** Calls of the lookups that found their target dead. */
  timeouts: number
}

export interface Percentiles { mean: number, p50: number, p90: number, p99: number, max: number }

export interface TrafficReport {
  nodes: number
  r: number
  seed: number
  timers: Timers
  measureS: number
  /** Σ over nodes of the seconds each was alive within the measured window. */
  aliveSeconds: number
  /** Sent bytes per node per alive-second (each message counted once, at its sender): everything, on the wire. */
  bytesPerNodeSecond: number
  /** The same, protobuf payload and length prefixes only. */
  payloadPerNodeSecond: number
  messagesPerNodeSecond: number
  byKind: Record<string, Traffic>
  byTask: Record<string, Traffic>
  churn?: { meanSessionS: number, departures: number, joins: number, failedJoins: number }
  lookups?: LookupStats
  ms: number
}

type TaskName = 'stabilize' | 'fix_fingers' | 'check_predecessor' | 'probe_departed'

interface Event { t: number, seq: number, run: () => Promise<void> }

/** A binary min-heap of events by time, then by scheduling order (so a run is deterministic). */
class EventQueue {
  private readonly heap: Event[] = []
  private seq = 0

  get size (): number {
    return this.heap.length
  }

  push (t: number, run: () => Promise<void>): void {
    const h = this.heap
    h.push({ t, seq: this.seq++, run })
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(h[i], h[p])) break
      ;[h[i], h[p]] = [h[p], h[i]]
      i = p
    }
  }

  pop (): Event | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last !== undefined) {
      h[0] = last
      let i = 0
      while (true) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && before(h[l], h[m])) m = l
        if (r < h.length && before(h[r], h[m])) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m], h[i]]
        i = m
      }
    }
    return top
  }

  peek (): Event | undefined {
    return this.heap[0]
  }
}

function before (a: Event, b: Event): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq)
}

/** N ChordNodes on a SimNetwork in simulated time (ms). */
export class TimedSim {
  readonly space: IdSpace
  readonly net: SimNetwork
  readonly rng: Prng
  readonly r: number
  readonly timers: Timers
  /** Simulated time, ms. */
  now = 0
  private readonly queue = new EventQueue()
  private readonly byId = new Map<bigint, ChordNode>()
  /** Live ids, sorted: the oracle. */
  private readonly ids: bigint[] = []
  private spawned = 0
  private aliveMs = 0
  private aliveSince = 0
  private counting = false
  departures = 0
  joins = 0
  failedJoins = 0

  constructor (options: { m?: number, r: number, seed?: number, timers?: Timers, stateDigests?: boolean, certDeltas?: boolean }) {
    this.space = new IdSpace(options.m ?? DEFAULT_M)
    this.r = options.r
    this.timers = options.timers ?? DEFAULT_TIMERS
    this.net = new SimNetwork(this.space.m, { stateDigests: options.stateDigests, certDeltas: options.certDeltas })
    this.rng = new Prng(options.seed ?? 1)
  }

  get size (): number {
    return this.ids.length
  }

  /** The node that owns `key` now: the first live id at or after it. */
  owner (key: bigint): bigint {
    const i = this.lowerBound(key)
    return this.ids[i === this.ids.length ? 0 : i]
  }

  live (id: bigint): ChordNode | undefined {
    return this.byId.get(id)
  }

  randomLive (): ChordNode {
    return this.byId.get(this.ids[this.rng.int(this.ids.length)])!
  }

  /**
   * A converged ring of `n` nodes at once: every node's predecessor, successor list and fingers set from the
   * sorted ids (what `npm run sim` reaches by joins and rounds), its timers started at random phases.
   */
  warmStart (n: number): ChordNode[] {
    const nodes = Array.from({ length: n }, () => this.create())
    const sorted = [...nodes].sort((a, b) => (a.self.id < b.self.id ? -1 : 1))
    for (const node of sorted) this.insertId(node.self.id)
    sorted.forEach((node, i) => {
      const st = node.state
      if (n > 1) st.predecessor = sorted[(i + n - 1) % n].self
      st.setSuccessors(Array.from({ length: Math.min(this.r, n) }, (_, j) => sorted[(i + 1 + j) % n].self))
      do {
        const { index, start } = st.fingers.next()
        st.fingers.set(index, this.byId.get(this.owner(start))!.self)
      } while (st.fingers.next().index !== 0)
    })
    for (const node of nodes) this.startTimers(node)
    return nodes
  }

  /** A new node joins through a random live member (the ring part of an admission) and starts its timers. */
  async join (): Promise<ChordNode> {
    const via = this.randomLive()
    const node = this.create()
    this.net.task = 'join'
    try {
      await node.join(await via.successorsFor(node.self.id))
      this.joins++
    } catch {
      this.failedJoins++ // a node alone, on a ring of its own: it still runs and counts
    }
    this.insertId(node.self.id)
    this.startTimers(node)
    return node
  }

  /** Crash `node`: it stops answering and its timers stop. */
  crash (node: ChordNode): void {
    this.accrue()
    this.net.kill(node.self.address)
    this.byId.delete(node.self.id)
    this.ids.splice(this.lowerBound(node.self.id), 1)
    this.departures++
  }

  /** Schedule `run` at `t` (simulated ms). */
  at (t: number, run: () => Promise<void>): void {
    this.queue.push(t, run)
  }

  /** Run every event up to `until` (ms). */
  async runUntil (until: number): Promise<void> {
    for (let e = this.queue.peek(); e !== undefined && e.t <= until; e = this.queue.peek()) {
      this.queue.pop()
      this.now = e.t
      await e.run()
    }
    this.now = until
  }

  /** Start counting traffic and alive time from now. */
  startMeasuring (): void {
    this.net.resetStats()
    this.aliveMs = 0
    this.aliveSince = this.now
    this.counting = true
  }

  /** Σ node-alive seconds since startMeasuring. */
  aliveSeconds (): number {
    this.accrue()
    return this.aliveMs / 1000
  }

  private accrue (): void {
    if (this.counting) this.aliveMs += (this.now - this.aliveSince) * this.ids.length
    this.aliveSince = this.now
  }

  private create (): ChordNode {
    let id: bigint
    do id = this.rng.bigint(this.space.m); while (this.byId.has(id))
    const self = { id, address: `n${this.spawned++}` }
    const node = new ChordNode({ space: this.space, self, r: this.r, transport: this.net.from(self.address) })
    this.net.add(node)
    this.byId.set(id, node)
    return node
  }

  private insertId (id: bigint): void {
    this.accrue()
    this.ids.splice(this.lowerBound(id), 0, id)
  }

  private lowerBound (key: bigint): number {
    let lo = 0
    let hi = this.ids.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.ids[mid] < key) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private startTimers (node: ChordNode): void {
    const t = this.timers
    const tasks: Array<[TaskName, number, () => Promise<unknown>]> = [
      ['stabilize', t.stabilizeMs, async () => node.stabilize()],
      ['fix_fingers', t.fixFingersMs, async () => node.fixFingers()],
      ['check_predecessor', t.checkPredecessorMs, async () => node.checkPredecessor()],
      ['probe_departed', t.checkPredecessorMs, async () => node.probeDeparted()]
    ]
    for (const [name, interval, run] of tasks) {
      const tick = async (): Promise<void> => {
        if (!this.net.isLive(node.self)) return // crashed: its timers end
        this.net.task = name
        try {
          await run()
        } catch {
          // a failed run is retried at the next tick, as the service's task does
        }
        this.at(this.now + interval * (0.5 + this.rng.float()), tick)
      }
      this.at(this.now + interval * (0.5 + this.rng.float()), tick)
    }
  }
}

/** Run the idle or churn experiment. */
export async function runTraffic (options: TrafficOptions): Promise<TrafficReport> {
  const started = performance.now()
  const r = options.r ?? DEFAULT_R
  const seed = options.seed ?? 1
  const warmupMs = (options.warmupS ?? 30) * 1000
  const measureMs = (options.measureS ?? 60) * 1000
  const [rttMin, rttMax] = options.rttMs ?? [20, 180]
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const progress = options.onProgress ?? (() => {})
  const sim = new TimedSim({
    m: options.m, r, seed, timers: options.timers, stateDigests: options.stateDigests, certDeltas: options.certDeltas
  })
  const exp = (mean: number): number => -Math.log(1 - sim.rng.float()) * mean

  const sessionMs = options.meanSessionS === undefined ? undefined : options.meanSessionS * 1000
  const lookupMs = options.lookupIntervalS === undefined ? undefined : options.lookupIntervalS * 1000
  const hops: number[] = []
  const latencies: number[] = []
  const outcome = { lookups: 0, correct: 0, incorrect: 0, failed: 0, timeouts: 0 }
  let measuring = false

  const lookupOnce = async (node: ChordNode): Promise<void> => {
    const key = sim.rng.bigint(sim.space.m)
    sim.net.task = 'lookup'
    let answered = 0
    let failedHops = 0
    let result: readonly ChordNode['self'][] | undefined
    let ended = false
    try {
      for await (const event of node.lookup(key)) {
        if (event.type === 'hop') answered++
        if (event.type === 'hop-failed') { answered--; failedHops++ }
        if (event.type === 'found') result = event.nodes
        if (event.type === 'found' || event.type === 'failed') ended = true
      }
    } catch {
      ended = true
    }
    if (!measuring) return
    outcome.lookups++
    outcome.timeouts += failedHops
    let latency = failedHops * timeoutMs
    for (let i = 0; i < answered; i++) latency += rttMin + sim.rng.float() * (rttMax - rttMin)
    if (!ended || result === undefined) { outcome.failed++; return }
    const first = result.findIndex(n => sim.live(n.id) !== undefined)
    if (first < 0) { outcome.failed++; return }
    latency += first * timeoutMs // the caller tries the crashed nodes the answer leads with first
    if (result[first].id === sim.owner(key)) outcome.correct++
    else outcome.incorrect++
    hops.push(answered + failedHops)
    latencies.push(latency)
  }

  const lifecycle = (node: ChordNode): void => {
    if (sessionMs !== undefined) {
      sim.at(sim.now + exp(sessionMs), async () => {
        sim.crash(node)
        lifecycle(await sim.join())
      })
    }
    if (lookupMs !== undefined) {
      const next = (): void => {
        sim.at(sim.now + exp(lookupMs), async () => {
          if (sim.live(node.self.id) === undefined) return
          await lookupOnce(node)
          next()
        })
      }
      next()
    }
  }

  progress(`warm start: ${options.nodes} nodes, r = ${r}`)
  for (const node of sim.warmStart(options.nodes)) lifecycle(node)
  await sim.runUntil(warmupMs)
  progress(`warm-up done (${warmupMs / 1000} s simulated); measuring ${measureMs / 1000} s`)
  sim.startMeasuring()
  measuring = true
  const departuresBefore = sim.departures
  const joinsBefore = sim.joins
  const failedJoinsBefore = sim.failedJoins
  const step = Math.max(1000, measureMs / 10)
  for (let t = warmupMs + step; t < warmupMs + measureMs + step; t += step) {
    await sim.runUntil(Math.min(t, warmupMs + measureMs))
    progress(`t = ${(sim.now / 1000).toFixed(0)} s simulated, ${sim.size} live, ${sim.departures - departuresBefore} departures`)
  }
  const alive = sim.aliveSeconds()
  const stats: TrafficStats = sim.net.stats
  return {
    nodes: options.nodes,
    r,
    seed,
    timers: sim.timers,
    measureS: measureMs / 1000,
    aliveSeconds: alive,
    bytesPerNodeSecond: stats.bytes / alive,
    payloadPerNodeSecond: stats.payload / alive,
    messagesPerNodeSecond: stats.messages / alive,
    byKind: stats.byKind,
    byTask: stats.byTask,
    churn: options.meanSessionS === undefined
      ? undefined
      : {
          meanSessionS: options.meanSessionS,
          departures: sim.departures - departuresBefore,
          joins: sim.joins - joinsBefore,
          failedJoins: sim.failedJoins - failedJoinsBefore
        },
    lookups: lookupMs === undefined ? undefined : { ...outcome, hops: percentiles(hops), latencyMs: percentiles(latencies) },
    ms: performance.now() - started
  }
}

export function percentiles (values: number[]): Percentiles {
  if (values.length === 0) return { mean: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN }
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length
  return { mean, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] }
}
