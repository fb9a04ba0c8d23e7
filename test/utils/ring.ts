// Test helpers for the ring core: a brute-force oracle (written apart from src/ring and sim/, so a shared bug
// cannot make a test pass) and rings built through the real protocol on the simulator's in-memory network.
import { IdSpace } from '../../src/ring/id.js'
import type { NodeRef } from '../../src/ring/types.js'
import { Simulation } from '../../sim/simulate.js'

/** successor(key) by a linear scan: the smallest id ≥ key, else the smallest id (the ring wraps). */
export function bruteSuccessor (ids: readonly bigint[], key: bigint): bigint {
  let atOrAfter: bigint | undefined
  let smallest = ids[0]
  for (const id of ids) {
    if (id < smallest) smallest = id
    if (id >= key && (atOrAfter === undefined || id < atOrAfter)) atOrAfter = id
  }
  return atOrAfter ?? smallest
}

/** The ids in ring order after `id`, `count` of them, by sorting (fewer when the ring is smaller). */
export function bruteSuccessors (ids: readonly bigint[], id: bigint, count: number): bigint[] {
  const sorted = [...ids].sort((a, b) => (a < b ? -1 : 1))
  const i = sorted.indexOf(id)
  return Array.from({ length: Math.min(count, sorted.length - 1) }, (_, k) => sorted[(i + 1 + k) % sorted.length])
}

export function ref (id: number | bigint): NodeRef {
  return { id: BigInt(id), address: `n${id}` }
}

/** Join the given ids one batch at a time through the protocol (successorsFor + join) and stabilise fully. */
export async function buildRing (ids: readonly (number | bigint)[], options: { m: number, r: number, seed?: number }): Promise<Simulation> {
  const sim = new Simulation({ m: options.m, r: options.r, seed: options.seed ?? 7 })
  const built = await sim.build(ids.map(BigInt), { maxRounds: 300 })
  if (!built.converged) throw new Error(`ring of ${ids.length} did not converge in ${built.rounds} rounds`)
  return sim
}

export function space (m: number): IdSpace {
  return new IdSpace(m)
}
