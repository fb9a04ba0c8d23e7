// The local routing state (no transport): successor list normalisation, finger table run-filling, the remove
// fallbacks and the notify rules of ChordState, on an 8-bit ring.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { IdSpace } from '../../src/ring/id.js'
import { normalizeSuccessors } from '../../src/ring/successor-list.js'
import { FingerTable } from '../../src/ring/finger-table.js'
import { ChordState } from '../../src/ring/chord-state.js'
import { ref } from '../utils/ring.js'
import type { NodeRef } from '../../src/ring/types.js'

const s8 = new IdSpace(8)
const ids = (list: readonly { id: bigint }[]): number[] => list.map(n => Number(n.id))

describe('ring/successor-list normalizeSuccessors', () => {
  const self = ref(100)
  it('keeps order, drops duplicates and caps at r', () => {
    assert.deepEqual(ids(normalizeSuccessors(self, [ref(110), ref(120), ref(110), ref(130), ref(140)], 3)), [110, 120, 130])
    assert.deepEqual(ids(normalizeSuccessors(self, [ref(110), ref(120)], 5)), [110, 120])
  })
  it('cuts where the list comes round to the owner', () => {
    assert.deepEqual(ids(normalizeSuccessors(self, [ref(110), ref(100), ref(120)], 5)), [110])
    assert.deepEqual(ids(normalizeSuccessors(self, [ref(200), ref(5), ref(100), ref(110)], 5)), [200, 5])
  })
  it('is never empty: a lone node is its own successor', () => {
    assert.deepEqual(ids(normalizeSuccessors(self, [], 3)), [100])
    assert.deepEqual(ids(normalizeSuccessors(self, [ref(100), ref(110)], 3)), [100])
  })
})

describe('ring/finger-table', () => {
  // self = 10: starts 11 12 14 18 26 42 74 138
  const table = (): FingerTable => new FingerTable(s8, ref(10))

  it('computes the starts n + 2^i and refreshes from finger 0', () => {
    const t = table()
    assert.deepEqual(t.list().map(e => Number(e.start)), [11, 12, 14, 18, 26, 42, 74, 138])
    assert.deepEqual(t.next(), { index: 0, start: 11n })
    assert.equal(t.list().every(e => e.node === undefined), true)
  })

  it('one owner fills the whole run of starts it also owns and moves the cursor past it', () => {
    const t = table()
    assert.equal(t.set(0, ref(40)), 5) // 11 12 14 18 26 all lie in (10, 40]
    assert.deepEqual(t.list().map(e => e.node?.id), [40n, 40n, 40n, 40n, 40n, undefined, undefined, undefined])
    assert.deepEqual(t.next(), { index: 5, start: 42n })
    assert.equal(t.set(5, ref(100)), 2) // 42, 74
    assert.deepEqual(t.next(), { index: 7, start: 138n })
    assert.equal(t.set(7, ref(5)), 1) // 138's owner wraps past zero to 5; the cursor wraps to 0
    assert.deepEqual(t.next(), { index: 0, start: 11n })
    assert.deepEqual(ids(t.nodes()), [40, 100, 5])
    assert.equal(t.set(0, ref(40)), 0) // nothing changed
    assert.equal(t.set(0, ref(20)), 4) // a node joined at 20: owns starts 11..18 only; 26 keeps 40
    assert.deepEqual(t.list().map(e => Number(e.node?.id)), [20, 20, 20, 20, 40, 100, 100, 5])
    assert.deepEqual(t.next(), { index: 4, start: 26n })
  })

  it('an owner that is the node itself owns every later start (all other nodes lie before the start)', () => {
    const t = table()
    t.set(0, ref(20))
    assert.deepEqual(t.next(), { index: 4, start: 26n })
    assert.equal(t.set(4, ref(10)), 4)
    assert.deepEqual(t.list().map(e => Number(e.node?.id)), [20, 20, 20, 20, 10, 10, 10, 10])
    assert.deepEqual(t.next(), { index: 0, start: 11n })
    const lone = table()
    assert.equal(lone.set(0, ref(10)), 8) // a ring of one converges in one step, not m
  })

  it('remove forgets a node everywhere and nodes() follows every change', () => {
    const t = table()
    t.set(0, ref(40))
    t.set(5, ref(100))
    t.set(7, ref(40))
    assert.deepEqual(ids(t.nodes()), [40, 100])
    t.remove(40n)
    assert.deepEqual(t.list().map(e => e.node?.id), [undefined, undefined, undefined, undefined, undefined, 100n, 100n, undefined])
    assert.deepEqual(ids(t.nodes()), [100])
    t.set(0, ref(50))
    assert.deepEqual(ids(t.nodes()), [50, 100])
    assert.equal(t.get(3)?.id, 50n)
  })
})

