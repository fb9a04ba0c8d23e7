// A file's bytes as chunks (src/files/chunks.ts): chunkSpan turns a byte range into the chunks that hold it
// (checked against a byte-by-byte oracle) and spanBytes back into bytes; trim cuts the range out of them;
// verifiedChunks passes only chunks that match the record; pieces hands on every piece as it arrived, joined
// gives each chunk in one buffer.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { Uint8ArrayList } from 'uint8arraylist'
import { chunkSpan, joined, lists, pieces, spanBytes, trim, verifiedChunks } from '../../src/files/chunks.js'
import type { FileRecord } from '../../src/files/record.js'

/** A record of `size` bytes in chunks of `chunkSize` (only the fields a span depends on are meaningful). */
function file (size: number, chunkSize: number): FileRecord {
  return {
    name: 'f',
    key: '0'.repeat(64),
    size,
    hash: '0'.repeat(64),
    chunkSize,
    chunkHashes: Array.from({ length: Math.ceil(size / chunkSize) }, () => '0'.repeat(64)),
    version: { time: 1, counter: 0, writer: 'w' },
    tombstone: false,
    contentType: '',
    created: 1,
    modified: 1,
    signature: ''
  }
}

/** The chunks [first, end) that hold bytes [offset, offset + length) of the file (length 0: to the end), byte by byte. */
function touched (size: number, chunkSize: number, offset: number, length: number): { first: number, end: number } {
  const stop = length === 0 ? size : Math.min(offset + length, size)
  let first = -1
  let last = -1
  for (let byte = offset; byte < stop; byte++) {
    const chunk = Math.floor(byte / chunkSize)
    if (first < 0) first = chunk
    last = chunk
  }
  return { first, end: last + 1 }
}

/** A record whose chunk hashes are those of `content`. */
function fileOf (content: Uint8Array, chunkSize: number): FileRecord {
  const r = file(content.byteLength, chunkSize)
  r.chunkHashes = r.chunkHashes.map((_, i) =>
    createHash('sha256').update(content.subarray(i * chunkSize, (i + 1) * chunkSize)).digest('hex'))
  return r
}

/** `bytes` cut at the given offsets (possibly repeated: empty pieces occur). */
function split (bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [0, ...cuts.map(c => c % (bytes.byteLength + 1)).sort((a, b) => a - b), bytes.byteLength]
  return at.slice(1).map((end, i) => bytes.subarray(at[i], end))
}

const isIntegrity = (err: Error & { code?: string }): boolean => err.name === 'IntegrityError' && err.code === 'ERR_INTEGRITY'

async function * from<T> (items: T[]): AsyncGenerator<T> {
  yield * items
}

async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

