// ChordNode's protocol steps over the simulator's in-memory transport, one scenario at a time: the 1- and
// 2-node rings, Zave's corrections (live-checked adoption in stabilize, notify replacing a dead predecessor,
// the joiner copying its successor's list), failures, graceful leave, change events, and lookups that route
// around a dead key predecessor.
import assert from 'node:assert/strict'
import { IdSpace } from '../../src/ring/id.js'
import { ChordNode, type RingChange } from '../../src/ring/node.js'
import { lookup, type LookupEvent } from '../../src/ring/lookup.js'
import { SimNetwork } from '../../sim/network.js'
import type { Simulation } from '../../sim/simulate.js'
import { bruteSuccessor, buildRing, ref } from '../utils/ring.js'

const ids = (list: readonly { id: bigint }[]): number[] => list.map(n => Number(n.id))

function nodeOf (sim: Simulation, id: number): ChordNode {
  const found = sim.live().find(n => n.self.id === BigInt(id)) ?? sim.net.node(`n${id}`)
  if (found === undefined) throw new Error(`no node ${id}`)
  return found
}

async function events (gen: AsyncGenerator<LookupEvent>): Promise<LookupEvent[]> {
  const out: LookupEvent[] = []
  for await (const e of gen) out.push(e)
  return out
}

const trace = (evs: LookupEvent[]): string[] => evs.map(e =>
  e.type === 'found' ? `found ${ids(e.nodes).join(',')}` : e.type === 'failed' ? 'failed' : `${e.type} ${e.node.id}`)

