// FileRecord ↔ wire (src/files/wire.ts): records survive the trip through protobuf bytes unchanged, and every
// rule a received record must meet rejects a record that breaks it, with InvalidMessageError.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { FileRecord as WireRecord } from '../../protocols/files.js'
import { MAX_NAME_BYTES, type FileRecord } from '../../src/files/record.js'
import {
  MAX_CHUNK_SIZE, MAX_FILE_SIZE, MIN_CHUNK_SIZE,
  bytesToHex, checkComplete, hexToBytes, nameProblem, recordFromWire, recordToWire
} from '../../src/files/wire.js'

const sha = (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex')
const hex32 = (): string => randomBytes(32).toString('hex')
const isInvalidMessage = (err: Error & { code?: string }): boolean =>
  err.name === 'InvalidMessageError' && err.code === 'ERR_INVALID_MESSAGE'

/** A complete record of `size` bytes in chunks of `chunkSize`, with made-up hashes. */
function record (over: Partial<FileRecord> = {}): FileRecord {
  const name = over.name ?? 'notes.pdf'
  const size = over.size ?? 2 * MIN_CHUNK_SIZE + 5
  const chunkSize = over.chunkSize ?? MIN_CHUNK_SIZE
  return {
    name,
    key: sha(name),
    size,
    hash: hex32(),
    chunkSize,
    chunkHashes: Array.from({ length: Math.ceil(size / chunkSize) }, hex32),
    version: { time: 1_717_000_000_000, counter: 3, writer: '12D3KooWGzh8TmnAVG2ePq9mrWR8GAXxTvyPdmXcKEESKfsXMB8x' },
    tombstone: false,
    contentType: 'application/pdf',
    created: 1_716_000_000_000,
    modified: 1_717_000_000_000,
    signature: 'ab'.repeat(64),
    ...over
  }
}

/** Through the wire form and protobuf bytes and back. */
const viaBytes = (r: FileRecord, complete: boolean): FileRecord =>
  recordFromWire(WireRecord.decode(WireRecord.encode(recordToWire(r))), complete)

describe('files/wire', () => {
  describe('recordToWire / recordFromWire', () => {
    it('a complete record round-trips through protobuf bytes unchanged', () => {
      const r = record()
      assert.deepEqual(viaBytes(r, true), r)
    })

    it('a tombstone (no hash, no chunks, size 0) round-trips', () => {
      const r = record({ tombstone: true, size: 0, hash: '', chunkHashes: [], contentType: '' })
      assert.deepEqual(viaBytes(r, false), r)
    })

    it('any acceptable record round-trips', () => {
      const nameArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter(n => nameProblem(n) === undefined)
      fc.assert(fc.property(
        nameArb,
        fc.integer({ min: 0, max: 50 * MIN_CHUNK_SIZE }),
        fc.integer({ min: MIN_CHUNK_SIZE, max: MAX_CHUNK_SIZE }),
        fc.record({ time: fc.nat(), counter: fc.nat(), writer: fc.string({ minLength: 1, maxLength: 60 }) }),
        fc.string({ maxLength: 256 }),
        (name, size, chunkSize, version, contentType) => {
          const r = record({ name, size, chunkSize, version: { ...version }, contentType })
          assert.deepEqual(viaBytes(r, true), r)
        }
      ), { numRuns: 200 })
    })

    it('the wire form carries the key, hashes and times as bytes and integers', () => {
      const r = record()
      const w = recordToWire(r)
      assert.equal(bytesToHex(w.key), sha(r.name))
      assert.equal(w.key.byteLength, 32)
      assert.equal(w.hash.byteLength, 32)
      assert.ok(w.chunkHashes.every(h => h.byteLength === 32))
      assert.equal(w.size, BigInt(r.size))
      assert.equal(w.version?.time, BigInt(r.version.time))
      assert.equal(recordToWire(record({ tombstone: true, size: 0, hash: '', chunkHashes: [] })).hash.byteLength, 0)
    })
  })

  describe('validation of a received record', () => {
    const wire = (over: Partial<FileRecord> = {}): WireRecord => recordToWire(record(over))
    const named = (name: string): WireRecord => wire({ name, key: sha(name) })
    const bad: Array<[string, () => WireRecord | undefined]> = [
      ['no record at all', () => undefined],
      ['an empty name', () => named('')],
      ['a name with a NUL byte', () => named('a\0b')],
      [`a name of ${MAX_NAME_BYTES + 1} UTF-8 bytes (fewer characters)`, () => named('é'.repeat((MAX_NAME_BYTES + 2) / 2))],
      ['the name .', () => named('.')],
      ['the name ..', () => named('..')],
      ['a key that is SHA-256 of another name', () => ({ ...wire(), key: hexToBytes(sha('other.pdf')) })],
      ['a key of 31 bytes', () => ({ ...wire(), key: hexToBytes(sha('notes.pdf')).subarray(1) })],
      [`a chunk size of ${MIN_CHUNK_SIZE - 1}`, () => ({ ...wire(), chunkSize: MIN_CHUNK_SIZE - 1 })],
      [`a chunk size of ${MAX_CHUNK_SIZE + 1}`, () => ({ ...wire(), chunkSize: MAX_CHUNK_SIZE + 1 })],
      ['no version', () => ({ ...wire(), version: undefined })],
      ['a version without a writer', () => ({ ...wire(), version: { time: 1n, counter: 0, writer: '' } })],
      ['a content type of 257 characters', () => ({ ...wire(), contentType: 'x'.repeat(257) })],
      ['a size over MAX_FILE_SIZE', () => ({ ...wire(), size: BigInt(MAX_FILE_SIZE) + 1n })]
    ]
    for (const [what, make] of bad) {
      it(`${what} is rejected with InvalidMessageError, complete or not`, () => {
        assert.throws(() => recordFromWire(make(), false), isInvalidMessage)
        assert.throws(() => recordFromWire(make(), true), isInvalidMessage)
      })
    }

    it('the limits themselves are accepted', () => {
      const longest = 'é'.repeat(MAX_NAME_BYTES / 2)
      assert.equal(Buffer.byteLength(longest), MAX_NAME_BYTES)
      assert.equal(recordFromWire(named(longest), true).name, longest)
      for (const chunkSize of [MIN_CHUNK_SIZE, MAX_CHUNK_SIZE]) assert.equal(recordFromWire(wire({ chunkSize }), true).chunkSize, chunkSize)
      assert.equal(recordFromWire(wire({ contentType: 'x'.repeat(256) }), true).contentType.length, 256)
      assert.equal(recordFromWire({ ...wire({ size: 0, chunkHashes: [] }), size: BigInt(MAX_FILE_SIZE) }, false).size, MAX_FILE_SIZE)
      for (const name of ['...', 'a/../b', '../x', ' ', 'dir/file', '日本語.txt']) assert.equal(recordFromWire(named(name), true).name, name)
    })

    it('a complete read checks the content fields; an incomplete one does not', () => {
      const w = { ...wire(), chunkHashes: wire().chunkHashes.slice(1) } // one chunk hash short
      assert.equal(recordFromWire(w, false).chunkHashes.length, 2)
      assert.throws(() => recordFromWire(w, true), isInvalidMessage)
    })
  })

  describe('checkComplete', () => {
    it('accepts consistent records: chunks = ⌈size / chunk size⌉, an empty file with none', () => {
      checkComplete(record())
      checkComplete(record({ size: 3 * MIN_CHUNK_SIZE })) // an exact multiple: no empty last chunk
      checkComplete(record({ size: 1 }))
      checkComplete(record({ size: 0, chunkHashes: [] }))
    })

    const broken: Array<[string, () => FileRecord]> = [
      ['no hash', () => record({ hash: '' })],
      ['a hash of 31 bytes', () => record({ hash: hex32().slice(2) })],
      ['an upper-case hash', () => record({ hash: hex32().toUpperCase().replace(/^[0-9]/, 'A') })],
      ['a chunk hash that is not 32 bytes', () => { const r = record(); r.chunkHashes[1] = 'abc'; return r }],
      ['one chunk hash too many', () => { const r = record(); r.chunkHashes.push(hex32()); return r }],
      ['one chunk hash too few', () => { const r = record(); r.chunkHashes.pop(); return r }],
      ['a chunk hash for an empty file', () => record({ size: 0, chunkHashes: [hex32()] })],
      ['a tombstone with content', () => record({ tombstone: true })]
    ]
    for (const [what, make] of broken) {
      it(`rejects ${what} with InvalidMessageError`, () => {
        assert.throws(() => checkComplete(make()), isInvalidMessage)
      })
    }
  })

  describe('nameProblem', () => {
    it('accepts any name but the empty one, . and .., one with NUL, or one over MAX_NAME_BYTES bytes', () => {
      for (const ok of ['a', '...', '.hidden', 'a/b', '../up', 'with space', 'tab\there', '日本語', 'x'.repeat(MAX_NAME_BYTES)]) {
        assert.equal(nameProblem(ok), undefined, JSON.stringify(ok))
      }
      for (const bad of ['', '.', '..', '\0', 'a\0', 'x'.repeat(MAX_NAME_BYTES + 1), '€'.repeat(342)]) {
        assert.equal(typeof nameProblem(bad), 'string', JSON.stringify(bad).slice(0, 20))
      }
    })
  })

  describe('hexToBytes / bytesToHex', () => {
    it('convert both ways', () => {
      assert.deepEqual([...hexToBytes('00ff10')], [0, 255, 16])
      assert.equal(bytesToHex(Uint8Array.from([0, 255, 16])), '00ff10')
      assert.equal(bytesToHex(new Uint8Array(0)), '')
      fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), bytes => {
        assert.deepEqual(hexToBytes(bytesToHex(bytes)), bytes)
      }))
    })

    it('bytesToHex reads only the view, not the whole buffer under it', () => {
      const view = Uint8Array.from([1, 2, 3, 4, 5]).subarray(1, 3)
      assert.equal(bytesToHex(view), '0203')
    })
  })
})
