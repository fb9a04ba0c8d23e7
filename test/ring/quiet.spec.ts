// What a quiet ring costs: the maintenance steps send nothing they need not. stabilize skips a NOTIFY the
// successor would ignore; fix_fingers confirms a finger with one GET_STATE for the finger's predecessor alone
// instead of a lookup, and still finds a node that joined before the finger, or replaces a finger that died.
//
//   m = 8, r = 3, fingers of 10: starts 11 12 14 18 26 42 74 138
//
//            10 ── 50 ── 90 ── 200 ── (10)
//   finger:   0..5 → 50 (its successor: answered locally), 6 (start 74) → 90, 7 (start 138) → 200
import assert from 'node:assert/strict'
import { IdSpace } from '../../src/ring/id.js'
import { ChordNode } from '../../src/ring/node.js'
import { SimNetwork } from '../../sim/network.js'
import { bruteSuccessor, bruteSuccessors, ref } from '../utils/ring.js'
import type { FindOptions, GetStateOptions, NodeRef, Transport } from '../../src/ring/types.js'

interface Call { kind: keyof Transport, from: bigint, to: bigint, successors?: number, nodes?: number }

/** A converged ring of `ids` (state set from the sorted ids), every remote call of every node logged. */
function ring (ids: readonly number[], r: number): { net: SimNetwork, node: (id: number) => ChordNode, calls: Call[] } {
  const space = new IdSpace(8)
  const net = new SimNetwork(8)
  const calls: Call[] = []
  const all = ids.map(BigInt)
  const nodes = new Map<bigint, ChordNode>()
  const logged = (self: NodeRef): Transport => {
    const inner = net.from(self.address)
    const log = (kind: keyof Transport, to: NodeRef, successors?: number, nodes?: number): void => {
      calls.push({ kind, from: self.id, to: to.id, successors, nodes })
    }
    return {
      findSuccessor: async (to, key, o?: FindOptions) => {
        log('findSuccessor', to, undefined, o?.nodes)
        return await inner.findSuccessor(to, key, o)
      },
      getState: async (to, o?: GetStateOptions) => { log('getState', to, o?.successors); return await inner.getState(to, o) },
      notify: async (to, s, o) => { log('notify', to); await inner.notify(to, s, o) },
      ping: async (to, o) => { log('ping', to); await inner.ping(to, o) },
      leave: async (to, info, o) => { log('leave', to); await inner.leave(to, info, o) },
      unify: async (to, c, o) => { log('unify', to); await inner.unify(to, c, o) }
    }
  }
  const add = (id: bigint): ChordNode => {
    const node = new ChordNode({ space, self: ref(id), r, transport: logged(ref(id)) })
    net.add(node)
    nodes.set(id, node)
    return node
  }
  for (const id of all) {
    const node = add(id)
    node.state.predecessor = ref(bruteSuccessors(all, id, all.length - 1).at(-1)!)
    node.state.setSuccessors(bruteSuccessors(all, id, r).map(ref))
    do {
      const { index, start } = node.state.fingers.next()
      node.state.fingers.set(index, ref(bruteSuccessor(all, start)))
    } while (node.state.fingers.next().index !== 0)
  }
  return {
    net,
    calls,
    node: id => nodes.get(BigInt(id)) ?? add(BigInt(id))
  }
}

/** Move `node`'s finger cursor to `index` (fix_fingers runs with the ring as it is). */
async function cursorTo (node: ChordNode, index: number): Promise<void> {
  for (let i = 0; i < 300 && node.state.fingers.next().index !== index; i++) await node.fixFingers()
  assert.equal(node.state.fingers.next().index, index)
}

