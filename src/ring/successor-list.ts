// The successor list (Chord ToN §V-A): the next r nodes clockwise. Kept normalised: no duplicates, cut where
// the ring closes on the owner itself, never longer than r, and never empty (a lone node is its own successor).
import type { NodeRef } from './types.js'

export function normalizeSuccessors (self: NodeRef, list: readonly NodeRef[], r: number): NodeRef[] {
  const out: NodeRef[] = []
  const seen = new Set<bigint>()
  for (const node of list) {
    if (node.id === self.id) break // the list has come round to us: the ring closes here
    if (seen.has(node.id)) continue
    seen.add(node.id)
    out.push(node)
    if (out.length === r) break
  }
  return out.length > 0 ? out : [self]
}
