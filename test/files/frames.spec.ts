// Bulk framing (src/files/frames.ts) over a real libp2p stream pair (@libp2p/utils streamPair: two
// AbstractStreams over an in-memory connection): frames of every prefix length round-trip, the empty frame ends
// a run, oversized frames and prefixes are rejected before any body arrives, a stream that ends or is reset
// mid-frame fails the read, a reader that does not keep up pauses its stream, and rechunk re-cuts any source.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { streamPair } from '@libp2p/utils'
import fc from 'fast-check'
import { Uint8ArrayList } from 'uint8arraylist'
import {
  FRAME_BYTES, HIGH_WATER_BYTES, LOW_WATER_BYTES, MAX_FRAME_BYTES, PAUSED_BUFFER_BYTES,
  framed, readFrameLists, readFrames, rechunk, rechunkLists, writeEnd, writeFrame
} from '../../src/files/frames.js'
import { varint } from '../utils/raw-wire.js'
import { waitFor } from '../utils/wait.js'
import type { Stream } from '@libp2p/interface'

const isInvalidMessage = (err: Error & { code?: string }): boolean =>
  err.name === 'InvalidMessageError' && err.code === 'ERR_INVALID_MESSAGE'

async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

async function * from (pieces: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield * pieces
}

describe('files/frames', function () {
  this.timeout(30_000)
  let open: Stream[] = []

  /** A connected pair [sender, receiver]; both are aborted after the test, whatever happened in it. */
  async function pair (): Promise<[Stream, Stream]> {
    const [a, b] = await streamPair()
    open.push(a, b)
    return [a, b]
  }

  afterEach(() => {
    for (const s of open) if (s.status === 'open') s.abort(new Error('test over'))
    open = []
  })

  describe('framed()', () => {
    /** Write `sizes` frames of random bytes and an end frame on one side; read them on the other; compare. */
    async function roundTrip (sizes: number[]): Promise<void> {
      const sent = sizes.map(n => randomBytes(n))
      const [a, b] = await pair()
      const writer = framed(a)
      const reader = framed(b)
      const writing = (async () => {
        for (const bytes of sent) await writeFrame(writer, bytes)
        await writeEnd(writer)
      })()
      const got = await collect(readFrames(reader, AbortSignal.timeout(20_000)))
      await writing
      assert.deepEqual(got.map(f => f.byteLength), sizes)
      got.forEach((frame, i) => assert.ok(Buffer.from(frame).equals(sent[i]), `frame ${i} (${sizes[i]} B) differs`))
    }

    it('round-trips frames of many sizes (varint prefixes of 1 to 4 bytes), in order and intact', async () => {
      const sizes = [1, 2, 127, 128, 300, 16_383, 16_384, 65_536 + 7, 2_097_151, FRAME_BYTES, 2_097_152, HIGH_WATER_BYTES - 8]
      assert.deepEqual([...new Set(sizes.map(n => varint(n).length))].sort(), [1, 2, 3, 4], 'the sizes cover every prefix length')
      await roundTrip(sizes)
    })

    // A frame over HIGH_WATER_BYTES (a store header or trailer of a file of more than ≈ 120 Ki chunks) once
    // paused the stream while read() still waited for the rest of it, and the read stalled until IDLE_MS.
    it('round-trips frames over HIGH_WATER_BYTES, up to MAX_FRAME_BYTES', async () => {
      await roundTrip([HIGH_WATER_BYTES + 1, MAX_FRAME_BYTES])
    })

    it('an empty frame (the single byte 0) ends a run of frames, and the stream goes on after it', async () => {
      const [a, b] = await pair()
      const reader = framed(b)
      a.send(Uint8Array.from([...varint(3), 1, 2, 3, 0, ...varint(2), 9, 9]))
      assert.deepEqual((await collect(readFrames(reader))).map(f => [...f]), [[1, 2, 3]])
      assert.deepEqual([...(await reader.read()).subarray()], [9, 9], 'the frame after the end frame')
    })

    it('a run that is only the end frame yields nothing; read() returns the empty frame itself', async () => {
      const [a, b] = await pair()
      const reader = framed(b)
      a.send(Uint8Array.from([0, 0]))
      assert.deepEqual(await collect(readFrameLists(reader)), [])
      assert.equal((await reader.read()).byteLength, 0)
    })

    it('a frame that arrives in many small pieces is put back together', async () => {
      const body = randomBytes(10_000)
      const wire = Uint8Array.from([...varint(body.length), ...body, 0])
      const [a, b] = await pair()
      const reader = framed(b)
      const reading = collect(readFrames(reader))
      for (let at = 0; at < wire.length; at += 777) a.send(wire.subarray(at, at + 777))
      const got = await reading
      assert.equal(got.length, 1)
      assert.ok(Buffer.from(got[0]).equals(body))
    })

    it('a frame one byte over MAX_FRAME_BYTES is rejected from its prefix alone, before any body', async () => {
      const [a, b] = await pair()
      const reader = framed(b)
      // Only the prefix is sent: a reader that waited for the body would hang until the signal fires instead.
      a.send(varint(MAX_FRAME_BYTES + 1))
      await assert.rejects(reader.read({ signal: AbortSignal.timeout(5_000) }), isInvalidMessage)
    })

    it('a read that names a smaller bound rejects a frame over it from its prefix alone; one at the bound is read', async () => {
      const [a, b] = await pair()
      const reader = framed(b)
      a.send(Uint8Array.from([...varint(1000), ...randomBytes(1000)]))
      assert.equal((await reader.read({ signal: AbortSignal.timeout(5_000), max: 1000 })).byteLength, 1000)
      a.send(varint(1001))
      await assert.rejects(reader.read({ signal: AbortSignal.timeout(5_000), max: 1000 }), isInvalidMessage)
    })

    it('readFrameLists with a bound (data frames: FRAME_BYTES) rejects a longer frame of the run', async () => {
      const [a, b] = await pair()
      const reader = framed(b)
      a.send(Uint8Array.from([...varint(2), 7, 7, ...varint(FRAME_BYTES + 1)]))
      const seen: number[][] = []
      await assert.rejects((async () => {
        for await (const f of readFrameLists(reader, AbortSignal.timeout(5_000), FRAME_BYTES)) seen.push([...f.subarray()])
      })(), isInvalidMessage)
      assert.deepEqual(seen, [[7, 7]])
    })

    it('with maxBuffered, bytes the reader did not ask for past the limit reset the stream instead of piling up', async () => {
      const [a, b] = await pair()
      const reader = framed(b, { maxBuffered: 100 })
      a.send(Uint8Array.from([...varint(50), ...randomBytes(50)]))
      assert.equal((await reader.read({ signal: AbortSignal.timeout(5_000) })).byteLength, 50)
      a.send(randomBytes(101))
      await waitFor(() => b.status === 'aborted' || b.status === 'reset', { timeoutMs: 5_000 })
      await assert.rejects(reader.read({ signal: AbortSignal.timeout(5_000) }), isInvalidMessage)
    })

    it('a length prefix longer than 9 bytes is rejected before any body', async () => {
      const [a, b] = await pair()
      const reader = framed(b)
      a.send(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])) // a 10-byte encoding of 0
      await assert.rejects(reader.read({ signal: AbortSignal.timeout(5_000) }), isInvalidMessage)
    })

    it('a prefix that arrives one byte at a time is still rejected when it grows too long', async () => {
      const [a, b] = await pair()
      const reader = framed(b)
      const reading = reader.read({ signal: AbortSignal.timeout(5_000) })
      for (let i = 0; i < 9; i++) a.send(Uint8Array.of(0xff))
      await assert.rejects(reading, isInvalidMessage)
    })

    it('the remote ending its side in the middle of a frame fails the read with UnexpectedEOFError', async () => {
      const [a, b] = await pair()
      const reader = framed(b)
      a.send(Uint8Array.from([...varint(100), ...randomBytes(10)]))
      await a.close()
      await assert.rejects(reader.read({ signal: AbortSignal.timeout(5_000) }), (err: Error) => err.name === 'UnexpectedEOFError')
    })

    it('the remote ending its side between frames, without an end frame, fails the run', async () => {
      const [a, b] = await pair()
      const reader = framed(b)
      a.send(Uint8Array.from([...varint(2), 7, 7]))
      await a.close()
      const seen: number[][] = []
      await assert.rejects((async () => { for await (const f of readFrames(reader)) seen.push([...f]) })(),
        (err: Error) => err.name === 'UnexpectedEOFError')
      assert.deepEqual(seen, [[7, 7]], 'the whole frame before the end was delivered')
    })

    it('a reset in the middle of a frame fails a waiting read with the reset', async () => {
      const [a, b] = await pair()
      const reader = framed(b)
      a.send(Uint8Array.from([...varint(100), 1, 2, 3]))
      const reading = reader.read({ signal: AbortSignal.timeout(5_000) })
      a.abort(new Error('the sender crashed'))
      await assert.rejects(reading, (err: Error) => err.name === 'StreamResetError')
    })

    it('an aborted signal ends a read that waits for bytes, with the signal\'s reason', async () => {
      const [, b] = await pair()
      const reader = framed(b)
      const controller = new AbortController()
      const reading = collect(readFrameLists(reader, controller.signal))
      controller.abort(Object.assign(new Error('the caller gave up'), { name: 'CallerGaveUp' }))
      await assert.rejects(reading, (err: Error) => err.name === 'CallerGaveUp')
    })

    it('readFrameLists yields each frame as the pieces it arrived in; readFrames joins them into one buffer', async () => {
      const body = randomBytes(5_000)
      const [a, b] = await pair()
      const reader = framed(b)
      const wire = Uint8Array.from([...varint(body.length), ...body, ...varint(body.length), ...body, 0, 0])
      const half = 2 + 2_500
      a.send(wire.subarray(0, half)) // the first frame arrives in two messages
      a.send(wire.subarray(half))
      const lists = readFrameLists(reader)
      const first = (await lists.next()).value as Uint8ArrayList
      assert.ok(first instanceof Uint8ArrayList)
      assert.ok(Buffer.from(first.subarray()).equals(body))
      assert.ok([...first].length >= 2, 'the frame kept its pieces')
      const second = (await lists.next()).value as Uint8ArrayList
      assert.ok(Buffer.from(second.subarray()).equals(body))
      assert.equal((await lists.next()).done, true, 'the end frame ends the run')
      const joined = await collect(readFrames(reader))
      assert.deepEqual(joined, [], 'the second end frame is a run of nothing')
    })

    it('a reader that does not keep up pauses its stream above HIGH_WATER_BYTES and resumes as it drains', async () => {
      const [a, b] = await pair()
      const writer = framed(a)
      const reader = framed(b)
      // Bytes the stream handed to the framer (a paused stream keeps the rest in its own buffer).
      let delivered = 0
      b.addEventListener('message', evt => { delivered += evt.data.byteLength })
      const frameWire = FRAME_BYTES + varint(FRAME_BYTES).length
      const frames = Array.from({ length: 5 }, () => randomBytes(FRAME_BYTES))
      assert.ok(3 * frameWire < HIGH_WATER_BYTES && 5 * frameWire > HIGH_WATER_BYTES &&
        5 * frameWire < HIGH_WATER_BYTES + PAUSED_BUFFER_BYTES)

      // Below the high-water mark nothing pauses, even when no one reads.
      for (const f of frames.slice(0, 3)) await writeFrame(writer, f)
      await waitFor(() => delivered === 3 * frameWire, { what: 'three frames delivered' })
      assert.equal(b.readStatus, 'readable')

      // Above it the stream pauses, and stays paused while the reader does not read.
      for (const f of frames.slice(3)) await writeFrame(writer, f)
      await waitFor(() => delivered + b.readBufferLength === 5 * frameWire, { what: 'every frame to arrive' })
      assert.equal(b.readStatus, 'paused')
      assert.ok(delivered > HIGH_WATER_BYTES, `paused after ${delivered} B, not above the high-water mark`)
      assert.ok(delivered < 5 * frameWire, 'the stream held back what came after the pause')

      // One frame read leaves more than LOW_WATER_BYTES buffered: still paused. Reading on drains and resumes.
      assert.ok(Buffer.from((await reader.read()).subarray()).equals(frames[0]))
      assert.ok(delivered - frameWire > LOW_WATER_BYTES)
      assert.equal(b.readStatus, 'paused')
      for (const f of frames.slice(1)) assert.ok(Buffer.from((await reader.read()).subarray()).equals(f))
      assert.equal(b.readStatus, 'readable')
      assert.equal(delivered, 5 * frameWire)
      await writeEnd(writer)
      assert.equal((await reader.read()).byteLength, 0)
    })
  })

  describe('rechunk()', () => {
    it('cuts pieces into exactly `size` bytes, the last shorter, and never yields an empty piece', async () => {
      const input = [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3, 4, 5, 6, 7), Uint8Array.of(8)]
      assert.deepEqual((await collect(rechunk(from(input), 3))).map(p => [...p]), [[1, 2, 3], [4, 5, 6], [7, 8]])
      assert.deepEqual((await collect(rechunk(from(input), 4))).map(p => [...p]), [[1, 2, 3, 4], [5, 6, 7, 8]],
        'an exact multiple has no short tail')
      assert.deepEqual((await collect(rechunk(from(input), 100))).map(p => [...p]), [[1, 2, 3, 4, 5, 6, 7, 8]])
      assert.deepEqual(await collect(rechunk(from([]), 3)), [])
      assert.deepEqual(await collect(rechunk(from([new Uint8Array(0), new Uint8Array(0)]), 3)), [])
    })

    it('for any pieces and size: the same bytes, every piece of `size` but a shorter non-empty last one', async () => {
      await fc.assert(fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 32 }),
        async (input, size) => {
          const out = await collect(rechunk(from(input), size))
          assert.deepEqual(Buffer.concat(out), Buffer.concat(input))
          out.forEach((piece, i) => {
            if (i < out.length - 1) assert.equal(piece.byteLength, size)
            else assert.ok(piece.byteLength >= 1 && piece.byteLength <= size)
          })
        }
      ), { numRuns: 300 })
    })

    it('rechunkLists: the same cuts as rechunk, as views of the pieces (no byte copied)', async () => {
      await fc.assert(fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 32 }),
        async (input, size) => {
          const lists = await collect(rechunkLists(from(input), size))
          const flat = (await collect(rechunk(from(input), size))).map(p => Buffer.from(p).toString('hex'))
          assert.deepEqual(lists.map(l => Buffer.from(l.subarray()).toString('hex')), flat)
          const buffers = new Set<ArrayBufferLike>(input.map(p => p.buffer))
          for (const list of lists) for (const piece of list) assert.ok(buffers.has(piece.buffer), 'a view of an input piece')
        }
      ), { numRuns: 300 })
    })

    it('re-cuts the same bytes identically whatever the piece boundaries', async () => {
      const bytes = randomBytes(1_000)
      const expected = (await collect(rechunk(from([bytes]), 64))).map(p => Buffer.from(p).toString('hex'))
      await fc.assert(fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 30 }),
        async cuts => {
          const at = [0, ...[...cuts].sort((x, y) => x - y), bytes.length]
          const pieces = at.slice(1).map((end, i) => bytes.subarray(at[i], end))
          const got = (await collect(rechunk(from(pieces), 64))).map(p => Buffer.from(p).toString('hex'))
          assert.deepEqual(got, expected)
        }
      ), { numRuns: 200 })
    })
  })
})
