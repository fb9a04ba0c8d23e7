// A discrete-event network for the pure Chang-Roberts core: a virtual clock, seeded per-message delays, nodes
// that crash and come back, and partitions. No sockets, no timers. A message to a crashed node fails after
// REFUSED_MS (a refused connection); across a partition after TIMEOUT_MS (the election rpc timeout). `check` runs after
// every event, so an invariant can be asserted at every virtual instant.
import { ChangRoberts, DEFAULT_ELECTION_CONFIG, type ElectionConfig, type ElectionMessage, type Output } from '../src/election/chang-roberts.js'

export const TICK_MS = 50
export const REFUSED_MS = 2
export const TIMEOUT_MS = 500

interface SimNode { id: bigint, core: ChangRoberts, alive: boolean, nextTick: number }
type Event =
  | { at: number, seq: number, kind: 'deliver', from: bigint, to: bigint, message: ElectionMessage }
  | { at: number, seq: number, kind: 'failed', from: bigint, to: bigint, message: ElectionMessage }

export interface SimOptions {
  seed?: number
  /** Message delay range, ms (default 1–5). */
  delay?: [number, number]
  config?: Partial<Omit<ElectionConfig, 'self'>>
}

export class ElectionSim {
  now = 0
  readonly nodes = new Map<bigint, SimNode>()
  readonly sent = new Map<string, number>()
  readonly rejected: string[] = []
  private readonly events: Event[] = []
  private seq = 0
  private rand: () => number
  private group = new Map<bigint, number>()
  private readonly members: bigint[]

  constructor (ids: readonly bigint[], private readonly options: SimOptions = {}) {
    this.rand = mulberry32(options.seed ?? 1)
    this.members = [...ids]
    for (const id of ids) this.nodes.set(id, this.fresh(id, Infinity))
  }

  /** Start `id` (its first tick) at virtual time `at`. */
  start (id: bigint, at = this.now): void {
    this.node(id).nextTick = at
  }

  crash (id: bigint): void {
    this.node(id).alive = false
  }

  /** Bring `id` back as a fresh process; with `follow`, it joins following that leader (as via admission). */
  restart (id: bigint, follow?: { leader: bigint, epoch: number }): void {
    const n = this.fresh(id, this.now)
    if (follow !== undefined) n.core.follow(follow.leader, follow.epoch, this.now)
    this.nodes.set(id, n)
  }

  /** Split the nodes into groups that cannot reach each other. */
  partition (...groups: bigint[][]): void {
    this.group = new Map()
    groups.forEach((g, i) => { for (const id of g) this.group.set(id, i) })
  }

  heal (): void {
    this.group = new Map()
  }

  reachable (a: bigint, b: bigint): boolean {
    return this.node(b).alive && (this.group.get(a) ?? -1) === (this.group.get(b) ?? -1)
  }

  live (): SimNode[] {
    return [...this.nodes.values()].filter(n => n.alive)
  }

  /** Live nodes that act as leader now. */
  acting (): bigint[] {
    return this.live().filter(n => n.core.state(this.now).acting).map(n => n.id)
  }

  count (type: ElectionMessage['type']): number {
    return this.sent.get(type) ?? 0
  }

  /** Run events and ticks until virtual time `until`, calling `check` after each. */
  run (until: number, check?: () => void): void {
    while (true) {
      const tick = this.nextTick()
      const ev = this.events[0]
      const at = Math.min(tick?.nextTick ?? Infinity, ev?.at ?? Infinity)
      if (at > until) break
      this.now = at
      if (ev !== undefined && ev.at === at) {
        this.events.shift()
        this.handle(ev)
      } else if (tick !== undefined) {
        tick.nextTick = at + TICK_MS
        if (tick.alive) this.apply(tick.id, tick.core.tick(this.now))
      }
      check?.()
    }
    this.now = until
  }

  /** Run until `pred` holds (checked after each event) or `until`; the time it first held, or undefined. */
  runUntil (pred: () => boolean, until: number, check?: () => void): number | undefined {
    let at: number | undefined
    const stopAt = until
    while (this.now < stopAt && at === undefined) {
      this.run(Math.min(this.now + 5, stopAt), () => { check?.(); if (at === undefined && pred()) at = this.now })
    }
    return at
  }

  /** Send what a core returned outside the simulator's own calls (e.g. from setMembers). */
  inject (from: bigint, out: Output): void {
    this.apply(from, out)
  }

  private handle (ev: Event): void {
    if (ev.kind === 'deliver') {
      if (!this.reachable(ev.from, ev.to)) {
        this.schedule({ kind: 'failed', from: ev.from, to: ev.to, message: ev.message }, this.node(ev.to).alive ? TIMEOUT_MS : REFUSED_MS)
        return
      }
      this.apply(ev.to, this.node(ev.to).core.step(ev.from, ev.message, this.now))
    } else {
      const sender = this.node(ev.from)
      if (sender.alive) this.apply(ev.from, sender.core.sendFailed(ev.to, ev.message, this.now))
    }
  }

  private apply (from: bigint, out: Output): void {
    if (out.rejected !== undefined) this.rejected.push(out.rejected)
    for (const { to, message } of out.send) {
      this.sent.set(message.type, (this.sent.get(message.type) ?? 0) + 1)
      if (!this.reachable(from, to)) {
        this.schedule({ kind: 'failed', from, to, message }, this.node(to).alive ? TIMEOUT_MS : REFUSED_MS)
      } else {
        const [lo, hi] = this.options.delay ?? [1, 5]
        this.schedule({ kind: 'deliver', from, to, message }, lo + this.rand() * (hi - lo))
      }
    }
  }

  private schedule (ev: Omit<Event, 'at' | 'seq'>, after: number): void {
    const e = { ...ev, at: this.now + after, seq: this.seq++ } as Event
    let i = this.events.length
    while (i > 0 && (this.events[i - 1].at > e.at || (this.events[i - 1].at === e.at && this.events[i - 1].seq > e.seq))) i--
    this.events.splice(i, 0, e)
  }

  private nextTick (): SimNode | undefined {
    let best: SimNode | undefined
    for (const n of this.nodes.values()) if (best === undefined || n.nextTick < best.nextTick) best = n
    return best
  }

  private fresh (id: bigint, nextTick: number): SimNode {
    const core = new ChangRoberts({ ...DEFAULT_ELECTION_CONFIG, ...this.options.config, self: id })
    core.setMembers(this.members, this.now)
    return { id, core, alive: true, nextTick }
  }

  private node (id: bigint): SimNode {
    const n = this.nodes.get(id)
    if (n === undefined) throw new Error(`no node ${id}`)
    return n
  }
}

function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Every permutation of `items`. */
export function permutations<T> (items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]]
  const out: T[][] = []
  items.forEach((x, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([x, ...rest])
  })
  return out
}
