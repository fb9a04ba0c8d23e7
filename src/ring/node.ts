// The Chord protocol of one node, written once against the abstract Transport so that the libp2p service and the
// simulator run the same code. It owns a ChordState; inbound handlers answer from it, outbound steps (stabilize,
// fix_fingers, check_predecessor, join, leave) talk through the transport. It keeps no timers and reads no clock:
// whoever drives it decides when each step runs.
//
// Departures from the SIGCOMM pseudo-code, all from Zave (2017) and Chord ToN:
// - stabilize adopts its successor's predecessor only after that node answered (it is live), and copies the
//   successor list from whichever node it adopts;
// - a joiner copies its successor's list before it notifies anyone;
// - notify replaces a predecessor that no longer answers, even when the candidate is outside (pred, self);
// - a failed successor is dropped and the next entry of the list takes over in the same stabilize round;
// - stabilize keeps walking back through live predecessors between us and our successor (up to r steps), so
//   nodes that joined one gap together are linked in one round rather than one per round.
//
// One addition the papers lack: ring unification (Shafaat, Ghodsi and Haridi, "Dealing with network partitions
// in structured overlay networks", 2009, simplified). On each side of a partition stabilize closes a ring of its
// own, and nothing in Chord merges two rings again (Zave: "at most one ring" is an invariant the protocol cannot
// restore). A node keeps probing the nodes it found dead; one that answers was cut off, not dead, and the node
// unifies with it (`unify`): it merges the successors the other ring gives for its id into its own list, and
// passes the merge on around both rings.
import { ChordState } from './chord-state.js'
import { checkRing, type RingCheck, type WalkedNode } from './invariants.js'
import { lookup, type LookupEvent, type LookupOptions } from './lookup.js'
import { LookupFailedError } from '../errors.js'
import type { IdSpace } from './id.js'
import type { AbortOptions, FindResult, LeaveInfo, NodeRef, RemoteState, Transport } from './types.js'

export type RingChange =
  | { type: 'successor:change', previous: NodeRef, current: NodeRef }
  | { type: 'predecessor:change', previous?: NodeRef, current?: NodeRef }
  | { type: 'range:change', from?: bigint, to: bigint }
  /** Any change of the successor list (the replica set of this node's range). */
  | { type: 'successors:change', current: readonly NodeRef[] }

/** Most nodes found dead that a node keeps probing, in case they were only cut off (a partition, a hang). */
export const MAX_DEPARTED = 32
/** Failed probes after which a departed node is forgotten (about 30 min for a lone one probed every 2 s). */
export const DEPARTED_PROBES = 900

export interface ChordNodeInit {
  space: IdSpace
  self: NodeRef
  /** Successor list length. */
  r: number
  transport: Transport
  /** Told of every change of successor, predecessor or owned range. */
  onChange?: (change: RingChange) => void
  /** Told of every node found dead, with where it was found. */
  onDeadNode?: (node: NodeRef, where: string) => void
  /** Told of every unification that changed the successor list, with the contact on the other ring. */
  onUnify?: (contact: NodeRef) => void
  /** Told of every node found dead that answered a probe again (it was cut off, or it restarted). */
  onReturn?: (node: NodeRef) => void
  /** Ends the background work others start here (unifications passed on by UNIFY). */
  signal?: AbortSignal
}

export class ChordNode {
  readonly state: ChordState
  readonly space: IdSpace
  readonly self: NodeRef
  private readonly transport: Transport
  private readonly onChange: (change: RingChange) => void
  private readonly onDeadNodeHook: (node: NodeRef, where: string) => void
  private readonly onUnify: (contact: NodeRef) => void
  private readonly onReturn: (node: NodeRef) => void
  private readonly signal?: AbortSignal
  /** Nodes found dead, probed longest ago first, with their failed probes since. */
  private readonly departed = new Map<bigint, { node: NodeRef, misses: number }>()
  /** The unification running in the background, and the contact the next one uses (the latest passed on). */
  private unifying?: Promise<void>
  private nextContact?: NodeRef

  constructor (init: ChordNodeInit) {
    this.space = init.space
    this.self = init.self
    this.transport = init.transport
    this.state = new ChordState(init.space, init.self, init.r)
    this.onChange = init.onChange ?? (() => {})
    this.onDeadNodeHook = init.onDeadNode ?? (() => {})
    this.onUnify = init.onUnify ?? (() => {})
    this.onReturn = init.onReturn ?? (() => {})
    this.signal = init.signal
  }

