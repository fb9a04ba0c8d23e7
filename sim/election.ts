// A discrete-event network for the pure Chang-Roberts core (src/election/chang-roberts.ts): a virtual clock, a
// seeded per-message delay, nodes that crash (they drop everything) and come back, and partitions. No timers, no
// sockets: `run` pops events from a heap in time order. Each node is woken exactly when its core says
// (`nextTick()`), so lease expiries and timeouts happen at their exact instants.
//
// Failures are reported as the election service would see them: a message to a crashed node fails after
// `refusedMs` (a refused connection); one across a partition or a cut link after `timeoutMs` (the rpc timeout). A message in
// flight when its receiver crashes, or when a partition cuts it off, fails the same way.
//
// After every event the simulator checks that at most one node acts as the leader (`acting` is re-evaluated at
// the current instant for every node that may act, so a lapsed lease is seen lapsed); a violation throws.
import {
  ChangRoberts, DEFAULT_ELECTION_CONFIG, type ElectionConfig, type ElectionMessage, type ElectionMessageType, type Output
} from '../src/election/chang-roberts.js'

export interface ElectionSimOptions {
  /** Seed of the message delays. Default 1. */
  seed?: number
  /** One-way delay range, ms. Default [1, 5]. */
  delay?: readonly [number, number]
  /** A send to a crashed node fails after this long. Default 2. */
  refusedMs?: number
  /** A send across a partition fails after this long (the service's rpc timeout). Default 500. */
  timeoutMs?: number
  /** Core settings for every node (timers, `arrange`). */
  config?: Partial<Omit<ElectionConfig, 'self'>>
  /** Check "at most one acting leader" after every event (default true). */
  check?: boolean
}

export interface SimNode {
  readonly id: bigint
  core: ChangRoberts
  alive: boolean
  /** The node's timer runs (its first tick is due or done). */
  started: boolean
  /** Bumped by every crash and restart: failures reported to an earlier life are dropped. */
  life: number
  /** Generation of the node's pending wake-up; older ones are stale. */
  wakeGen: number
  wakeAt: number
}

const DELIVER = 0
const FAILED = 1
const WAKE = 2
interface Ev {
  at: number, seq: number, kind: 0 | 1 | 2, node: SimNode, from?: SimNode, life: number, gen: number, message?: ElectionMessage
}

/** How a crashed node comes back: with no memory, with its stored epoch, or following the current leader. */
export type Comeback = 'fresh' | 'stored-epoch' | 'follow'

export class ElectionSim {
  now = 0
  readonly nodes = new Map<bigint, SimNode>()
  /** Messages handed to the network, by type (re-sends after failures included). */
  readonly sent: Record<ElectionMessageType, number> = { ELECTION: 0, ELECTED: 0, HEARTBEAT: 0, HEARTBEAT_ACK: 0 }
  readonly rejected: string[] = []
  /** Events processed (a measure of the simulator's own work). */
  steps = 0
  private readonly heap: Ev[] = []
  private seq = 0
  private readonly rand: () => number
  private group = new Map<bigint, number>()
  private readonly cuts = new Set<string>()
  private readonly ids: bigint[]
  private readonly delayLo: number
  private readonly delaySpan: number
  /** Nodes that acted at the last check; only they (and the node just stepped) can be acting now. */
  private actingSet = new Set<SimNode>()

  constructor (ids: readonly bigint[], private readonly options: ElectionSimOptions = {}) {
    this.rand = mulberry32(options.seed ?? 1)
    this.ids = [...ids]
    const [lo, hi] = options.delay ?? [1, 5]
    this.delayLo = lo
    this.delaySpan = hi - lo
    for (const id of ids) {
      const node: SimNode = { id, core: this.newCore(id), alive: true, started: false, life: 0, wakeGen: 0, wakeAt: Infinity }
      this.nodes.set(id, node)
    }
  }

  // ---- scenario controls ---------------------------------------------------------------------------------------

  /** Start `id`'s timer: its first tick is at `at` (default now). Before that it only answers messages. */
  start (id: bigint, at = this.now): void {
    const n = this.node(id)
    n.started = true
    this.wake(n, Math.max(at, this.now))
  }

  startAll (at = this.now): void {
    for (const id of this.ids) this.start(id, at)
  }

  crash (id: bigint): void {
    const n = this.node(id)
    n.alive = false
    n.life++
    n.wakeGen++
    n.wakeAt = Infinity
    this.actingSet.delete(n)
  }

  /**
   * Bring a crashed `id` back as a new process whose timer starts at once: `fresh` remembers nothing (epoch
   * 0); `stored-epoch` resumes after the epoch it had when it crashed; `follow` is admitted by the group and
   * follows the leader some live node follows (as the service does with the view it receives).
   */
  restart (id: bigint, how: Comeback = 'fresh'): void {
    const n = this.node(id)
    if (n.alive) throw new Error(`${id} is not down`)
    const old = n.core.state()
    n.core = this.newCore(id, how === 'stored-epoch' ? old.epoch : undefined)
    n.alive = true
    n.life++
    n.started = true
    if (how === 'follow') {
      const view = this.live().map(x => x.core.state())
        .filter(s => s.leader !== undefined && s.leader !== id)
        .sort((a, b) => b.epoch - a.epoch)[0]
      if (view?.leader !== undefined) this.apply(n, n.core.follow(view.leader, view.epoch, this.now))
    }
    this.wake(n, this.now)
  }