describe('ring/chord-state', () => {
  const state = (r = 3): ChordState => new ChordState(s8, ref(100), r)

  it('starts as a lone node that owns everything', () => {
    const st = state()
    assert.equal(st.alone, true)
    assert.equal(st.successor.id, 100n)
    assert.equal(st.owns(5n), true)
    assert.deepEqual(st.findSuccessor(5n), { found: true, nodes: [ref(100)] })
    assert.equal(st.range(), undefined)
    assert.throws(() => new ChordState(s8, ref(1), 0), RangeError)
  })

  describe('notify (Chord Fig. 6)', () => {
    it('adopts the first candidate; a lone node also takes it as its successor', () => {
      const st = state()
      assert.equal(st.notify(ref(60)), true)
      assert.equal(st.predecessor?.id, 60n)
      assert.deepEqual(ids(st.successors), [60])
      assert.equal(st.alone, false)
      assert.deepEqual(st.range(), { from: 60n, to: 100n })
    })
    it('adopts a candidate inside (predecessor, self), refuses one outside, and never itself', () => {
      const st = state()
      st.setSuccessors([ref(150)])
      st.notify(ref(60))
      assert.equal(st.notify(ref(80)), true)
      assert.equal(st.predecessor?.id, 80n)
      assert.equal(st.notify(ref(70)), false) // (80, 100) does not hold 70
      assert.equal(st.notify(ref(120)), false) // nor 120: it is past us
      assert.equal(st.notify(ref(100)), false)
      assert.equal(st.predecessor?.id, 80n)
      assert.deepEqual(ids(st.successors), [150]) // a node with a successor keeps it
    })
    it('wraps around zero', () => {
      const st = new ChordState(s8, ref(5), 3)
      st.setSuccessors([ref(50)])
      st.notify(ref(200))
      assert.equal(st.notify(ref(250)), true) // 250 ∈ (200, 5)
      assert.equal(st.notify(ref(3)), true)
      assert.equal(st.notify(ref(250)), false)
      assert.equal(st.owns(4n), true)
      assert.equal(st.owns(5n), true)
      assert.equal(st.owns(3n), false)
    })
  })

  describe('remove fallbacks', () => {
    it('drops a node from the successor list, predecessor and fingers', () => {
      const st = state()
      st.setSuccessors([ref(110), ref(120), ref(130)])
      st.notify(ref(90))
      st.fingers.set(0, ref(110))
      st.remove(110n)
      assert.deepEqual(ids(st.successors), [120, 130])
      assert.equal(st.fingers.nodes().length, 0)
      st.remove(90n)
      assert.equal(st.predecessor, undefined)
      st.remove(100n) // never itself
      assert.deepEqual(ids(st.successors), [120, 130])
    })
    it('when the list runs empty, falls back to the closest following finger', () => {
      const st = state()
      st.setSuccessors([ref(110)])
      st.fingers.set(5, ref(240)) // starts 132, 164, 228
      st.fingers.set(7, ref(150)) // a stale entry after a closer one: finger order is not clockwise order
      st.notify(ref(90))
      assert.deepEqual(ids(st.fingers.nodes()), [240, 150])
      st.remove(110n)
      assert.deepEqual(ids(st.successors), [150])
    })
    it('then to the predecessor, then to itself', () => {
      const st = state()
      st.setSuccessors([ref(110)])
      st.notify(ref(90))
      st.remove(110n)
      assert.deepEqual(ids(st.successors), [90]) // a two-node ring: the predecessor is also the successor
      st.remove(90n)
      assert.deepEqual(ids(st.successors), [100])
      assert.equal(st.alone, true)
    })
  })

  it('owns its own id even while its predecessor is unknown (after check_predecessor dropped it)', () => {
    const st = state()
    st.setSuccessors([ref(110), ref(120)])
    assert.equal(st.predecessor, undefined)
    assert.equal(st.owns(100n), true)
    assert.deepEqual(st.findSuccessor(100n), { found: true, nodes: [ref(100), ref(110), ref(120)] })
    assert.equal(st.owns(99n), false) // the rest of its range it cannot vouch for until notified
    assert.equal(st.findSuccessor(99n).found, false)
  })

  it('knownNodes lists every other node once', () => {
    const st = state()
    st.setSuccessors([ref(110), ref(120)])
    st.notify(ref(90))
    st.fingers.set(0, ref(110))
    st.fingers.set(6, ref(180))
    assert.deepEqual(ids(st.knownNodes()).sort((a, b) => a - b), [90, 110, 120, 180])
  })

  it('findSuccessor answers from the owned range, then the successor, then closer nodes', () => {
    const st = state()
    st.setSuccessors([ref(110), ref(120), ref(130)])
    st.notify(ref(90))
    st.fingers.set(6, ref(170)) // start 164
    st.fingers.set(7, ref(230)) // start 228
    assert.deepEqual(ids(st.findSuccessor(95n).nodes), [100, 110, 120, 130]) // (90, 100]: ours
    assert.deepEqual(st.findSuccessor(105n), { found: true, nodes: [ref(110), ref(120), ref(130)] })
    assert.deepEqual(st.findSuccessor(110n).found, true)
    assert.deepEqual(st.findSuccessor(240n), { found: false, nodes: [ref(230), ref(170), ref(130)] })
    assert.deepEqual(st.findSuccessor(50n), { found: false, nodes: [ref(230), ref(170), ref(130)] })
    assert.deepEqual(st.findSuccessor(125n), { found: false, nodes: [ref(120), ref(110)] })
  })

  // closestPreceding binary-searches a sorted copy of the known nodes, made again after changes. Checked here
  // against the definition, a scan of fingers then successors in the order ChordState keeps them (the code it
  // replaced), through random changes of both: the same nodes, the same objects (the finger's of two with one id,
  // as the scan kept the first seen), the same order. Two objects per id model a node learnt twice.
  it('closestPreceding equals a scan of fingers and successors, through random changes of both', () => {
    const self = 100n
    const objects = (id: number): [NodeRef, NodeRef] => [ref(id), ref(id)]
    const pool = Array.from({ length: 256 }, (_, id) => objects(id))
    const scan = (st: ChordState, key: bigint, count: number): NodeRef[] => {
      const best: Array<{ node: NodeRef, d: bigint }> = []
      const limit = key === self ? s8.size : s8.distance(self, key)
      for (const node of [...st.fingers.nodes(), ...st.successors]) {
        const d = s8.distance(node.id, key)
        if (d === 0n || d >= limit || best.some(b => b.node.id === node.id)) continue
        best.push({ node, d })
        best.sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : 0))
      }
      return best.slice(0, Math.max(0, count)).map(b => b.node)
    }
    const step = fc.oneof(
      fc.record({ op: fc.constant('finger' as const), index: fc.nat(7), id: fc.nat(255), copy: fc.nat(1) }),
      fc.record({ op: fc.constant('successors' as const), list: fc.array(fc.tuple(fc.nat(255), fc.nat(1)), { maxLength: 8 }) }),
      fc.record({ op: fc.constant('remove' as const), id: fc.nat(255) }),
      fc.record({ op: fc.constant('query' as const), key: fc.nat(255), count: fc.integer({ min: 0, max: 5 }) })
    )
    fc.assert(fc.property(fc.array(step, { maxLength: 40 }), steps => {
      const st = new ChordState(s8, pool[Number(self)][0], 4)
      for (const s of steps) {
        if (s.op === 'finger') st.fingers.set(s.index, pool[s.id][s.copy])
        else if (s.op === 'successors') st.setSuccessors(s.list.map(([id, copy]) => pool[id][copy]))
        else if (s.op === 'remove') st.remove(BigInt(s.id))
        const key = s.op === 'query' ? BigInt(s.key) : 54n
        const count = s.op === 'query' ? s.count : 3
        const got = st.closestPreceding(key, count)
        const want = scan(st, key, count)
        if (got.length !== want.length || got.some((n, i) => n !== want[i])) return false
      }
      return true
    }), { numRuns: 2000 })
  })

  it('setSuccessors keeps its array when the list given starts with it, and gives the same list as before', () => {
    const st = new ChordState(s8, ref(100), 3)
    const [a, b, c, d] = [ref(110), ref(120), ref(130), ref(140)]
    st.setSuccessors([a, b, c])
    const kept = st.successors
    st.setSuccessors([a, b, c, d]) // the usual stabilize: our successor, then its list
    assert.equal(st.successors, kept)
    st.setSuccessors([a, b, ref(130)]) // the same ids, another object: the list takes the new one
    assert.notEqual(st.successors, kept)
    assert.deepEqual(ids(st.successors), [110, 120, 130])
    st.setSuccessors([a, c, d])
    assert.deepEqual(st.successors, [a, c, d])
    const short = new ChordState(s8, ref(100), 5) // a list shorter than r is normalised as before
    short.setSuccessors([a, b])
    short.setSuccessors([a, b, ref(100), c])
    assert.deepEqual(ids(short.successors), [110, 120])
  })
})