  // ---- inbound: answers from local state -------------------------------------------------------------------

  handleFindSuccessor (key: bigint): FindResult {
    return this.state.findSuccessor(key)
  }

  handleGetState (): RemoteState {
    return { predecessor: this.state.predecessor, successors: this.state.successors }
  }

  async handleNotify (candidate: NodeRef, options?: AbortOptions): Promise<void> {
    if (this.mutate(() => this.state.notify(candidate))) return
    const pred = this.state.predecessor
    if (pred === undefined || pred.id === candidate.id) return
    // Zave: the candidate is outside (pred, self); adopt it anyway if our predecessor is dead.
    if (!(await this.isLive(pred, options))) {
      this.markDead(pred, 'notify')
      this.mutate(() => this.state.notify(candidate))
    }
  }

  handleLeave (info: LeaveInfo): void {
    const { leaver } = info
    this.mutate(() => {
      const wasPred = this.state.predecessor?.id === leaver.id
      const wasSucc = this.state.successor.id === leaver.id
      this.state.remove(leaver.id)
      if (wasPred && info.predecessor !== undefined && info.predecessor.id !== this.self.id) this.state.predecessor = info.predecessor
      if (wasSucc) this.state.setSuccessors(info.successors.filter(n => n.id !== leaver.id))
    })
  }

  /**
   * A node passed a unification on (UNIFY), or this node's own services learnt of a node that may route on
   * another ring: unify with `contact` in the background. One runs at a time; the latest contact offered while
   * one runs is used next, the others are dropped (a flood of UNIFY costs one lookup at a time).
   */
  handleUnify (contact: NodeRef): void {
    if (contact.id === this.self.id || this.signal?.aborted === true) return
    if (this.unifying !== undefined) {
      this.nextContact = contact
      return
    }
    const run = async (next: NodeRef | undefined): Promise<void> => {
      for (; next !== undefined && this.signal?.aborted !== true; next = this.nextContact) {
        this.nextContact = undefined
        await this.unify(next, { signal: this.signal }).catch(() => {})
      }
    }
    this.unifying = run(contact).finally(() => { this.unifying = undefined })
  }

  // ---- outbound steps ------------------------------------------------------------------------------------

  /**
   * stabilize (Chord Fig. 6 with Zave's corrections): learn our successor's predecessor and list, adopt a closer
   * successor once it has answered, refresh the successor list, notify. A dead successor is dropped and the next
   * list entry is tried at once, up to r times.
   */
  async stabilize (options?: AbortOptions): Promise<void> {
    for (let attempt = 0; attempt <= this.state.r; attempt++) {
      let succ = this.state.successor
      if (succ.id === this.self.id) {
        // A lone node whose predecessor is known has a two-node ring: its predecessor is its successor too.
        if (this.state.predecessor === undefined) return
        succ = this.state.predecessor
      }
      let st: RemoteState
      try {
        st = await this.transport.getState(succ, options)
      } catch {
        options?.signal?.throwIfAborted()
        this.markDead(succ, 'stabilize')
        continue
      }
      let next = succ
      let list = [succ, ...st.successors]
      // Walk back through predecessors that lie between us and the candidate, adopting each only once it has
      // answered (Zave). The SIGCOMM version takes one step per round, so k nodes joining one gap at once
      // needed k rounds; the walk closes the gap in one. Bounded by r steps.
      let p = st.predecessor
      for (let step = 0; step < this.state.r && p !== undefined && p.id !== this.self.id &&
        this.space.between(this.self.id, p.id, next.id); step++) {
        let pst: RemoteState
        try {
          pst = await this.transport.getState(p, options)
        } catch {
          options?.signal?.throwIfAborted() // p is dead: keep `next`, whose check_predecessor will clear it
          break
        }
        next = p
        list = [p, ...pst.successors]
        p = pst.predecessor
      }
      this.mutate(() => this.state.setSuccessors(list))
      // `p` is now what `next` gave as its predecessor. When that is us already, NOTIFY would change nothing
      // there (it adopts only a candidate in (pred, next)): skip it, the message most rounds of a quiet ring sent.
      if (p?.id === this.self.id) return
      try {
        await this.transport.notify(next, this.self, options)
      } catch {
        options?.signal?.throwIfAborted()
      }
      return
    }
  }