  /** Split the nodes into groups that cannot reach each other (nodes not named form one more group). */
  partition (...groups: ReadonlyArray<readonly bigint[]>): void {
    this.group = new Map()
    groups.forEach((g, i) => { for (const id of g) this.group.set(id, i) })
  }

  /** Cut the link between `a` and `b` only (partitions need not be transitive: a–b and b–c may work, a–c not). */
  cut (a: bigint, b: bigint): void {
    this.cuts.add(linkKey(a, b))
  }

  /** Remove every partition and cut. */
  heal (): void {
    this.group = new Map()
    this.cuts.clear()
  }

  /** Hand the core's output of a call made outside the simulator (e.g. `setMembers`) to the network. */
  inject (id: bigint, out: Output): void {
    const n = this.node(id)
    this.apply(n, out)
    this.wake(n)
    this.check(n)
  }

  // ---- observation ---------------------------------------------------------------------------------------------

  node (id: bigint): SimNode {
    const n = this.nodes.get(id)
    if (n === undefined) throw new Error(`no node ${id}`)
    return n
  }

  live (): SimNode[] {
    return [...this.nodes.values()].filter(n => n.alive)
  }

  /** Live nodes acting as the leader now. */
  acting (): bigint[] {
    return this.live().filter(n => n.core.acting(this.now)).map(n => n.id)
  }

  /** The leader and epoch every live node agrees on, with exactly that node acting; else undefined. */
  settled (): { leader: bigint, epoch: number } | undefined {
    const live = this.live()
    if (live.length === 0) return undefined
    const first = live[0].core.state(this.now)
    if (first.leader === undefined) return undefined
    for (const n of live) {
      const s = n.core.state(this.now)
      if (s.leader !== first.leader || s.epoch !== first.epoch) return undefined
    }
    const acting = this.acting()
    return acting.length === 1 && acting[0] === first.leader ? { leader: first.leader, epoch: first.epoch } : undefined
  }

  reachable (a: bigint, b: bigint): boolean {
    return (this.group.get(a) ?? -1) === (this.group.get(b) ?? -1) && (this.cuts.size === 0 || !this.cuts.has(linkKey(a, b)))
  }

  // ---- running -------------------------------------------------------------------------------------------------

  /** Process every event up to virtual time `until`, then set the clock to `until`. */
  run (until: number): void {
    while (this.heap.length > 0 && this.heap[0].at <= until) this.handle(this.pop())
    this.now = Math.max(this.now, until)
  }

  /** Run until `pred` holds after an event, or until `deadline`; the virtual time it first held, or undefined. */
  runUntil (pred: () => boolean, deadline: number): number | undefined {
    if (pred()) return this.now
    while (this.heap.length > 0 && this.heap[0].at <= deadline) {
      this.handle(this.pop())
      if (pred()) return this.now
    }
    this.now = Math.max(this.now, deadline)
    return undefined
  }

  // ---- internals -----------------------------------------------------------------------------------------------

  private newCore (id: bigint, startEpoch?: number): ChangRoberts {
    const core = new ChangRoberts({
      ...DEFAULT_ELECTION_CONFIG,
      ...this.options.config,
      self: id,
      ...(startEpoch !== undefined ? { startEpoch } : {})
    })
    core.setMembers(this.ids, this.now)
    return core
  }

  private handle (ev: Ev): void {
    this.now = ev.at
    const n = ev.node
    if (ev.kind === WAKE) {
      if (ev.gen !== n.wakeGen || !n.alive) return
      n.wakeAt = Infinity
      this.steps++
      this.apply(n, n.core.tick(this.now))
    } else if (ev.kind === DELIVER) {
      const from = ev.from!
      this.steps++
      if (!n.alive || !this.reachable(from.id, n.id)) {
        this.push({
          at: this.now + (n.alive ? this.timeoutMs() : this.refusedMs()),
          seq: 0, kind: FAILED, node: from, from: n, life: ev.life, gen: 0, message: ev.message
        })
        return
      }
      this.apply(n, n.core.step(from.id, ev.message!, this.now))
    } else {
      if (!n.alive || ev.life !== n.life) return // the sender crashed since: nobody hears of the failure
      this.steps++
      this.apply(n, n.core.sendFailed(ev.from!.id, ev.message!, this.now))
    }
    this.wake(n)
    this.check(n)
  }

  private apply (from: SimNode, out: Output): void {
    if (out.rejected !== undefined) this.rejected.push(out.rejected)
    for (const { to, message } of out.send) {
      this.sent[message.type]++
      const dest = this.node(to)
      if (!dest.alive || !this.reachable(from.id, to)) {
        this.push({
          at: this.now + (dest.alive ? this.timeoutMs() : this.refusedMs()),
          seq: 0, kind: FAILED, node: from, from: dest, life: from.life, gen: 0, message
        })
      } else {
        this.push({
          at: this.now + this.delayLo + this.rand() * this.delaySpan,
          seq: 0, kind: DELIVER, node: dest, from, life: from.life, gen: 0, message
        })
      }
    }
  }

