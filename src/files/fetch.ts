// /chord-peer/fetch/2.0.0: read a file's record and a chunk-aligned byte range. The server sends the blob's
// bytes as its store reads them; the reader verifies every chunk against the record and, on a bad chunk or a dead
// holder, continues from the same chunk on the next replica, so a blob rotting on disk never reaches a user.
// A reader that got a bad chunk tells the holder (index VERIFY), which checks its whole blob and repairs it, so
// the holder need not re-hash what it sends: the readers' checks give the same guarantee for one pass less.
import { FetchHeader, FetchRequest } from '../../protocols/files.js'
import { BusyError, IntegrityError, InvalidMessageError, NotFoundError, UnreachableError } from '../errors.js'
import { Uint8ArrayList } from 'uint8arraylist'
import { chunkSpan, spanBytes, verifiedChunks, type ChunkSpan } from './chunks.js'
import {
  FRAME_BYTES, framed, idle, MAX_FRAME_BYTES, readFrameLists, recordFrameBytes, writeEnd, writeFrame
} from './frames.js'
import { blobAddress, sha256Hex } from './hashing.js'
import { serveStream } from '../net/rpc.js'
import { bytesToHex, hexToBytes, recordFromWire, recordToWire } from './wire.js'
import type { FilesContext } from './context.js'
import type { FileRecord } from './record.js'
import type { NodeRef } from '../ring/index.js'
import type { Stream } from '@libp2p/interface'

export const FETCH_PROTOCOL = '/chord-peer/fetch/2.0.0'
/** Largest fetch request: a key and two offsets take about 50 bytes. A reader sends nothing after it. */
export const MAX_FETCH_REQUEST_BYTES = 1024
/**
 * What serving one fetch may hold, reserved from the transfer budget: the frame being sent, up to FRAME_BYTES
 * more unsent before the writer waits (frames.ts), the piece the blob store reads ahead, and the request with
 * the message it came in.
 */
export const SERVE_FETCH_BYTES = 3 * FRAME_BYTES + 64 * 1024

/** Local blob bytes of chunks `span`, each checked against the record; IntegrityError at the first bad one. */
export function verifiedLocalChunks (
  ctx: FilesContext, record: FileRecord, span: ChunkSpan, signal?: AbortSignal
): AsyncGenerator<Uint8Array> {
  const { offset, length } = spanBytes(record, span)
  const address = blobAddress(record)
  const source = length === 0 ? (async function * () {})() : ctx.blobs.get(address, { offset, length, signal })
  return verifiedChunks(record, span, source, `blob ${address.slice(0, 12)}`)
}

export async function serveFetch (
  ctx: FilesContext, shutdown: AbortSignal, onCorrupt: (record: FileRecord, err: Error) => void
): Promise<void> {
  await serveStream(ctx.host, FETCH_PROTOCOL, { log: ctx.log, gate: ctx.gate, maxInboundStreams: 32 }, async (stream, connection) => {
    const reservation = ctx.transfers.reserve(connection.remotePeer.toString(), SERVE_FETCH_BYTES)
    if (reservation === undefined) {
      ctx.log('fetch from %p refused: the transfer budget is spent', connection.remotePeer)
      stream.abort(new BusyError('no room for another transfer now'))
      return
    }
    // The reader sends its request and nothing more: bytes beyond it reset the stream rather than pile up.
    const lp = framed(stream, { maxBuffered: MAX_FETCH_REQUEST_BYTES + 16 })
    const signal = shutdown
    try {
      let req: FetchRequest
      try {
        req = FetchRequest.decode(await lp.read({ signal: idle(signal), max: MAX_FETCH_REQUEST_BYTES }))
        if (req.key.length !== 32) throw new Error('key must be 32 bytes')
      } catch (err) {
        throw new InvalidMessageError(`bad fetch request from ${connection.remotePeer}: ${(err as Error).message}`, { cause: err })
      }
      const record = await ctx.records.get(bytesToHex(req.key))
      const found = record !== undefined && !record.tombstone
      await lp.write(FetchHeader.encode({ found, record: record === undefined ? undefined : recordToWire(record) }),
        { signal: idle(signal) })
      if (!found || req.recordOnly) {
        await stream.close({ signal: idle(signal) })
        return
      }
      const offset = Number(req.offset)
      if (offset % record.chunkSize !== 0 || offset > record.size) throw new InvalidMessageError(
        `offset ${offset} is not a chunk boundary within the file`)
      const span = chunkSpan(record, offset, Number(req.length))
      const length = Math.min(span.end * record.chunkSize, record.size) - offset
      try {
        if (length > 0) {
          for await (const piece of ctx.blobs.get(blobAddress(record), { offset, length, signal })) {
            // Readers take data frames of up to FRAME_BYTES; a blob store may read longer pieces.
            for (let at = 0; at < piece.byteLength; at += FRAME_BYTES) {
              await writeFrame(lp, piece.subarray(at, at + FRAME_BYTES), signal)
            }
            ctx.stats.bytesServed += piece.byteLength
          }
        }
        ctx.stats.chunksServed += span.end - span.first
      } catch (err) {
        if (err instanceof NotFoundError) onCorrupt(record, err)
        throw err
      }
      await writeEnd(lp, signal)
      await stream.close({ signal: idle(signal) })
    } catch (err) {
      ctx.log('fetch from %p failed: %e', connection.remotePeer, err)
      stream.abort(err as Error)
    } finally {
      reservation.release()
    }
  })
}

