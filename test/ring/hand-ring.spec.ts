// The classic ten-node ring of the Chord papers (SIGCOMM 2001 Fig. 3, ToN Fig. 3), m = 6, built through the
// protocol (successorsFor + join + stabilize/fix_fingers/check_predecessor rounds) and compared with finger
// tables worked out by hand.
//
//                        N1
//              N56 .-----------. N8
//            N51 /               \
//                |                | N14
//            N48 |                |
//                |                | N21
//            N42  \              /
//              N38 '-----------' N32
//
//   ids 0..63 clockwise; successor(k) is the first node at or after k, so K10 → N14, K24 → N32, K54 → N56,
//   K60 → N1 (wrapping past 63).
import assert from 'node:assert/strict'
import type { ChordNode } from '../../src/ring/node.js'
import type { Simulation } from '../../sim/simulate.js'
import { bruteSuccessor, buildRing } from '../utils/ring.js'

const IDS = [1, 8, 14, 21, 32, 38, 42, 48, 51, 56]

// finger[i] = successor(n + 2^i mod 64), i = 0..5, worked out by hand:
//   starts n+1, n+2, n+4, n+8, n+16, n+32
const HAND_FINGERS: Record<number, number[]> = {
  1: [8, 8, 8, 14, 21, 38], //    2  3  5  9 17 33
  8: [14, 14, 14, 21, 32, 42], // 9 10 12 16 24 40   (the paper's Fig. 3(a) table for N8)
  14: [21, 21, 21, 32, 32, 48], // 15 16 18 22 30 46
  21: [32, 32, 32, 32, 38, 56], // 22 23 25 29 37 53
  32: [38, 38, 38, 42, 48, 1], // 33 34 36 40 48  0
  38: [42, 42, 42, 48, 56, 8], // 39 40 42 46 54  6
  42: [48, 48, 48, 51, 1, 14], // 43 44 46 50 58 10
  48: [51, 51, 56, 56, 1, 21], // 49 50 52 56  0 16
  51: [56, 56, 56, 1, 8, 21], //  52 53 55 59  3 19
  56: [1, 1, 1, 1, 8, 32] //      57 58 60  0  8 24
}

describe('ring: the hand-checked m = 6 ring', () => {
  let sim: Simulation
  const node = (id: number): ChordNode => {
    const found = sim.live().find(n => n.self.id === BigInt(id))
    if (found === undefined) throw new Error(`no node ${id}`)
    return found
  }
  const ids = (list: readonly { id: bigint }[]): number[] => list.map(n => Number(n.id))

  before(async () => {
    // join in a scrambled order so the table does not depend on ids arriving sorted
    sim = await buildRing([32, 1, 51, 14, 42, 8, 56, 21, 48, 38], { m: 6, r: 3 })
  })

  it('the protocol computes the hand-made finger tables', () => {
    for (const id of IDS) {
      const fingers = node(id).state.fingers.list()
      assert.deepEqual(fingers.map(f => Number(f.start)), [1, 2, 4, 8, 16, 32].map(d => (id + d) % 64), `starts of N${id}`)
      assert.deepEqual(fingers.map(f => Number(f.node?.id)), HAND_FINGERS[id], `fingers of N${id}`)
    }
  })

  it('predecessors and successor lists (r = 3) are the ring neighbours', () => {
    for (let i = 0; i < IDS.length; i++) {
      const n = node(IDS[i])
      assert.equal(Number(n.state.predecessor?.id), IDS[(i + IDS.length - 1) % IDS.length])
      assert.deepEqual(ids(n.state.successors), [1, 2, 3].map(k => IDS[(i + k) % IDS.length]))
    }
  })

  it('closestPreceding picks the known nodes in (n, key), nearest the key first', () => {
    assert.deepEqual(ids(node(8).state.closestPreceding(54n)), [42, 32, 21])
    assert.deepEqual(ids(node(42).state.closestPreceding(54n)), [51, 48]) // 56 and 1 and 14 lie past the key
    assert.deepEqual(ids(node(8).state.closestPreceding(54n, 1)), [42])
    assert.deepEqual(ids(node(8).state.closestPreceding(9n)), []) // nothing lies in (8, 9)
    assert.deepEqual(ids(node(56).state.closestPreceding(20n)), [14, 8, 1]) // wraps past zero
    // key = self: the whole ring but N8 counts, yet N8 only knows its fingers and successors (not N1, N51, N56)
    assert.deepEqual(ids(node(8).state.closestPreceding(8n, 10)), [42, 32, 21, 14])
  })

  it('find_successor answers: the owner and its successors, or closer nodes', () => {
    assert.deepEqual(node(8).handleFindSuccessor(54n), { found: false, nodes: [node(42).self, node(32).self, node(21).self] })
    assert.deepEqual(ids(node(42).handleFindSuccessor(54n).nodes), [51, 48])
    assert.deepEqual(node(51).handleFindSuccessor(54n), { found: true, nodes: [node(56).self, node(1).self, node(8).self] })
    // the owner answers for its own range (pred, self] with itself, then its r successors
    assert.deepEqual(ids(node(56).handleFindSuccessor(54n).nodes), [56, 1, 8, 14])
    assert.equal(node(1).handleFindSuccessor(60n).found, true)
    assert.deepEqual(ids(node(1).handleFindSuccessor(60n).nodes), [1, 8, 14, 21])
    assert.deepEqual(ids(node(1).handleFindSuccessor(8n).nodes), [8, 14, 21])
    assert.deepEqual(ids(node(1).handleFindSuccessor(1n).nodes), [1, 8, 14, 21])
  })

  it('the lookup of K54 from N8 goes N8 → N42 → N51, which names N56 (the paper\'s example path)', async () => {
    const events = []
    for await (const event of node(8).lookup(54n)) events.push(event)
    assert.deepEqual(events.map(e => e.type === 'hop' ? `hop ${e.node.id}` : e.type), ['hop 42', 'hop 51', 'found'])
    const last = events[events.length - 1]
    assert.equal(last.type === 'found' && last.hops, 2)
    assert.deepEqual(last.type === 'found' && ids(last.nodes), [56, 1, 8])
  })

  it('every key from every node resolves to the brute-force owner', async () => {
    const members = IDS.map(BigInt)
    for (const id of IDS) {
      for (let key = 0n; key < 64n; key++) {
        const { nodes, hops } = await node(id).findOwner(key)
        assert.equal(nodes[0].id, bruteSuccessor(members, key), `N${id} looking up K${key}`)
        assert.ok(hops <= 3, `N${id} took ${hops} hops to K${key}`) // log2 10 ≈ 3.3
      }
    }
  })

  it('the ring check walks all ten nodes in order and finds nothing wrong', async () => {
    const check = await node(21).checkRing()
    assert.deepEqual(check.problems, [])
    assert.equal(check.ok, true)
    assert.deepEqual(ids(check.members), [21, 32, 38, 42, 48, 51, 56, 1, 8, 14])
  })
})
