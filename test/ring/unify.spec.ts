// Ring unification (src/ring/node.ts `unify`, `probeDeparted`) on the simulator's network: two rings that never
// met become one, and a ring split in two by a partition closes a ring on each side and merges again after the
// heal. The expected rings are computed here by sorting ids (test/utils/ring.ts), apart from the code under test.
import assert from 'node:assert/strict'
import { Simulation } from '../../sim/simulate.js'
import { bruteSuccessor, bruteSuccessors } from '../utils/ring.js'
import type { ChordNode } from '../../src/ring/node.js'

/** Problems of `nodes` as one ring of their own: each successor list and predecessor against the sorted ids. */
function problems (nodes: readonly ChordNode[], r: number): string[] {
  const ids = nodes.map(n => n.self.id)
  const sorted = [...ids].sort((a, b) => (a < b ? -1 : 1))
  const out: string[] = []
  for (const n of nodes) {
    const want = bruteSuccessors(ids, n.self.id, r)
    const got = n.state.successors.map(s => s.id)
    if (got.join() !== want.join()) out.push(`${n.self.id}: successors ${got.join()} want ${want.join()}`)
    const pred = sorted[(sorted.indexOf(n.self.id) - 1 + sorted.length) % sorted.length]
    if (n.state.predecessor?.id !== pred) out.push(`${n.self.id}: predecessor ${n.state.predecessor?.id} want ${pred}`)
  }
  return out
}

/** Rounds until `nodes` form one correct ring (at most `max`); the count, or -1. */
async function roundsUntilRing (sim: Simulation, nodes: readonly ChordNode[], max: number): Promise<number> {
  for (let round = 0; round <= max; round++) {
    if (problems(nodes, sim.r).length === 0) return round
    await sim.round()
  }
  return -1
}

describe('ring/node unification', () => {
  it('two rings that never met become one after a single node unifies with the other ring', async () => {
    const sim = new Simulation({ m: 32, r: 4, seed: 11 })
    const built = await sim.build(20)
    assert.equal(built.converged, true)
    const a = sim.live()
    // A second ring of 12, joined only through its own first node.
    const b = [sim.spawn()]
    for (let i = 1; i < 12; i++) {
      const joiner = sim.spawn()
      await joiner.join(await b[0].successorsFor(joiner.self.id))
      b.push(joiner)
    }
    assert.ok(await roundsUntilRing(sim, b, 60) >= 0, 'the second ring closed')
    assert.deepEqual(problems(a, sim.r), [], 'the first ring is untouched by the second')
    assert.ok(problems(sim.live(), sim.r).length > 0, 'two rings, not one')

    assert.equal(await b[3].unify(a[5].self), true)
    const rounds = await roundsUntilRing(sim, sim.live(), 10)
    assert.ok(rounds >= 0, `one ring within 10 rounds: ${problems(sim.live(), sim.r).join('; ')}`)
    // Every node finds every key's true owner.
    const ids = sim.live().map(n => n.self.id)
    for (const node of sim.live()) {
      const key = sim.rng.bigint(32)
      assert.equal((await node.findOwner(key)).nodes[0].id, bruteSuccessor(ids, key))
    }
  })

  it('unifying with a node of its own ring changes nothing and passes nothing on', async () => {
    const sim = new Simulation({ m: 32, r: 4, seed: 3 })
    await sim.build(16)
    const [x, y] = sim.live()
    const before = sim.net.stats.byKind.unify.calls
    assert.equal(await x.unify(y.self), false)
    assert.equal(sim.net.stats.byKind.unify.calls, before)
    assert.deepEqual(problems(sim.live(), sim.r), [])
  })

  it('a ring split by a partition closes a ring on each side, and merges again after the heal by probing the departed', async () => {
    const sim = new Simulation({ m: 32, r: 5, seed: 5 })
    await sim.build(40)
    const nodes = sim.live()
    const sides = new Map(nodes.map((n, i) => [n.self.address, i % 3 === 0 ? 1 : 0]))
    const side = (s: number): ChordNode[] => nodes.filter(n => sides.get(n.self.address) === s)
    sim.net.split(sides)
    // Each side forgets the other (a node whose whole list was on the other side is left alone: a ring of one).
    const across = (): number => nodes.filter(n => n.state.successors.some(s => sides.get(s.address) !== sides.get(n.self.address))).length
    for (let round = 0; round < 80 && across() > 0; round++) await sim.round()
    for (let round = 0; round < 20; round++) await sim.round()
    assert.equal(across(), 0, 'no node lists a node of the other side')
    assert.ok(problems(nodes, sim.r).length > 0, 'not one ring while split')
    for (const s of [0, 1]) assert.ok(side(s).some(n => n.departedCount > 0), `nodes of side ${s} keep probing the other side`)

    sim.net.heal()
    const rounds = await roundsUntilRing(sim, nodes, 10)
    assert.ok(rounds >= 0, `one ring within 10 rounds of the heal: ${problems(nodes, sim.r).slice(0, 3).join('; ')}`)
  })

  it('a departed node that stays dead is probed, not unified with, and forgotten in the end', async () => {
    const sim = new Simulation({ m: 16, r: 3, seed: 9 })
    await sim.build(6)
    const [x, dead] = sim.live()
    sim.net.kill(dead.self.address)
    x.markDead(dead.self, 'test')
    assert.equal(x.departedCount, 1)
    assert.equal(await x.probeDeparted(), false)
    assert.equal(x.departedCount, 1, 'kept after one failed probe')
    const { DEPARTED_PROBES } = await import('../../src/ring/node.js')
    for (let i = 1; i < DEPARTED_PROBES; i++) await x.probeDeparted()
    assert.equal(x.departedCount, 0, `forgotten after ${DEPARTED_PROBES} failed probes`)
  })
})