  /** (Re)schedule `n`'s next tick: at `at` when given, else when its core asks. */
  private wake (n: SimNode, at?: number): void {
    if (!n.alive || !n.started) return
    const due = Math.max(this.now, at ?? n.core.nextTick())
    if (!Number.isFinite(due) || due === n.wakeAt) return
    n.wakeAt = due
    this.push({ at: due, seq: 0, kind: WAKE, node: n, life: n.life, gen: ++n.wakeGen })
  }

  /** At most one node acts now. Only `stepped` can have started acting (acting begins only at an input). */
  private check (stepped: SimNode): void {
    if (this.options.check === false) return
    if (stepped.alive && stepped.core.acting(this.now)) this.actingSet.add(stepped)
    else this.actingSet.delete(stepped)
    if (this.actingSet.size <= 1) return
    for (const n of this.actingSet) if (!n.alive || !n.core.acting(this.now)) this.actingSet.delete(n)
    if (this.actingSet.size > 1) {
      const leaders = [...this.actingSet].map(n => `${n.id} (epoch ${n.core.state().epoch})`).join(', ')
      throw new Error(`two acting leaders at t=${this.now}: ${leaders}`)
    }
  }

  private refusedMs (): number {
    return this.options.refusedMs ?? 2
  }

  private timeoutMs (): number {
    return this.options.timeoutMs ?? 500
  }

  // A binary heap ordered by (at, seq): equal times keep insertion order, so runs are deterministic.
  private push (ev: Ev): void {
    ev.seq = this.seq++
    const h = this.heap
    h.push(ev)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(h[i], h[p])) break
      ;[h[i], h[p]] = [h[p], h[i]]
      i = p
    }
  }

  private pop (): Ev {
    const h = this.heap
    const top = h[0]
    const last = h.pop()!
    if (h.length > 0) {
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
}

const linkKey = (a: bigint, b: bigint): string => (a < b ? `${a}:${b}` : `${b}:${a}`)
const before = (a: Ev, b: Ev): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Every permutation of `items`, in lexicographic order of positions. */
export function permutations<T> (items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]]
  const out: T[][] = []
  items.forEach((x, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([x, ...rest])
  })
  return out
}

/** `n` distinct ids, ascending. */
export const simIds = (n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(1_000 + 37 * i))

/** A ring arrangement that puts the ids in the order given (for `config.arrange`). */
export function arrangedAs (order: readonly bigint[]): (ids: readonly bigint[]) => bigint[] {
  const rank = new Map(order.map((id, i) => [id, i]))
  return ids => [...ids].sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0))
}

export interface ElectionCost {
  n: number
  /** ELECTION and ELECTED messages of the first election. */
  election: number
  elected: number
  /** Virtual ms from the first start until every node follows the winner, and until it acts. */
  agreedMs: number
  actingMs: number
  leader: bigint
}

/**
 * The cost of one election among `n` supernodes on the simulated network, for benchmarks: who starts (`all` at
 * once, or only the `smallest` or `largest` id; the others' timers start after it is over), the ring order
 * (`ascending` ids as in production, or `descending` for Chang-Roberts' worst case), default timers unless
 * `config` says otherwise. Acting waits for the boot quiet period (`bootQuietMs`, default promiseMs).
 */
export function measureElection (n: number, opts: {
  starters?: 'all' | 'smallest' | 'largest',
  ring?: 'ascending' | 'descending',
  seed?: number,
  delay?: readonly [number, number],
  config?: ElectionSimOptions['config']
} = {}): ElectionCost {
  const ids = simIds(n)
  const arrange = opts.ring === 'descending' ? arrangedAs([...ids].reverse()) : undefined
  const sim = new ElectionSim(ids, {
    seed: opts.seed ?? n,
    ...(opts.delay !== undefined ? { delay: opts.delay } : {}),
    config: { ...opts.config, ...(arrange !== undefined ? { arrange } : {}) }
  })
  const starters = opts.starters ?? 'all'
  const first = starters === 'all' ? ids : [starters === 'smallest' ? ids[0] : ids[n - 1]]
  for (const id of first) sim.start(id, 0)
  const leader = ids[n - 1]
  const agreed = (): boolean => sim.live().every(x => x.core.state().leader === leader)
  const agreedMs = sim.runUntil(agreed, 60_000)
  if (agreedMs === undefined) throw new Error(`no agreement among ${n}`)
  for (const id of ids) if (!first.includes(id)) sim.start(id)
  const actingMs = sim.runUntil(() => sim.settled()?.leader === leader, 60_000)
  if (actingMs === undefined) throw new Error(`no acting leader among ${n}`)
  return { n, election: sim.sent.ELECTION, elected: sim.sent.ELECTED, agreedMs, actingMs, leader }
}
