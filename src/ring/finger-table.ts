// The finger table (Chord §4.3): entry i points at successor(n + 2^i). Entries start empty and are filled by
// fix_fingers; one lookup result fills the whole run of entries whose starts it also owns, so a full refresh
// costs about log2 N lookups, not m. The starts are computed when asked for, not kept: all m of them per node
// (256 bigints of 256 bits) were about half of the simulator's heap, for one read per fix_fingers.
import type { IdSpace } from './id.js'
import type { NodeRef } from './types.js'

export interface FingerEntry {
  readonly index: number
  readonly start: bigint
  readonly node?: NodeRef
}

export class FingerTable {
  private readonly entries: Array<NodeRef | undefined>
  private nextIndex = 0
  /** The distinct nodes, recomputed only after a change: find_successor reads them on every query. */
  private distinct: readonly NodeRef[] | undefined

  constructor (private readonly space: IdSpace, private readonly self: NodeRef) {
    this.entries = new Array(space.m).fill(undefined)
  }

  /** The finger fix_fingers should refresh next, and the key to look up for it. */
  next (): { index: number, start: bigint } {
    return { index: this.nextIndex, start: this.space.fingerStart(this.self.id, this.nextIndex) }
  }

  /**
   * Record that `owner` = successor(start of finger `index`). Fills every later entry whose start `owner` also
   * owns, then advances the refresh cursor past them (wrapping to 0). Returns the entries changed.
   */
  set (index: number, owner: NodeRef): number {
    // owner = successor(start of `index`) means no node lies in [that start, owner), so owner is also the
    // successor of every later start up to it: of start i = self + 2^i exactly when 2^i ≤ distance(self, owner).
    // When owner is ourselves (the key wrapped past every other node) that holds for all later starts: (self,
    // self] is the whole ring.
    const reach = owner.id === this.self.id ? undefined : this.space.distance(this.self.id, owner.id)
    let i = index
    let changed = 0
    do {
      if (this.entries[i]?.id !== owner.id) changed++
      if (this.entries[i] !== owner) this.distinct = undefined
      this.entries[i] = owner
      i++
    } while (i < this.space.m && (reach === undefined || this.space.fingerOffset(i) <= reach))
    this.nextIndex = i % this.space.m
    return changed
  }

  /** Forget a node (it failed or left). */
  remove (id: bigint): void {
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i]?.id === id) { this.entries[i] = undefined; this.distinct = undefined }
    }
  }

  get (index: number): NodeRef | undefined {
    return this.entries[index]
  }

  /** Distinct nodes in the table, in finger order. */
  nodes (): readonly NodeRef[] {
    if (this.distinct === undefined) {
      // Entries come in runs of one owner (about m − log2 N of them name the successor): skip a repeat of the
      // entry before without hashing its id.
      const seen = new Set<bigint>()
      const out: NodeRef[] = []
      let last: NodeRef | undefined
      for (const node of this.entries) {
        if (node === undefined || node === last) continue
        last = node
        if (!seen.has(node.id)) { seen.add(node.id); out.push(node) }
      }
      this.distinct = out
    }
    return this.distinct
  }

  list (): FingerEntry[] {
    return this.entries.map((node, index) => ({ index, start: this.space.fingerStart(this.self.id, index), node }))
  }
}
