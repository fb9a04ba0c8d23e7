// Identifier arithmetic (src/ring/id.ts), exhaustively on an 8-bit ring against a step-by-step walk around it
// (go-chord util_test.go style): every (a, x, b) for between and betweenRightIncl, every finger start.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { IdSpace, DEFAULT_M, shortId } from '../../src/ring/id.js'

const M = 8
const SIZE = 1 << M
const s8 = new IdSpace(M)

/** The points strictly after a, walking clockwise one step at a time, until b (for a = b: a full turn). */
function walkOpen (a: number, b: number): Uint8Array {
  const inside = new Uint8Array(SIZE)
  for (let x = (a + 1) % SIZE; x !== b; x = (x + 1) % SIZE) inside[x] = 1
  return inside
}

describe('ring/id', () => {
  it('has 2^m points and rejects a bad m', () => {
    assert.equal(s8.size, 256n)
    assert.equal(new IdSpace().m, DEFAULT_M)
    assert.equal(new IdSpace(256).size, 1n << 256n)
    for (const bad of [0, -1, 257, 1.5, NaN]) assert.throws(() => new IdSpace(bad), RangeError)
  })

  it('between(a, x, b) is the open clockwise interval, for every a, x, b of an 8-bit ring', () => {
    let checked = 0
    for (let a = 0; a < SIZE; a++) {
      for (let b = 0; b < SIZE; b++) {
        const inside = walkOpen(a, b)
        for (let x = 0; x < SIZE; x++) {
          const got = s8.between(BigInt(a), BigInt(x), BigInt(b))
          if (got !== (inside[x] === 1)) assert.fail(`between(${a}, ${x}, ${b}) = ${got}`)
          checked++
        }
      }
    }
    assert.equal(checked, SIZE ** 3)
  })

  it('betweenRightIncl(a, x, b) is (a, b], the whole ring when a = b, for every a, x, b', () => {
    for (let a = 0; a < SIZE; a++) {
      for (let b = 0; b < SIZE; b++) {
        const inside = walkOpen(a, b)
        inside[b] = 1 // right-inclusive; for a = b this closes the full turn
        for (let x = 0; x < SIZE; x++) {
          const got = s8.betweenRightIncl(BigInt(a), BigInt(x), BigInt(b))
          if (got !== (inside[x] === 1)) assert.fail(`betweenRightIncl(${a}, ${x}, ${b}) = ${got}`)
        }
      }
    }
  })

  it('handles the named edge cases', () => {
    // wrap-around past zero
    assert.equal(s8.between(250n, 3n, 10n), true)
    assert.equal(s8.between(250n, 249n, 10n), false)
    assert.equal(s8.between(250n, 0n, 10n), true)
    assert.equal(s8.between(250n, 255n, 0n), true)
    // equal ends: everything but the point (open) / everything (right-inclusive)
    assert.equal(s8.between(7n, 7n, 7n), false)
    assert.equal(s8.between(7n, 8n, 7n), true)
    assert.equal(s8.betweenRightIncl(7n, 7n, 7n), true)
    // adjacent ends: an empty open interval
    assert.equal(s8.between(7n, 7n, 8n), false)
    assert.equal(s8.between(7n, 8n, 8n), false)
    assert.equal(s8.betweenRightIncl(7n, 8n, 8n), true)
    assert.equal(s8.between(255n, 0n, 0n), false)
    assert.equal(s8.betweenRightIncl(255n, 0n, 0n), true)
  })

  it('distance is the clockwise step count', () => {
    for (let a = 0; a < SIZE; a++) {
      for (let b = 0; b < SIZE; b++) {
        let steps = 0
        for (let x = a; x !== b; x = (x + 1) % SIZE) steps++
        assert.equal(s8.distance(BigInt(a), BigInt(b)), BigInt(steps))
      }
    }
  })

  it('compareDistanceTo and compareDistanceFrom order two points as their distances do, for every key, a, b', () => {
    const sign = (d: bigint): number => (d < 0n ? -1 : d > 0n ? 1 : 0)
    for (let k = 0; k < SIZE; k++) {
      const key = BigInt(k)
      for (let a = 0; a < SIZE; a++) {
        for (let b = 0; b < SIZE; b++) {
          const [x, y] = [BigInt(a), BigInt(b)]
          const to = s8.compareDistanceTo(key, x, y)
          if (to !== sign(s8.distance(x, key) - s8.distance(y, key))) assert.fail(`compareDistanceTo(${k}, ${a}, ${b}) = ${to}`)
          const from = s8.compareDistanceFrom(key, x, y)
          if (from !== sign(s8.distance(key, x) - s8.distance(key, y))) assert.fail(`compareDistanceFrom(${k}, ${a}, ${b}) = ${from}`)
        }
      }
    }
  })

  it('fingerOffset(i) = 2^i, and rejects an index outside [0, m)', () => {
    for (let i = 0; i < M; i++) assert.equal(s8.fingerOffset(i), 1n << BigInt(i))
    assert.equal(new IdSpace(256).fingerOffset(255), 1n << 255n)
    for (const bad of [-1, M, 1.5]) assert.throws(() => s8.fingerOffset(bad), RangeError)
  })

  it('fingerStart(n, i) = n + 2^i mod 2^m, and rejects an index outside [0, m)', () => {
    for (let n = 0; n < SIZE; n++) {
      for (let i = 0; i < M; i++) assert.equal(s8.fingerStart(BigInt(n), i), BigInt((n + 2 ** i) % SIZE))
    }
    assert.equal(s8.fingerStart(200n, 7), 72n) // 200 + 128 - 256
    assert.throws(() => s8.fingerStart(1n, 8), RangeError)
    assert.throws(() => s8.fingerStart(1n, -1), RangeError)
    const big = new IdSpace(256)
    assert.equal(big.fingerStart((1n << 256n) - 1n, 255), (1n << 255n) - 1n)
  })

  it('wrap reduces any integer, negative ones included', () => {
    assert.equal(s8.wrap(256n), 0n)
    assert.equal(s8.wrap(257n), 1n)
    assert.equal(s8.wrap(-1n), 255n)
    assert.equal(s8.wrap(-257n), 255n)
    fc.assert(fc.property(fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }), x => {
      const w = s8.wrap(x)
      return w >= 0n && w < 256n && (x - w) % 256n === 0n
    }))
  })

  it('toBytes / fromBytes round-trip every 8-bit id and random 256-bit ids', () => {
    for (let id = 0; id < SIZE; id++) {
      const bytes = s8.toBytes(BigInt(id))
      assert.deepEqual([...bytes], [id])
      assert.equal(s8.fromBytes(bytes), BigInt(id))
    }
    const big = new IdSpace(256)
    assert.deepEqual([...big.toBytes(1n)], [...new Array(31).fill(0), 1])
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), id => {
      const bytes = big.toBytes(id)
      return bytes.length === 32 && big.fromBytes(bytes) === id
    }))
    const s12 = new IdSpace(12) // not a whole number of bytes: two bytes, high bits masked
    assert.deepEqual([...s12.toBytes(0xabcn)], [0x0a, 0xbc])
    assert.equal(s12.fromBytes(Uint8Array.from([0xff, 0xff])), 0xfffn)
    assert.throws(() => s8.fromBytes(new Uint8Array(0)), RangeError)
    assert.throws(() => s8.fromBytes(new Uint8Array(2)), RangeError)
  })

  it('hash is SHA-256, big-endian, reduced to the low m bits', () => {
    const digest = createHash('sha256').update('notes.pdf').digest()
    assert.equal(s8.hash('notes.pdf'), BigInt(digest[31]))
    assert.equal(new IdSpace(16).hash('notes.pdf'), BigInt(digest[30] * 256 + digest[31]))
    assert.equal(new IdSpace(256).hash('notes.pdf'), BigInt('0x' + digest.toString('hex')))
    assert.equal(s8.hash(new TextEncoder().encode('notes.pdf')), s8.hash('notes.pdf'))
  })

  it('toHex pads to the width of the space; shortId cuts to 8 digits', () => {
    assert.equal(s8.toHex(10n), '0a')
    assert.equal(new IdSpace(256).toHex(10n), '0'.repeat(63) + 'a')
    assert.equal(shortId(new IdSpace(256), 0xabcdef12345n), '00000000')
    assert.equal(shortId(new IdSpace(32), 0xabcdef12n), 'abcdef12')
  })
})