describe('ring/node: a quiet ring', () => {
  it('stabilize sends no NOTIFY to a successor whose predecessor is this node already, and one otherwise', async () => {
    const { node, calls } = ring([10, 50, 90, 200], 3)
    await node(10).stabilize()
    assert.deepEqual(calls.map(c => `${c.kind} ${c.to}`), ['getState 50'])
    assert.deepEqual(node(10).state.successors.map(n => Number(n.id)), [50, 90, 200])

    // 50 lost its predecessor (check_predecessor found it slow, say): the next stabilize of 10 tells it again.
    node(50).state.predecessor = undefined
    calls.length = 0
    await node(10).stabilize()
    assert.deepEqual(calls.map(c => `${c.kind} ${c.to}`), ['getState 50', 'notify 50'])
    assert.equal(node(50).state.predecessor?.id, 10n)
  })

  it('fix_fingers confirms an unchanged finger with one GET_STATE for its predecessor only, no lookup', async () => {
    const { node, calls } = ring([10, 50, 90, 200], 3)
    const n10 = node(10)
    await cursorTo(n10, 6)
    calls.length = 0
    await n10.fixFingers()
    assert.deepEqual(calls, [{ kind: 'getState', from: 10n, to: 90n, successors: 0, nodes: undefined }])
    assert.equal(n10.state.fingers.get(6)?.id, 90n)
    assert.equal(n10.state.fingers.next().index, 7, 'the cursor moved on')
  })

  it('fix_fingers takes a node that joined between the finger\'s start and the finger, by a lookup', async () => {
    const { node, calls } = ring([10, 50, 90, 200], 3)
    const n10 = node(10)
    await cursorTo(n10, 6)
    const joiner = node(80)
    await joiner.join(await node(200).successorsFor(80n)) // notifies 90: 90's predecessor is 80 now
    await node(50).stabilize() // 50 adopts 80 as its successor, so lookups through 50 find it
    calls.length = 0
    await n10.fixFingers()
    assert.equal(n10.state.fingers.get(6)?.id, 80n)
    assert.deepEqual(calls[0], { kind: 'getState', from: 10n, to: 90n, successors: 0, nodes: undefined })
    const lookups = calls.filter(c => c.kind === 'findSuccessor')
    assert.ok(lookups.length > 0, 'a lookup ran')
    assert.ok(lookups.every(c => c.nodes === 2), 'asking for the owner and one more node, not r + 1 of them')
  })

  it('fix_fingers drops a finger that does not answer and takes the next live owner, even from a stale answer', async () => {
    const { net, node } = ring([10, 50, 90, 200], 3)
    const n10 = node(10)
    await cursorTo(n10, 6)
    net.kill('n90')
    await n10.fixFingers() // 50, asked, still answers [90, 200, 10]: it has not stabilized since
    assert.equal(node(50).state.successor.id, 90n)
    assert.equal(n10.state.fingers.get(6)?.id, 200n)
    assert.ok(!n10.state.successors.some(n => n.id === 90n), '90 is gone from the successor list too')
  })

  it('costs well under 1 KB/s per node on the wire at the default timers, in the simulator\'s byte count', async () => {
    // Per stabilize (1 s): GET_STATE + `unchanged`; per check_predecessor (2 s): PING + empty reply; per
    // fix_fingers (0.5 s): at most one GET_STATE of a finger's predecessor, `unchanged`. Each message framed
    // (60 bytes with its window update): about 450 B/s. Without digests each stabilize alone is r full peers.
    const { net, node } = ring([10, 50, 90, 200, 230], 4)
    const nodes = [10, 50, 90, 200, 230].map(node)
    const second = async (): Promise<void> => {
      for (const n of nodes) {
        await n.stabilize()
        await n.fixFingers()
        await n.fixFingers()
      }
    }
    await second() // the first GET_STATE of each pair is answered in full
    await second()
    net.resetStats()
    for (let s = 0; s < 10; s++) {
      await second()
      if (s % 2 === 0) for (const n of nodes) await n.checkPredecessor()
    }
    const perNodeSecond = net.stats.bytes / nodes.length / 10
    assert.ok(perNodeSecond < 600, `${perNodeSecond} B/s per node`)
    assert.equal(net.stats.byKind.notify.calls, 0)
    assert.equal(net.stats.byKind.findSuccessor.calls, 0)
  })
})
