// Content hashing (src/files/hashing.ts): a ChunkHasher fed any split of some bytes gives the size, whole hash
// and chunk hashes that hashing the joined bytes directly gives; sha256Hex agrees across its three input kinds.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { Uint8ArrayList } from 'uint8arraylist'
import { ChunkHasher, sha256Hex, type ContentDigest } from '../../src/files/hashing.js'

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** The digest computed the obvious way: the whole buffer, then each slice of `chunkSize`. */
function direct (bytes: Uint8Array, chunkSize: number): ContentDigest {
  const chunkHashes: string[] = []
  for (let at = 0; at < bytes.byteLength; at += chunkSize) chunkHashes.push(sha(bytes.subarray(at, at + chunkSize)))
  return { size: bytes.byteLength, hash: sha(bytes), chunkHashes }
}

function hashPieces (pieces: Uint8Array[], chunkSize: number): ContentDigest {
  const hasher = new ChunkHasher(chunkSize)
  for (const piece of pieces) hasher.update(piece)
  return hasher.digest()
}

/** `bytes` cut at the given offsets (sorted, possibly repeated, so empty pieces occur). */
function split (bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [0, ...cuts.map(c => c % (bytes.byteLength + 1)).sort((a, b) => a - b), bytes.byteLength]
  return at.slice(1).map((end, i) => bytes.subarray(at[i], end))
}

describe('files/hashing', () => {
  describe('ChunkHasher', () => {
    it('for any bytes, chunk size and split into pieces, matches hashing the joined bytes', () => {
      fc.assert(fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (bytes, chunkSize, cuts) => {
          assert.deepEqual(hashPieces(split(bytes, cuts), chunkSize), direct(bytes, chunkSize))
        }
      ), { numRuns: 500 })
    })

    it('empty input: size 0, the hash of no bytes, no chunks', () => {
      assert.deepEqual(hashPieces([], 1024), { size: 0, hash: sha(new Uint8Array(0)), chunkHashes: [] })
      assert.deepEqual(hashPieces([new Uint8Array(0), new Uint8Array(0)], 1024), { size: 0, hash: sha(new Uint8Array(0)), chunkHashes: [] })
    })

    it('an exact multiple of the chunk size has no empty last chunk', () => {
      const bytes = randomBytes(3 * 1024)
      const got = hashPieces([bytes.subarray(0, 1000), bytes.subarray(1000)], 1024)
      assert.equal(got.chunkHashes.length, 3)
      assert.deepEqual(got, direct(bytes, 1024))
      assert.deepEqual(hashPieces([bytes.subarray(0, 1024)], 1024).chunkHashes, [sha(bytes.subarray(0, 1024))])
    })

    it('pieces much larger than a chunk are split across many chunks', () => {
      const bytes = randomBytes(10 * 4096 + 17)
      const got = hashPieces([bytes], 4096)
      assert.equal(got.chunkHashes.length, 11)
      assert.deepEqual(got, direct(bytes, 4096))
    })

    it('counts the bytes taken so far in `size`', () => {
      const hasher = new ChunkHasher(8)
      assert.equal(hasher.size, 0)
      hasher.update(new Uint8Array(5))
      hasher.update(new Uint8Array(6))
      assert.equal(hasher.size, 11)
      assert.equal(hasher.digest().size, 11)
    })

    it('rejects a chunk size that is not a positive integer with RangeError', () => {
      for (const bad of [0, -1, 1.5, NaN, Infinity]) assert.throws(() => new ChunkHasher(bad), RangeError, String(bad))
    })
  })

  describe('sha256Hex', () => {
    it('is SHA-256 in hex (the FIPS 180-2 "abc" vector)', () => {
      assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    })

    it('a string, its UTF-8 bytes and a Uint8ArrayList of those bytes in pieces give the same hash', () => {
      fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => {
        const bytes = new TextEncoder().encode(text)
        const list = new Uint8ArrayList(...split(bytes, cuts))
        const want = sha(bytes)
        assert.equal(sha256Hex(text), want)
        assert.equal(sha256Hex(bytes), want)
        assert.equal(sha256Hex(list), want)
      }), { numRuns: 300 })
    })

    it('an empty Uint8ArrayList hashes like no bytes', () => {
      assert.equal(sha256Hex(new Uint8ArrayList()), sha256Hex(new Uint8Array(0)))
    })
  })
})