describe('ring/node ChordNode', () => {
  describe('tiny rings', () => {
    it('a lone node owns every key with 0 hops and keeps a consistent state through maintenance', async () => {
      const sim = await buildRing([42], { m: 8, r: 4 })
      const a = nodeOf(sim, 42)
      await a.stabilize()
      await a.fixFingers()
      await a.checkPredecessor()
      assert.deepEqual(await a.findOwner(7n), { nodes: [a.self], hops: 0 })
      assert.equal(a.state.alone, true)
      assert.deepEqual((await a.checkRing()).problems, [])
    })

    it('a second node joins a ring of one: each becomes the other\'s successor and predecessor', async () => {
      const sim = await buildRing([42], { m: 8, r: 4 })
      const a = nodeOf(sim, 42)
      const b = sim.spawn(200n)
      const list = await a.successorsFor(200n)
      assert.deepEqual(ids(list), [42])
      await b.join(list)
      assert.equal(a.state.predecessor?.id, 200n) // notify reached a lone node...
      assert.equal(a.state.successor.id, 200n) // ...which took the joiner as its successor too
      await a.stabilize()
      assert.equal(b.state.predecessor?.id, 42n)
      assert.deepEqual(ids(b.state.successors), [42])
      assert.deepEqual(ids(a.state.successors), [200])
      assert.equal((await a.checkRing()).ok, true)
      assert.equal((await a.findOwner(100n)).nodes[0].id, 200n)
      assert.equal((await b.findOwner(43n)).nodes[0].id, 200n)
      assert.equal((await b.findOwner(42n)).nodes[0].id, 42n)
    })

    it('successorsFor skips an owner that has crashed and hands out the next live one', async () => {
      const sim = await buildRing([10, 50, 90, 200], { m: 8, r: 3 })
      sim.net.kill(nodeOf(sim, 90).self.address)
      // 50 still answers [90, 200, 10] for key 70; 90 is down, so the joiner's successor is 200
      assert.deepEqual(ids(await nodeOf(sim, 10).successorsFor(70n)), [200, 10, 50, 90])
    })

    it('successorsFor gives an id already on the ring (a restarted identity) the place after its old entry', async () => {
      const sim = await buildRing([10, 50, 90], { m: 8, r: 2 })
      // 90's old incarnation is still listed; the restarted 90 gets the nodes after it, never itself.
      assert.deepEqual(ids(await nodeOf(sim, 10).successorsFor(90n)), [10, 50])
    })
  })

  describe('Zave\'s corrections', () => {
    it('stabilize walks back through live predecessors, so joiners into one gap are linked in one round', async () => {
      const sim = await buildRing([10, 200], { m: 8, r: 3 })
      const joiners = [50n, 60n, 70n].map(id => sim.spawn(id))
      // All three are admitted before any stabilizes: each gets successor 200, which keeps the closest, 70.
      for (const j of joiners) await j.join(await nodeOf(sim, 10).successorsFor(j.self.id))
      for (const j of joiners) await j.stabilize()
      // Now 200 → 70 → 60 by predecessor pointers (60 is 70's predecessor, 50 nobody's yet). One stabilize of
      // 10 follows both live steps; the one-step SIGCOMM rule would stop at 70.
      await nodeOf(sim, 10).stabilize()
      assert.equal(nodeOf(sim, 10).state.successor.id, 60n)
    })

    it('a joiner copies its successor\'s whole list before it notifies', async () => {
      const sim = await buildRing([10, 50, 90, 200], { m: 8, r: 3 })
      const joiner = sim.spawn(60n)
      const list = await nodeOf(sim, 200).successorsFor(60n)
      assert.deepEqual(ids(list), [90, 200, 10, 50]) // the owner and its r successors
      await joiner.join(list)
      assert.deepEqual(ids(joiner.state.successors), [90, 200, 10]) // normalised to r
      assert.equal(nodeOf(sim, 90).state.predecessor?.id, 60n)
    })

    it('stabilize adopts its successor\'s predecessor only once that node has answered', async () => {
      const sim = await buildRing([10, 50, 90], { m: 8, r: 2 })
      const ghost = sim.spawn(30n) // never joined, and crashed
      sim.net.kill(ghost.self.address)
      nodeOf(sim, 50).state.predecessor = ghost.self
      await nodeOf(sim, 10).stabilize()
      assert.equal(nodeOf(sim, 10).state.successor.id, 50n)

      const live = sim.spawn(40n)
      nodeOf(sim, 50).state.predecessor = live.self
      await nodeOf(sim, 10).stabilize()
      assert.equal(nodeOf(sim, 10).state.successor.id, 40n)
      assert.equal(live.state.predecessor?.id, 10n) // and notified it
    })

    it('notify replaces a dead predecessor even with a candidate outside (predecessor, self)', async () => {
      const sim = await buildRing([10, 50, 90], { m: 8, r: 2 })
      const n90 = nodeOf(sim, 90)
      const n10 = nodeOf(sim, 10)
      await n90.handleNotify(n10.self)
      assert.equal(n90.state.predecessor?.id, 50n) // 50 answers: 10 is refused
      sim.net.kill(nodeOf(sim, 50).self.address)
      await n90.handleNotify(n10.self)
      assert.equal(n90.state.predecessor?.id, 10n)
    })
  })

  describe('failures and leaving', () => {
    it('stabilize skips a dead successor in the same step', async () => {
      const sim = await buildRing([10, 50, 90, 200], { m: 8, r: 3 })
      sim.net.kill(nodeOf(sim, 50).self.address)
      const n10 = nodeOf(sim, 10)
      await n10.stabilize()
      assert.deepEqual(ids(n10.state.successors), [90, 200])
      assert.equal(nodeOf(sim, 90).state.predecessor?.id, 10n) // after the notify, through the dead-pred rule
    })

    it('check_predecessor forgets a dead predecessor', async () => {
      const sim = await buildRing([10, 50, 90], { m: 8, r: 2 })
      sim.net.kill(nodeOf(sim, 50).self.address)
      const n90 = nodeOf(sim, 90)
      await n90.checkPredecessor()
      assert.equal(n90.state.predecessor, undefined)
      assert.equal(n90.state.range(), undefined)
    })

    it('a graceful leave hands the leaver\'s neighbours to each other at once', async () => {
      const sim = await buildRing([10, 50, 90, 200], { m: 8, r: 2 })
      const leaver = nodeOf(sim, 50)
      await leaver.leave()
      sim.net.kill(leaver.self.address)
      assert.deepEqual(ids(nodeOf(sim, 10).state.successors), [90, 200])
      assert.equal(nodeOf(sim, 90).state.predecessor?.id, 10n)
      assert.equal((await nodeOf(sim, 200).checkRing()).ok, true)
    })

    it('the last two nodes: one leaves, the other is alone again', async () => {
      const sim = await buildRing([10, 90], { m: 8, r: 2 })
      await nodeOf(sim, 90).leave()
      sim.net.kill(nodeOf(sim, 90).self.address)
      assert.equal(nodeOf(sim, 10).state.alone, true)
    })
  })

  it('reports successor, successor list, predecessor and range changes', async () => {
    const space = new IdSpace(8)
    const net = new SimNetwork(8)
    const changes: RingChange[] = []
    const a = new ChordNode({ space, self: ref(10), r: 2, transport: net, onChange: c => changes.push(c) })
    const b = new ChordNode({ space, self: ref(90), r: 2, transport: net })
    net.add(a)
    net.add(b)
    await b.join(await a.successorsFor(90n))
    assert.deepEqual(changes, [
      { type: 'successor:change', previous: ref(10), current: ref(90) },
      { type: 'successors:change', current: [ref(90)] },
      { type: 'predecessor:change', previous: undefined, current: ref(90) },
      { type: 'range:change', from: 90n, to: 10n }
    ])
  })

  describe('lookups around a dead predecessor of the key (ToN §V-A)', () => {
    // 10 → 50† → 60 → 90 → 200; key 55 belongs to 60, and the only node before it, 50, has crashed. 10 still
    // answers "ask 50" for it, so the caller must read 10's successor list to get past it.
    let sim: Simulation
    beforeEach(async () => {
      sim = await buildRing([10, 50, 60, 90, 200], { m: 8, r: 3 })
      sim.net.kill(nodeOf(sim, 50).self.address)
    })

    it('through a remote node', async () => {
      const evs = await events(nodeOf(sim, 200).lookup(55n))
      assert.deepEqual(trace(evs), ['hop 50', 'hop-failed 50', 'hop 10', 'hop 10', 'found 60,90'])
      assert.equal(bruteSuccessor([10n, 60n, 90n, 200n], 55n), 60n)
    })

    it('from the node before the key itself', async () => {
      const evs = await events(nodeOf(sim, 10).lookup(55n))
      assert.deepEqual(trace(evs), ['hop 50', 'hop-failed 50', 'found 60,90'])
    })

    it('drops nodes found dead from the answer', async () => {
      // a scripted transport: A is dead; B answers with a list that still leads with A
      const space = new IdSpace(8)
      const [a, b, c] = [ref(100), ref(90), ref(120)]
      const transport = {
        findSuccessor: async (to: { id: bigint }) => {
          if (to.id === a.id) throw new Error('down')
          return { found: true as const, nodes: [a, c] }
        },
        getState: async () => ({ successors: [] }),
        notify: async () => {},
        ping: async () => {},
        leave: async () => {},
        unify: async () => {}
      }
      const evs = await events(lookup(space, transport, 105n, { found: false, nodes: [b, a] }))
      assert.deepEqual(trace(evs), ['hop 100', 'hop-failed 100', 'hop 90', 'found 120'])
    })
  })
})
