// invariants.checkRing on hand-made walks (Zave's invariants): a good ring, and each way a walk can be broken.
import assert from 'node:assert/strict'
import { IdSpace } from '../../src/ring/id.js'
import { checkRing, type WalkedNode } from '../../src/ring/invariants.js'
import type { NodeRef } from '../../src/ring/types.js'
import { ref } from '../utils/ring.js'

const s8 = new IdSpace(8)

/** A walk over `ring` (ids in walk order) where each node's predecessor and successors follow the ring. */
function walkOf (ring: number[], r = 2): WalkedNode[] {
  return ring.map((id, i) => ({
    node: ref(id),
    predecessor: ref(ring[(i - 1 + ring.length) % ring.length]),
    successors: Array.from({ length: Math.min(r, ring.length - 1) }, (_, k) => ref(ring[(i + 1 + k) % ring.length]))
  }))
}

const allLive = (): boolean => true
const liveExcept = (...dead: number[]) => (n: NodeRef): boolean => !dead.includes(Number(n.id))

describe('ring/invariants checkRing', () => {
  it('accepts a good ring, started anywhere', () => {
    const res = checkRing(s8, walkOf([40, 90, 200, 10]), true, allLive)
    assert.deepEqual(res.problems, [])
    assert.equal(res.ok, true)
    assert.deepEqual(res.members.map(m => Number(m.id)), [40, 90, 200, 10])
  })

  it('accepts a ring of one (its own successor, no predecessor)', () => {
    const res = checkRing(s8, [{ node: ref(7), successors: [ref(7)] }], true, allLive)
    assert.deepEqual(res.problems, [])
  })

  it('flags a walk that does not come back to its start', () => {
    const res = checkRing(s8, walkOf([40, 90, 200]), false, allLive)
    assert.equal(res.ok, false)
    assert.match(res.problems.join('\n'), /not one ring/)
  })

  it('flags an unordered ring (ids wrap more than once)', () => {
    const res = checkRing(s8, walkOf([10, 90, 40, 200]), true, allLive)
    assert.equal(res.ok, false)
    assert.match(res.problems.join('\n'), /wrap 2 times/)
  })

  it('flags a node that appears twice', () => {
    const walk = walkOf([10, 90, 200])
    const res = checkRing(s8, [...walk, walk[1]], false, allLive)
    assert.match(res.problems.join('\n'), /appears twice/)
  })

  it('flags two rings: a live node of the other ring is known but not on this one', () => {
    // ring A: 10 → 130 → 10; ring B: 70 → 200 → 70. 130 once heard of 70 (its predecessor pointer), which
    // lives on in ring B: the walk of A alone cannot reach it.
    const walk = walkOf([10, 130])
    walk[1] = { ...walk[1], predecessor: ref(70) }
    const res = checkRing(s8, walk, true, allLive)
    assert.equal(res.ok, false)
    const text = res.problems.join('\n')
    assert.match(text, /live node 46 .* not on the ring/) // 70 = 0x46
    assert.match(text, /predecessor 46, the ring says 0a/)
  })

  it('flags a live node mentioned in a successor list but skipped by the walk (unreachable)', () => {
    const walk = walkOf([10, 130, 200])
    walk[0] = { ...walk[0], successors: [ref(130), ref(90)] }
    assert.match(checkRing(s8, walk, true, allLive).problems.join('\n'), /live node 5a is known to 0a but not on the ring/)
    // the same node, dead, is fine: crashed nodes linger in lists until stabilization drops them
    assert.equal(checkRing(s8, walk, true, liveExcept(90)).ok, true)
  })

  it('flags a successor list with no live node', () => {
    const walk = walkOf([10, 130, 200])
    walk[2] = { ...walk[2], successors: [ref(250), ref(5)] }
    const res = checkRing(s8, walk, true, liveExcept(250, 5))
    assert.equal(res.ok, false)
    assert.match(res.problems.join('\n'), /c8 has no live node in its successor list/) // 200 = 0xc8
    walk[2] = { ...walk[2], successors: [ref(250), ref(10)] }
    assert.equal(checkRing(s8, walk, true, liveExcept(250)).ok, true) // one live entry is enough
  })

  it('flags a predecessor that disagrees with the walk', () => {
    const walk = walkOf([10, 130, 200])
    walk[1] = { ...walk[1], predecessor: undefined }
    assert.match(checkRing(s8, walk, true, allLive).problems.join('\n'), /82 has predecessor none, the ring says 0a/)
  })
})
