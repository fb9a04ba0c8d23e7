// Ring invariants (Zave, "Reasoning about identifier spaces", 2017): checkable from a walk of the successor
// pointers plus a liveness answer for every node mentioned. Pure: the walk itself is done by the caller.
import type { IdSpace } from './id.js'
import type { NodeRef } from './types.js'

/** One node as seen during a walk. */
export interface WalkedNode {
  readonly node: NodeRef
  readonly predecessor?: NodeRef
  readonly successors: readonly NodeRef[]
}

export interface RingCheck {
  ok: boolean
  /** The walk came back to its start. */
  closed: boolean
  /** Members in walk order, starting at the node the walk started from. */
  members: NodeRef[]
  problems: string[]
}

/**
 * Checks, for a walk that followed successor pointers from one node:
 * - one ring: the walk came back to its start;
 * - ordered: ids increase along the walk with exactly one wrap past zero;
 * - connected: every live node mentioned anywhere (predecessors, successor lists) is on the ring;
 * - every successor list holds a live node (its first live entry is the next member on the walk);
 * - predecessors agree with the walk (a warning-level problem: stabilization may not have caught up).
 */
export function checkRing (space: IdSpace, walk: readonly WalkedNode[], closed: boolean, isLive: (node: NodeRef) => boolean): RingCheck {
  const problems: string[] = []
  const members = walk.map(w => w.node)
  const ids = new Set(members.map(m => m.id))
  const hex = (n: NodeRef): string => space.toHex(n.id).slice(0, 12)

  if (!closed) problems.push('successor pointers do not lead back to the start: not one ring')
  if (ids.size !== members.length) problems.push('a node appears twice on the walk: the pointers loop without closing')

  let wraps = 0
  for (let i = 0; i < members.length; i++) {
    const next = members[(i + 1) % members.length]
    if (members.length > 1 && next.id <= members[i].id) wraps++
  }
  if (members.length > 1 && wraps !== 1) problems.push(`ids wrap ${wraps} times along the walk: the ring is not ordered`)

  for (let i = 0; i < walk.length; i++) {
    const w = walk[i]
    if (!w.successors.some(s => isLive(s))) problems.push(`${hex(w.node)} has no live node in its successor list`)
    const prev = walk[(i - 1 + walk.length) % walk.length].node
    if (walk.length > 1 && closed && w.predecessor?.id !== prev.id) {
      problems.push(`${hex(w.node)} has predecessor ${w.predecessor === undefined ? 'none' : hex(w.predecessor)}, ` +
        `the ring says ${hex(prev)}`)
    }
    for (const other of [w.predecessor, ...w.successors]) {
      if (other !== undefined && !ids.has(other.id) && isLive(other)) problems.push(
        `live node ${hex(other)} is known to ${hex(w.node)} but not on the ring`)
    }
  }
  return { ok: problems.length === 0, closed, members, problems: [...new Set(problems)] }
}