  /**
   * fix_fingers (Chord Fig. 6): refresh the next finger (and the run of fingers the same owner covers). The
   * current finger f is still successor(start) when start ∈ (pred(f), f], so before any lookup f is asked for
   * its predecessor alone: one GET_STATE, which in a quiet ring the transport answers with a few bytes
   * (`unchanged`) where the lookup's last hop carried r + 1 peers. A node that joined in [start, f) has notified
   * f, so f's predecessor shows it, and the lookup runs. (Reading the owner off our own successor list instead
   * would save the message but slow convergence: the list's far entries are the last to be corrected.)
   */
  async fixFingers (options?: LookupOptions): Promise<void> {
    const { index, start } = this.state.fingers.next()
    const local = this.state.findSuccessor(start)
    if (local.found) {
      this.state.fingers.set(index, local.nodes[0])
      return
    }
    const finger = this.state.fingers.get(index)
    let dead: bigint | undefined
    if (finger !== undefined && finger.id !== this.self.id) {
      try {
        const { predecessor } = await this.transport.getState(finger, { ...options, successors: 0 })
        if (predecessor !== undefined && this.space.betweenRightIncl(predecessor.id, start, finger.id)) {
          this.state.fingers.set(index, finger)
          return
        }
      } catch {
        options?.signal?.throwIfAborted()
        this.markDead(finger, 'fix_fingers')
        dead = finger.id
      }
    }
    // The answer lists the owner, then its successors: when it still leads with the finger that just failed
    // (the answering node has not noticed yet), the next listed node owns the start. Two nodes are enough for
    // that; the r + 1 a found answer carries by default were most of fix_fingers' bytes under churn.
    const found = await this.findOwner(start, { ...options, nodes: 2 })
    this.state.fingers.set(index, found.nodes.find(n => n.id !== dead) ?? found.nodes[0])
  }

  /** check_predecessor (Chord Fig. 6): forget a predecessor that no longer answers. */
  async checkPredecessor (options?: AbortOptions): Promise<void> {
    const pred = this.state.predecessor
    if (pred === undefined) return
    if (!(await this.isLive(pred, options))) this.markDead(pred, 'check_predecessor')
  }

  /**
   * Probe the departed node probed longest ago (one PING). One that answers was cut off rather than dead (a
   * partition, a hung process): it leaves the list, it is asked to unify with this node (UNIFY), and this node
   * unifies with it, since by now either may route on a ring of its own. A node that keeps failing is forgotten
   * after DEPARTED_PROBES probes. Returns whether a unification changed this node's successor list.
   */
  async probeDeparted (options?: AbortOptions): Promise<boolean> {
    const first = this.departed.values().next()
    if (first.done === true) return false
    const entry = first.value
    this.departed.delete(entry.node.id)
    if (!(await this.isLive(entry.node, options))) {
      if (++entry.misses < DEPARTED_PROBES && !this.departed.has(entry.node.id)) this.departed.set(entry.node.id, entry)
      return false
    }
    this.onReturn(entry.node)
    // It may not know it was cut off (the cut may have been ours, or short): ask it to unify with us too.
    await this.transport.unify(entry.node, this.self, options).catch(() => { options?.signal?.throwIfAborted() })
    return await this.unify(entry.node, options)
  }

  /** How many departed nodes this node is probing. */
  get departedCount (): number {
    return this.departed.size
  }

  /**
   * Ring unification with `contact`, a live node that may route on another ring: look up this node's id through
   * `contact` (the owner of our id over there is our successor on that ring), take the closest r of those nodes
   * and our own list as the successor list, and notify the new successor. Then pass the merge on: our former
   * successor unifies with `contact`, and the new successor, when it came from the other ring, with us. A node
   * whose list does not change passes nothing on, so the wave runs once round each ring and stops; stabilize
   * then links the predecessors. Returns whether this node's successor list changed.
   */
  async unify (contact: NodeRef, options?: LookupOptions): Promise<boolean> {
    if (contact.id === this.self.id) return false
    let theirs: readonly NodeRef[]
    try {
      theirs = (await this.findOwnerVia(contact, this.self.id, options)).nodes
    } catch {
      options?.signal?.throwIfAborted()
      return false // the contact went away again: a later probe or stabilize round tries again
    }
    const before = this.state.successors
    const merged = this.closestAfterSelf([...before, contact, ...theirs])
    if (merged.length === before.length && merged.every((n, i) => n.id === before[i].id)) return false
    const known = new Set(before.map(n => n.id))
    const formerSuccessor = this.state.successor
    this.mutate(() => this.state.setSuccessors(merged))
    const successor = this.state.successor
    this.onUnify(contact)
    await this.transport.notify(successor, this.self, options).catch(() => { options?.signal?.throwIfAborted() })
    const passOn: Array<[NodeRef, NodeRef]> = []
    if (formerSuccessor.id !== this.self.id && formerSuccessor.id !== successor.id) passOn.push([formerSuccessor, contact])
    if (!known.has(successor.id)) passOn.push([successor, this.self])
    await Promise.all(passOn.map(async ([to, c]) => this.transport.unify(to, c, options).catch(() => {})))
    return true
  }

