// The ring size gauge from a node's successor list (src/metrics/sources.ts ringSizeEstimate), on an 8-bit ring
// drawn by hand: exact while the list has not filled, an estimate from the arc the list spans once it has.
//
//   m = 8, 32 nodes every 8 points:  0 ── 8 ── 16 ── 24 ── 32 ── … ── 248 ── back to 0
import assert from 'node:assert/strict'
import { IdSpace, type NodeRef } from '../../src/ring/index.js'
import { ringSizeEstimate } from '../../src/metrics/sources.js'

const space = new IdSpace(8)
const node = (id: number): NodeRef => ({ id: BigInt(id), address: `n${id}` })

describe('metrics: ring size from the successor list', () => {
  it('a list shorter than r went all the way round: the ring is exactly its nodes and this one', () => {
    assert.equal(ringSizeEstimate(space, node(0), [], 4), 1)
    assert.equal(ringSizeEstimate(space, node(0), [node(100)], 4), 2)
    assert.equal(ringSizeEstimate(space, node(0), [node(100), node(200), node(250)], 4), 4)
  })

  it('a full list of evenly spaced nodes gives the number of nodes', () => {
    const self = node(0)
    assert.equal(ringSizeEstimate(space, self, [node(8), node(16), node(24), node(32)], 4), 32)
    // The same from a node whose list wraps past zero.
    assert.equal(ringSizeEstimate(space, node(240), [node(248), node(0), node(8), node(16)], 4), 32)
  })

  it('denser successors mean a larger ring, and the estimate never falls below the nodes it has seen', () => {
    const sparse = ringSizeEstimate(space, node(0), [node(16), node(32), node(48), node(64)], 4)
    const dense = ringSizeEstimate(space, node(0), [node(2), node(4), node(6), node(8)], 4)
    assert.equal(sparse, 16)
    assert.equal(dense, 128)
    assert.equal(ringSizeEstimate(space, node(0), [node(60), node(120), node(180), node(250)], 4), 5)
  })
})
