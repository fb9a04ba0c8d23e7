// The routing state of one Chord node: predecessor, successor list, finger table, and the local decisions that
// read or change them (Chord §4, with Zave's corrections noted where they apply). No I/O, no clock.
import { FingerTable } from './finger-table.js'
import { normalizeSuccessors } from './successor-list.js'
import type { IdSpace } from './id.js'
import type { FindResult, NodeRef } from './types.js'

/** How many candidates a node offers when it cannot answer a find_successor itself. */
export const DEFAULT_CANDIDATES = 3

export class ChordState {
  predecessor: NodeRef | undefined
  readonly fingers: FingerTable
  private successorList: NodeRef[]
  /** routingNodes' last answer and the two arrays it was made from. */
  private routing?: { fingers: readonly NodeRef[], successors: readonly NodeRef[], nodes: readonly NodeRef[] }

  constructor (readonly space: IdSpace, readonly self: NodeRef, readonly r: number) {
    if (!Number.isInteger(r) || r < 1) throw new RangeError(`successor list length r must be a positive integer, got ${r}`)
    this.fingers = new FingerTable(space, self)
    this.successorList = [self]
  }

  get successor (): NodeRef {
    return this.successorList[0]
  }

  get successors (): readonly NodeRef[] {
    return this.successorList
  }

  /** True when this node knows no other node. */
  get alone (): boolean {
    return this.successor.id === this.self.id && this.predecessor === undefined
  }

  setSuccessors (list: readonly NodeRef[]): void {
    // Most stabilize rounds hand us the list we have already (our successor, then its list, whose first r − 1
    // nodes are our next ones). When `list` starts with our whole list, normalising it gives that list back: keep
    // the array we have. That skips normalising (reading and hashing r ids) and a new array that would outlive
    // the young generation only to die a round later, on every node every round.
    const own = this.successorList
    if (own.length === this.r && list.length >= own.length && own.every((n, i) => list[i] === n)) return
    const next = normalizeSuccessors(this.self, list, this.r)
    if (next.length !== own.length || next.some((n, i) => n !== own[i])) this.successorList = next
  }

  /** The key range this node is primary for: (predecessor, self]. Undefined while the predecessor is unknown. */
  range (): { from: bigint, to: bigint } | undefined {
    return this.predecessor === undefined ? undefined : { from: this.predecessor.id, to: this.self.id }
  }

  /**
   * Does this node own `key`, as far as it knows? Its own id it always owns (successor(n) = n), even while
   * its predecessor is unknown (after check_predecessor dropped a dead one); without that rule a lookup of
   * exactly a live node's id could not end while that node waited for a notify.
   */
  owns (key: bigint): boolean {
    if (key === this.self.id) return true
    if (this.predecessor === undefined) return this.successor.id === this.self.id
    return this.space.betweenRightIncl(this.predecessor.id, key, this.self.id)
  }

  /**
   * find_successor, one step (Chord Fig. 5, made iterative): the owner and the nodes after it when the key lies
   * between us and our successor (or in our own range), else the known nodes that most closely precede the key.
   */
  findSuccessor (key: bigint, candidates = DEFAULT_CANDIDATES): FindResult {
    if (this.owns(key)) return { found: true, nodes: [this.self, ...this.successorList.filter(n => n.id !== this.self.id)] }
    const succ = this.successor
    if (this.space.betweenRightIncl(this.self.id, key, succ.id)) {
      // A list shorter than r has come round the whole ring to us: we are the next node after it. Saying so
      // lets callers place k replicas on a ring of fewer than r + 1 nodes.
      return { found: true, nodes: this.successorList.length < this.r ? [...this.successorList, this.self] : this.successorList }
    }
    return { found: false, nodes: this.closestPreceding(key, candidates) }
  }