/** Ask `node` for the record of `key` (and optionally the chunks of `span`). */
export async function openFetch (
  ctx: FilesContext, node: NodeRef, key: string, span: ChunkSpan | undefined, record: FileRecord | undefined, signal: AbortSignal
): Promise<{ record?: FileRecord, frames?: AsyncGenerator<Uint8ArrayList> }> {
  let stream: Stream
  try {
    stream = await ctx.host.dialProtocol(ctx.ring.dialTarget(node), FETCH_PROTOCOL, { signal: idle(signal) })
  } catch (err) {
    throw new UnreachableError(`cannot open fetch to ${node.address}: ${(err as Error).message}`, { cause: err })
  }
  const lp = framed(stream)
  try {
    const chunkSize = record?.chunkSize ?? 1
    await lp.write(FetchRequest.encode({
      key: hexToBytes(key),
      offset: BigInt(span === undefined ? 0 : span.first * chunkSize),
      length: BigInt(span === undefined || record === undefined ? 0 : Math.min(span.end * chunkSize, record.size) - span.first * chunkSize),
      recordOnly: span === undefined
    }), { signal: idle(signal) })
    // A header is sized to the record asked for (one of more chunks is another version: of no use here).
    const max = span === undefined || record === undefined ? MAX_FRAME_BYTES : recordFrameBytes(record.chunkHashes.length)
    const header = FetchHeader.decode(await lp.read({ signal: idle(signal), max }))
    const theirs = header.record === undefined ? undefined : recordFromWire(header.record, true)
    if (span === undefined || !header.found) {
      await stream.close().catch(() => {})
      return { record: theirs }
    }
    async function * frames (): AsyncGenerator<Uint8ArrayList> {
      try {
        yield * readFrameLists(lp, signal, FRAME_BYTES)
        await stream.close({ signal: idle(signal) })
      } finally {
        if (stream.status === 'open') stream.abort(new Error('the reader stopped early'))
      }
    }
    return { record: theirs, frames: frames() }
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}

/**
 * The bytes of chunks `span` of `record`, one verified chunk per item, from the first of `holders` that serves
 * them; on a dead holder, a bad chunk or a different version, the next holder continues from the chunk that
 * failed. Local chunks are read without the network when this node is a holder. A chunk from the network is
 * the list of pieces it arrived in: hashed piece by piece and never joined, so a read copies no byte itself.
 */
export async function * fetchChunks (
  ctx: FilesContext, record: FileRecord, span: ChunkSpan, holders: readonly NodeRef[], signal: AbortSignal
): AsyncGenerator<Uint8ArrayList> {
  let next = span.first
  const errors: string[] = []
  const sizeOf = (index: number): number => Math.min(record.chunkSize, record.size - index * record.chunkSize)
  for (const node of holders) {
    if (next >= span.end) return
    try {
      if (node.id === ctx.ring.self.id) {
        const mine = await ctx.records.get(record.key)
        if (mine?.hash !== record.hash) throw new NotFoundError('this node does not hold that version')
        // verifiedLocalChunks checks every chunk and that none is missing.
        for await (const chunk of verifiedLocalChunks(ctx, record, { first: next, end: span.end }, signal)) {
          next++
          yield new Uint8ArrayList(chunk)
        }
        continue
      }
      const res = await openFetch(ctx, node, record.key, { first: next, end: span.end }, record, signal)
      if (res.frames === undefined || res.record?.hash !== record.hash) throw new NotFoundError('the holder does not have that version')
      const pending = new Uint8ArrayList()
      for await (const frame of res.frames) {
        pending.append(frame)
        while (next < span.end && pending.byteLength >= sizeOf(next)) {
          const chunk = pending.sublist(0, sizeOf(next))
          pending.consume(chunk.byteLength)
          if (sha256Hex(chunk) !== record.chunkHashes[next]) {
            ctx.onBadChunk?.(node, record)
            throw new IntegrityError(`chunk ${next} from ${node.address} does not match its hash`)
          }
          next++
          yield chunk
        }
        if (next >= span.end) break
      }
      if (next < span.end) {
        ctx.onBadChunk?.(node, record)
        throw new IntegrityError(`${node.address} ended the stream after chunk ${next}`)
      }
    } catch (err) {
      signal.throwIfAborted()
      errors.push(`${node.address.slice(-8)}: ${(err as Error).message}`)
      ctx.log('fetch of %s from %s failed at chunk %d: %e', record.name, node.address, next, err)
    }
  }
  if (next < span.end) throw new UnreachableError(`no holder could serve chunk ${next} of ${record.name} (${errors.join('; ')})`)
}

/** Chunks per segment of a parallel read (8 MiB at the default chunk size). */
export const SEGMENT_CHUNKS = 8
/**
 * A read spreads over several holders only when one holder delivers less than this (bytes/s, measured on the
 * first segment). Faster than that, one holder is not the bottleneck, and spreading costs the reader a stream
 * per segment and reordering, which made large gets slower on a small machine (BENCHMARKS.md).
 */
export const SPREAD_BELOW_BYTES_PER_S = 100e6
/** Event-loop utilisation during the first segment at or above which the reader itself is the bottleneck. */
export const BUSY_LOOP = 0.8

/**
 * Chunks [first, end) of `record`, yielded in order. The first segment comes from the first holder; if that ran
 * at `spreadBelow` bytes/s or more, or this node's event loop was busy, the rest comes from it too (failing over
 * like fetchChunks). Otherwise the rest is fetched in segments of SEGMENT_CHUNKS from all holders at once
 * (segment i starts with holder i mod n); `spreadBelow` = Infinity spreads from the start.
 * At most one segment per holder is in flight, so memory stays under holders × 8 MiB whatever the file size.
 */
export async function * parallelChunks (
  ctx: FilesContext, record: FileRecord, span: ChunkSpan, holders: readonly NodeRef[], signal: AbortSignal,
  spreadBelow = SPREAD_BELOW_BYTES_PER_S
): AsyncGenerator<Uint8ArrayList> {
  if (holders.length < 2 || span.end - span.first <= SEGMENT_CHUNKS) {
    yield * fetchChunks(ctx, record, span, holders, signal)
    return
  }
  if (spreadBelow < Infinity) {
    // The holder's rate: bytes over the time spent waiting for them, from the first chunk on (so neither the
    // lookup, dial and stream set-up nor a slow consumer of this generator count). A busy event loop here means
    // this node's CPU is the limit, and more streams would only cost it more.
    const elu0 = performance.eventLoopUtilization()
    let waited = 0
    let bytes = 0
    let next = span.first
    const probe = fetchChunks(ctx, record, span, holders, signal)
    try {
      while (next - span.first < SEGMENT_CHUNKS) {
        const w0 = performance.now()
        const r = await probe.next()
        if (r.done === true) return
        if (next > span.first) {
          waited += performance.now() - w0
          bytes += r.value.byteLength
        }
        next++
        yield r.value
      }
      const busy = performance.eventLoopUtilization(elu0).utilization >= BUSY_LOOP
      if (busy || bytes / Math.max(waited / 1000, 1e-6) >= spreadBelow) {
        // Fast enough: keep the same stream for the rest.
        for (let r = await probe.next(); r.done !== true; r = await probe.next()) yield r.value
        return
      }
    } finally {
      await probe.return(undefined)
    }
    span = { first: next, end: span.end }
  }
  const stop = new AbortController()
  const inner = AbortSignal.any([signal, stop.signal])
  const segments: ChunkSpan[] = []
  for (let first = span.first; first < span.end; first += SEGMENT_CHUNKS) segments.push({
    first, end: Math.min(first + SEGMENT_CHUNKS, span.end)
  })
  const start = (i: number): Promise<Uint8ArrayList[]> => {
    const order = [...holders.slice(i % holders.length), ...holders.slice(0, i % holders.length)]
    const p = (async () => {
      const out: Uint8ArrayList[] = []
      for await (const chunk of fetchChunks(ctx, record, segments[i], order, inner)) out.push(chunk)
      return out
    })()
    p.catch(() => {}) // observed when awaited in turn; never an unhandled rejection meanwhile
    return p
  }
  const inflight: Array<Promise<Uint8ArrayList[]>> = []
  let next = 0
  try {
    while (next < segments.length && inflight.length < holders.length) inflight.push(start(next++))
    while (inflight.length > 0) {
      const chunks = await inflight.shift()!
      if (next < segments.length) inflight.push(start(next++))
      yield * chunks
    }
  } finally {
    stop.abort()
  }
}
