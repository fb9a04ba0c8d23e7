// Property tests (fast-check) of the whole protocol on an 8-bit ring: for random id sets joined in random order
// and stabilised, every lookup names the brute-force owner and the ring check holds; the same after crashing a
// random set of nodes with fewer than r consecutive failures (Chord ToN Theorem IV.5's premise) and
// re-stabilising.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { ChordNode } from '../../src/ring/node.js'
import type { Simulation } from '../../sim/simulate.js'
import { bruteSuccessor, bruteSuccessors, buildRing } from '../utils/ring.js'

const M = 8
/** Cases per property; FC_RUNS=1000 for a long soak. */
const RUNS = Number(process.env.FC_RUNS ?? 40)

/** Look up every key of the 8-bit ring from a few nodes and compare with the brute-force owner. */
async function assertLookups (sim: Simulation, live: readonly bigint[], origins: readonly ChordNode[]): Promise<void> {
  for (const from of origins) {
    for (let key = 0n; key < 1n << BigInt(M); key++) {
      const { nodes } = await from.findOwner(key)
      assert.equal(nodes[0].id, bruteSuccessor(live, key),
        `lookup of ${key} from ${from.self.id} in ring ${[...live].sort((a, b) => Number(a - b))}`)
    }
  }
}

/** Every live node's successor list and predecessor are the brute-force neighbours, and the walk is clean. */
async function assertRing (sim: Simulation, live: readonly bigint[], r: number): Promise<void> {
  const nodes = sim.live()
  assert.equal(nodes.length, live.length)
  for (const node of nodes) {
    assert.deepEqual(node.state.successors.map(s => s.id), live.length === 1 ? [node.self.id] : bruteSuccessors(live, node.self.id, r))
    if (live.length > 1) {
      const sorted = [...live].sort((a, b) => (a < b ? -1 : 1))
      const i = sorted.indexOf(node.self.id)
      assert.equal(node.state.predecessor?.id, sorted[(i - 1 + sorted.length) % sorted.length])
    }
  }
  const check = await nodes[0].checkRing()
  assert.deepEqual(check.problems, [])
  assert.equal(check.members.length, live.length)
}

const ringIds = (max: number, min = 1): fc.Arbitrary<number[]> =>
  fc.uniqueArray(fc.integer({ min: 0, max: (1 << M) - 1 }), { minLength: min, maxLength: max, size: 'max' })

describe('ring properties (fast-check, m = 8)', function () {
  this.timeout(120_000)

  it('after joins and stabilisation, every lookup finds the true owner and the ring check holds', async () => {
    await fc.assert(fc.asyncProperty(ringIds(40), fc.integer({ min: 1, max: 6 }), fc.nat(1000), async (ids, r, seed) => {
      const sim = await buildRing(ids, { m: M, r, seed })
      const live = ids.map(BigInt)
      await assertRing(sim, live, r)
      await assertLookups(sim, live, sim.live().slice(0, 3))
    }), { numRuns: RUNS })
  })

  it('after random failures of fewer than r consecutive nodes and re-stabilisation, the same holds', async () => {
    const scenario = fc.integer({ min: 2, max: 5 }).chain(r => fc.record({
      r: fc.constant(r),
      ids: ringIds(40, r + 2),
      seed: fc.nat(1000),
      failures: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 })
    }))
    await fc.assert(fc.asyncProperty(scenario, async ({ r, ids, seed, failures }) => {
      const sim = await buildRing(ids, { m: M, r, seed })
      const sorted = ids.map(BigInt).sort((a, b) => (a < b ? -1 : 1))
      // Crash the flagged nodes, but never r in a row around the ring (so every successor list keeps a live
      // node) and never all of them.
      const dead = sorted.map((_, i) => failures[i])
      for (let i = 0; i < sorted.length; i++) {
        let run = 0
        while (run < r && dead[(i + run) % sorted.length]) run++
        if (run === r) dead[(i + r - 1) % sorted.length] = false
      }
      if (dead.every(d => d)) dead[0] = false
      for (const node of sim.live()) if (dead[sorted.indexOf(node.self.id)]) sim.net.kill(node.self.address)
      const live = sorted.filter((_, i) => !dead[i])

      const repaired = await sim.converge(200, 'full')
      assert.equal(repaired.converged, true, `not repaired: ${repaired.problems.join(', ')}`)
      await assertRing(sim, live, r)
      await assertLookups(sim, live, sim.live().slice(0, 3))
    }), { numRuns: RUNS })
  })

  it('lookups made right after the failures, before any repair, still find the owner', async () => {
    const scenario = fc.record({
      ids: ringIds(40, 8),
      seed: fc.nat(1000),
      failures: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 })
    })
    await fc.assert(fc.asyncProperty(scenario, async ({ ids, seed, failures }) => {
      const r = 4
      const sim = await buildRing(ids, { m: M, r, seed })
      const sorted = ids.map(BigInt).sort((a, b) => (a < b ? -1 : 1))
      const dead = sorted.map((_, i) => failures[i] && i % r !== 0) // at most r - 1 in a row, node 0 survives
      for (const node of sim.live()) if (dead[sorted.indexOf(node.self.id)]) sim.net.kill(node.self.address)
      const live = sorted.filter((_, i) => !dead[i])
      // A lookup's first answer may still lead with a crashed node (its successor list is stale); the owner is
      // the first live node of the answer.
      for (const from of sim.live().slice(0, 2)) {
        for (let key = 0n; key < 256n; key += 3n) {
          const { nodes } = await from.findOwner(key)
          const owner = nodes.find(n => sim.net.isLive(n))
          assert.equal(owner?.id, bruteSuccessor(live, key), `lookup of ${key} from ${from.self.id}`)
        }
      }
    }), { numRuns: RUNS })
  })
})