  /**
   * Everything a joiner with id `id` needs to enter the ring: its successor and the list after it. The lookup's
   * answer may still lead with a node that has crashed; the joiner's successor is then the next live one.
   */
  async successorsFor (id: bigint, options?: LookupOptions): Promise<NodeRef[]> {
    const found = await this.findOwner(id, options)
    for (const owner of found.nodes) {
      // Ids are SHA-256 of authenticated PeerIds, so a node listed under the joiner's own id is an earlier
      // incarnation of the joiner (restarted before the ring noticed the crash): its place is the joiner's now.
      if (owner.id === id) continue
      if (owner.id === this.self.id) return [this.self, ...this.state.successors.filter(n => n.id !== this.self.id && n.id !== id)]
      try {
        const st = await this.transport.getState(owner, options)
        return [owner, ...st.successors.filter(n => n.id !== id)]
      } catch {
        options?.signal?.throwIfAborted()
        this.markDead(owner, 'successorsFor')
      }
    }
    throw new LookupFailedError(`no live successor for ${this.space.toHex(id).slice(0, 12)}: every node of the answer is down`)
  }

  /** Enter the ring with the successor list an admitting node gave us (Zave: copy the list, then notify). */
  async join (successors: readonly NodeRef[], options?: AbortOptions): Promise<void> {
    this.mutate(() => this.state.setSuccessors(successors))
    try {
      await this.transport.notify(this.state.successor, this.self, options)
    } catch {
      options?.signal?.throwIfAborted() // stabilize will find a live successor
    }
  }

  /** Graceful leave: tell successor and predecessor who replaces us. Failures are ignored: we go anyway. */
  async leave (options?: AbortOptions): Promise<void> {
    const info: LeaveInfo = { leaver: this.self, predecessor: this.state.predecessor, successors: this.state.successors }
    const targets = new Map<bigint, NodeRef>()
    for (const n of [this.state.successor, this.state.predecessor]) if (n !== undefined && n.id !== this.self.id) targets.set(n.id, n)
    await Promise.all([...targets.values()].map(async n => this.transport.leave(n, info, options).catch(() => {})))
  }

  // ---- lookups -------------------------------------------------------------------------------------------

  /** Iterative lookup events from this node; the last event is `found` or `failed`. */
  lookup (key: bigint, options: LookupOptions = {}): AsyncGenerator<LookupEvent> {
    if (key < 0n || key >= this.space.size) throw new RangeError(`key ${key} is outside the ring [0, 2^${this.space.m})`)
    return lookup(this.space, this.transport, key, this.state.findSuccessor(key), {
      ...options,
      origin: { node: this.self, state: () => this.handleGetState() },
      onDeadNode: node => { this.markDead(node, 'lookup'); options.onDeadNode?.(node) }
    })
  }

  /** Lookup through `via` instead of local state (a node that is not on the ring yet). */
  lookupVia (via: NodeRef, key: bigint, options: LookupOptions = {}): AsyncGenerator<LookupEvent> {
    return lookup(this.space, this.transport, key, { found: false, nodes: [via] }, options)
  }

  /** The owner of `key` and the nodes after it, with the hop count; throws when the lookup fails. */
  async findOwner (key: bigint, options?: LookupOptions): Promise<{ nodes: readonly NodeRef[], hops: number }> {
    for await (const event of this.lookup(key, options)) {
      if (event.type === 'found') return { nodes: event.nodes, hops: event.hops }
      if (event.type === 'failed') throw new LookupFailedError(`lookup of ${this.space.toHex(key).slice(0, 12)} failed: ${event.reason}`)
    }
    throw new LookupFailedError('lookup ended without a result')
  }

