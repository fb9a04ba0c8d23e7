// The sorted-id oracle: the true owner of a key is the first node id at or after it, wrapping around.
export function trueOwner (sortedIds: readonly bigint[], key: bigint): bigint {
  for (const id of sortedIds) if (id >= key) return id
  return sortedIds[0]
}

/** A deterministic stream of 256-bit keys (xorshift), so a failing run can be replayed. */
export function * randomKeys (count: number, seed = 0x9e3779b97f4a7c15n): Generator<bigint> {
  let s = seed
  const mask = (1n << 64n) - 1n
  const next = (): bigint => {
    s ^= (s << 13n) & mask; s ^= s >> 7n; s ^= (s << 17n) & mask
    return s
  }
  for (let i = 0; i < count; i++) yield (next() << 192n) | (next() << 128n) | (next() << 64n) | next()
}

/** The ids of the k nodes that should hold `keyHex` among `ids` (any order): its owner and the next k − 1. */
export function placementOf (ids: readonly bigint[], keyHex: string, k: number): bigint[] {
  const sorted = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const x = BigInt('0x' + keyHex)
  const i = Math.max(0, sorted.findIndex(id => id >= x))
  return Array.from({ length: Math.min(k, sorted.length) }, (_, j) => sorted[(i + j) % sorted.length])
}