describe('files/chunks', () => {
  describe('chunkSpan', () => {
    // 35 bytes in chunks of 10: [0,10) [10,20) [20,30) [30,35), the last one short.
    const f = file(35, 10)
    const cases: Array<[string, number, number, { first: number, end: number }]> = [
      ['the whole file (length 0 = to the end)', 0, 0, { first: 0, end: 4 }],
      ['to the end from a chunk boundary', 10, 0, { first: 1, end: 4 }],
      ['to the end from inside a chunk', 13, 0, { first: 1, end: 4 }],
      ['exactly one chunk', 0, 10, { first: 0, end: 1 }],
      ['one byte past a chunk', 0, 11, { first: 0, end: 2 }],
      ['two bytes across a boundary', 9, 2, { first: 0, end: 2 }],
      ['one byte inside a chunk', 14, 1, { first: 1, end: 2 }],
      ['exactly the last, short chunk', 30, 5, { first: 3, end: 4 }],
      ['past the end of the file (clamped)', 30, 100, { first: 3, end: 4 }],
      ['the last byte', 34, 1, { first: 3, end: 4 }],
      ['the last short chunk to the end', 31, 0, { first: 3, end: 4 }]
    ]
    for (const [what, offset, length, want] of cases) {
      it(`${what}: bytes ${offset}+${length} → chunks [${want.first}, ${want.end})`, () => {
        assert.deepEqual(chunkSpan(f, offset, length), want)
        assert.deepEqual(touched(35, 10, offset, length), want, 'the oracle agrees')
      })
    }

    it('an empty file has no chunks to read', () => {
      assert.deepEqual(chunkSpan(file(0, 10), 0, 0), { first: 0, end: 0 })
    })

    it('a file of whole chunks ends at its last chunk, with no empty one after it', () => {
      assert.deepEqual(chunkSpan(file(30, 10), 0, 0), { first: 0, end: 3 })
      assert.deepEqual(chunkSpan(file(30, 10), 25, 1_000), { first: 2, end: 3 })
    })

    it('for any file and any range that starts inside it, the span is exactly the chunks holding its bytes', () => {
      fc.assert(fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat(),
        fc.nat({ max: 400 }),
        (size, chunkSize, rawOffset, length) => {
          const offset = rawOffset % size
          assert.deepEqual(chunkSpan(file(size, chunkSize), offset, length), touched(size, chunkSize, offset, length))
        }
      ), { numRuns: 1000 })
    })
  })

  describe('spanBytes', () => {
    it('is the byte range a span covers, the last chunk short', () => {
      const f = file(35, 10)
      assert.deepEqual(spanBytes(f, { first: 0, end: 4 }), { offset: 0, length: 35 })
      assert.deepEqual(spanBytes(f, { first: 1, end: 3 }), { offset: 10, length: 20 })
      assert.deepEqual(spanBytes(f, { first: 3, end: 4 }), { offset: 30, length: 5 })
      assert.deepEqual(spanBytes(f, { first: 2, end: 2 }), { offset: 20, length: 0 })
      assert.deepEqual(spanBytes(file(0, 10), { first: 0, end: 0 }), { offset: 0, length: 0 })
    })
  })

  describe('a range read: chunkSpan, spanBytes, trim', () => {
    it('for any file, range and piece boundaries, trimming the span\'s bytes gives exactly the range', async () => {
      await fc.assert(fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 32 }),
        fc.nat(),
        fc.integer({ min: 1, max: 250 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        async (content, chunkSize, rawOffset, rawLength, cuts) => {
          const offset = rawOffset % content.byteLength
          const length = Math.min(rawLength, content.byteLength - offset) // as the files service clamps it
          const f = file(content.byteLength, chunkSize)
          const span = chunkSpan(f, offset, length)
          const bytes = spanBytes(f, span)
          const sent = split(content.subarray(bytes.offset, bytes.offset + bytes.length), cuts)
          const got = Buffer.concat(await collect(trim(from(sent), offset - bytes.offset, length)))
          assert.deepEqual(got, Buffer.from(content.subarray(offset, offset + length)))
        }
      ), { numRuns: 500 })
    })

    it('trim skips across pieces, stops after `length`, and yields no empty piece', async () => {
      const source = [Uint8Array.of(1, 2), Uint8Array.of(3), new Uint8Array(0), Uint8Array.of(4, 5, 6)]
      assert.deepEqual((await collect(trim(from(source), 3, 2))).map(p => [...p]), [[4, 5]])
      assert.deepEqual((await collect(trim(from(source), 1, 3))).map(p => [...p]), [[2], [3], [4]])
      assert.deepEqual(await collect(trim(from(source), 2, 0)), [])
      assert.deepEqual(await collect(trim(from(source), 10, 5)), [])
    })
  })

  describe('verifiedChunks', () => {
    const content = randomBytes(35)
    const f = fileOf(content, 10)

    it('passes chunks that match the record, cut to the chunk size whatever the pieces', async () => {
      const got = await collect(verifiedChunks(f, { first: 0, end: 4 }, from(split(content, [3, 3, 17, 29])), 'test'))
      assert.deepEqual(got.map(c => c.byteLength), [10, 10, 10, 5])
      assert.deepEqual(Buffer.concat(got), content)
    })

    it('checks a span in the middle against the hashes of those chunks', async () => {
      const got = await collect(verifiedChunks(f, { first: 1, end: 3 }, from([content.subarray(10, 30)]), 'test'))
      assert.deepEqual(Buffer.concat(got), content.subarray(10, 30))
      await assert.rejects(collect(verifiedChunks(f, { first: 1, end: 3 }, from([content.subarray(0, 20)]), 'test')), isIntegrity)
    })

    it('a changed byte: the chunks before it pass, then IntegrityError', async () => {
      const rotten = Buffer.from(content)
      rotten[25] ^= 0x01
      const passed: Uint8Array[] = []
      await assert.rejects((async () => {
        for await (const c of verifiedChunks(f, { first: 0, end: 4 }, from([rotten]), 'test')) passed.push(c)
      })(), isIntegrity)
      assert.deepEqual(Buffer.concat(passed), content.subarray(0, 20), 'chunks 0 and 1 were good')
    })

    it('a source that ends early or sends more than the span is IntegrityError', async () => {
      await assert.rejects(collect(verifiedChunks(f, { first: 0, end: 4 }, from([content.subarray(0, 30)]), 'test')), isIntegrity)
      await assert.rejects(collect(verifiedChunks(f, { first: 0, end: 2 }, from([content.subarray(0, 30)]), 'test')), isIntegrity)
    })

    it('an empty span yields nothing and reads nothing', async () => {
      let read = false
      const source = (async function * () { read = true; yield content })()
      assert.deepEqual(await collect(verifiedChunks(f, { first: 2, end: 2 }, source, 'test')), [])
      assert.equal(read, false)
    })
  })

  describe('pieces / joined / lists', () => {
    const chunkA = new Uint8ArrayList(Uint8Array.of(1, 2), Uint8Array.of(3))
    const chunkB = new Uint8ArrayList(Uint8Array.of(4), Uint8Array.of(5, 6), Uint8Array.of(7))

    it('pieces yields every piece of every chunk, in order, as the same buffers (no copy)', async () => {
      const got = await collect(pieces(from([chunkA, chunkB])))
      const want = [...chunkA, ...chunkB]
      assert.equal(got.length, 5)
      got.forEach((piece, i) => assert.equal(piece, want[i], `piece ${i} is the buffer that arrived`))
      assert.deepEqual(got.map(p => [...p]), [[1, 2], [3], [4], [5, 6], [7]])
    })

    it('joined yields each chunk as one buffer of its bytes', async () => {
      const got = await collect(joined(from([chunkA, chunkB])))
      assert.deepEqual(got.map(c => [...c]), [[1, 2, 3], [4, 5, 6, 7]])
      assert.ok(got.every(c => c instanceof Uint8Array))
    })

    it('lists wraps each chunk into a list of that one buffer', async () => {
      const a = Uint8Array.of(1, 2)
      const b = Uint8Array.of(3)
      const got = await collect(lists(from([a, b])))
      assert.ok(got.every(l => l instanceof Uint8ArrayList))
      assert.deepEqual(got.map(l => [...l]), [[a], [b]])
      assert.equal([...got[0]][0], a, 'no copy')
    })

    it('no chunks: nothing from any of them', async () => {
      assert.deepEqual(await collect(pieces(from<Uint8ArrayList>([]))), [])
      assert.deepEqual(await collect(joined(from<Uint8ArrayList>([]))), [])
      assert.deepEqual(await collect(lists(from<Uint8Array>([]))), [])
    })
  })
})