  /** The owner of `key` and the nodes after it, looked up through `via` rather than our own state. */
  private async findOwnerVia (via: NodeRef, key: bigint, options?: LookupOptions): Promise<{ nodes: readonly NodeRef[] }> {
    for await (const event of this.lookupVia(via, key, options)) {
      if (event.type === 'found') return { nodes: event.nodes }
      if (event.type === 'failed') throw new LookupFailedError(`lookup through ${via.address} failed: ${event.reason}`)
    }
    throw new LookupFailedError('lookup ended without a result')
  }

  /** `nodes` without this node and duplicates, nearest after this node first, the first r of them. */
  private closestAfterSelf (nodes: readonly NodeRef[]): NodeRef[] {
    const byId = new Map<bigint, NodeRef>()
    for (const n of nodes) if (n.id !== this.self.id) byId.set(n.id, n)
    const d = (n: NodeRef): bigint => this.space.distance(this.self.id, n.id)
    return [...byId.values()].sort((a, b) => (d(a) < d(b) ? -1 : d(a) > d(b) ? 1 : 0)).slice(0, this.state.r)
  }

  /**
   * Walk the ring along successor pointers from here (at most `limit` nodes) and check its invariants. Nodes
   * mentioned but not walked are pinged to tell crashed nodes from unreachable live ones.
   */
  async checkRing (limit = 10_000, options?: AbortOptions): Promise<RingCheck & { walk: WalkedNode[] }> {
    const walk: WalkedNode[] = [{ node: this.self, ...this.handleGetState() }]
    const live = new Map<bigint, boolean>([[this.self.id, true]])
    const onWalk = new Set<bigint>([this.self.id])
    let closed = false
    while (walk.length <= limit) {
      const last = walk[walk.length - 1]
      let next: WalkedNode | undefined
      for (const s of last.successors) {
        if (s.id === this.self.id) { closed = true; break }
        try {
          next = { node: s, ...(await this.transport.getState(s, options)) }
          live.set(s.id, true)
          break
        } catch {
          options?.signal?.throwIfAborted()
          live.set(s.id, false)
        }
      }
      if (closed || next === undefined) break
      if (onWalk.has(next.node.id)) break // a loop that misses us: not closed
      onWalk.add(next.node.id)
      walk.push(next)
    }
    for (const w of walk) {
      for (const n of [w.predecessor, ...w.successors]) {
        if (n !== undefined && !live.has(n.id)) live.set(n.id, await this.isLive(n, options))
      }
    }
    return { ...checkRing(this.space, walk, closed, n => live.get(n.id) ?? false), walk }
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  private async isLive (node: NodeRef, options?: AbortOptions): Promise<boolean> {
    if (node.id === this.self.id) return true
    try {
      await this.transport.ping(node, options)
      return true
    } catch {
      options?.signal?.throwIfAborted()
      return false
    }
  }

  /** Drop a node found dead from all local state; it joins the departed nodes this node keeps probing. */
  markDead (node: NodeRef, where: string): void {
    this.mutate(() => this.state.remove(node.id))
    if (node.id !== this.self.id) {
      this.departed.delete(node.id)
      this.departed.set(node.id, { node, misses: 0 })
      if (this.departed.size > MAX_DEPARTED) this.departed.delete(this.departed.keys().next().value as bigint)
    }
    this.onDeadNodeHook(node, where)
  }

  /** Run a state change and report what it changed. */
  private mutate<T> (fn: () => T): T {
    const succ = this.state.successor
    const list = this.state.successors
    const pred = this.state.predecessor
    const result = fn()
    const nextSucc = this.state.successor
    const nextList = this.state.successors
    const nextPred = this.state.predecessor
    if (nextSucc.id !== succ.id) this.onChange({ type: 'successor:change', previous: succ, current: nextSucc })
    // The same array is the same list (ChordState replaces its list, never edits it): no need to read every node.
    if (nextList !== list && (nextList.length !== list.length || nextList.some((n, i) => n.id !== list[i].id))) this.onChange({
      type: 'successors:change', current: nextList
    })
    if (nextPred?.id !== pred?.id) {
      this.onChange({ type: 'predecessor:change', previous: pred, current: nextPred })
      this.onChange({ type: 'range:change', from: nextPred?.id, to: this.self.id })
    }
    return result
  }
}