  /**
   * Known nodes in (self, key), closest to the key first (fingers and successor list both count: Chord ToN
   * §V-A). This runs for every query a node answers, and reading every known node each time (some 50, each
   * somewhere else in memory) was the largest item of the simulator's CPU profile: it binary-searches the known
   * nodes in clockwise order instead (`routingNodes`), which change far less often than they are read.
   */
  closestPreceding (key: bigint, count = DEFAULT_CANDIDATES): NodeRef[] {
    if (count < 1) return []
    const nodes = this.routingNodes()
    // The nodes in (self, key) are the first ones clockwise, all of them when key = self ((self, self) is the
    // whole ring but self, which is not listed): find how many, then take the last `count` of those, backwards.
    let lo = 0
    let hi = nodes.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.space.between(this.self.id, nodes[mid].id, key)) lo = mid + 1
      else hi = mid
    }
    const best: NodeRef[] = []
    for (let i = lo - 1; i >= 0 && best.length < count; i--) best.push(nodes[i])
    return best
  }

  /**
   * Every node in the finger table and the successor list but self, once per id, in clockwise order from self.
   * Made again only when either has changed: both are arrays that are replaced, never edited (FingerTable.nodes,
   * setSuccessors), so the same two arrays mean the same nodes. Of two objects for one id, the finger's is kept.
   */
  private routingNodes (): readonly NodeRef[] {
    const fingers = this.fingers.nodes()
    const successors = this.successorList
    const cached = this.routing
    if (cached !== undefined && cached.fingers === fingers && cached.successors === successors) return cached.nodes
    const self = this.self.id
    const all = [...fingers, ...successors].filter(n => n.id !== self)
    // A stable sort keeps equal ids in input order, fingers first; then drop every repeat of the id before it.
    all.sort((a, b) => this.space.compareDistanceFrom(self, a.id, b.id))
    const nodes = all.filter((n, i) => i === 0 || n.id !== all[i - 1].id)
    this.routing = { fingers, successors, nodes }
    return nodes
  }

  /**
   * notify (Chord Fig. 6): `candidate` thinks it might be our predecessor. Returns true when adopted. A candidate
   * outside (predecessor, self) is refused here; the caller may still adopt it once it has found the current
   * predecessor dead (Zave: notify must replace a dead predecessor).
   */
  notify (candidate: NodeRef): boolean {
    if (candidate.id === this.self.id) return false
    if (this.predecessor === undefined || this.space.between(this.predecessor.id, candidate.id, this.self.id)) {
      this.predecessor = candidate
      if (this.successor.id === this.self.id) this.setSuccessors([candidate]) // a lone node learns of a second
      return true
    }
    return false
  }

  /**
   * A node failed or left: drop it everywhere. If the successor list runs empty, fall back to the closest other
   * node we still know (a finger, then the predecessor), so the ring is not cut while stabilization repairs it.
   */
  remove (id: bigint): void {
    if (id === this.self.id) return
    if (this.predecessor?.id === id) this.predecessor = undefined
    this.fingers.remove(id)
    const rest = this.successorList.filter(n => n.id !== id)
    if (rest.length === 0 || (rest.length === 1 && rest[0].id === this.self.id)) {
      const fallback = this.closestFollowing() ?? this.predecessor
      this.successorList = fallback === undefined ? [this.self] : [fallback]
    } else {
      this.successorList = rest
    }
  }

  /** Every distinct node this node knows (predecessor, successors, fingers), itself excluded. */
  knownNodes (): NodeRef[] {
    const byId = new Map<bigint, NodeRef>()
    for (const node of [this.predecessor, ...this.successorList, ...this.fingers.nodes()]) {
      if (node !== undefined && node.id !== this.self.id) byId.set(node.id, node)
    }
    return [...byId.values()]
  }

  private closestFollowing (): NodeRef | undefined {
    let best: NodeRef | undefined
    for (const node of this.fingers.nodes()) {
      if (node.id === this.self.id) continue
      if (best === undefined || this.space.distance(this.self.id, node.id) < this.space.distance(this.self.id, best.id)) best = node
    }
    return best
  }
}
