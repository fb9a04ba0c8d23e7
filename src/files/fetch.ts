// /chord-peer/fetch/1.0.0: read a file's record and a chunk-aligned byte range. The server re-hashes every
// chunk before it sends it and stops (resetting the stream) at the first chunk that does not match the record,
// so a blob rotting on disk is never served. The reader verifies again, and on a bad chunk or a dead holder
// continues from the same chunk on the next replica.
import { FetchHeader, FetchRequest } from '../../protocols/files.js'
import { IntegrityError, InvalidMessageError, NotFoundError, UnreachableError } from '../errors.js'
import { framed, idle, readFrames, rechunk, writeEnd, writeFrame } from './frames.js'
import { sha256Hex } from './hashing.js'
import { dialTarget } from './store.js'
import { bytesToHex, hexToBytes, recordFromWire, recordToWire } from './wire.js'
import type { FilesContext } from './context.js'
import type { FileRecord } from './record.js'
import type { NodeRef } from '../ring/index.js'
import type { Connection, Stream } from '@libp2p/interface'

export const FETCH_PROTOCOL = '/chord-peer/fetch/1.0.0'

/** A chunk-aligned span of a file: chunks [first, end). */
export interface ChunkSpan { first: number, end: number }

export function chunkSpan (record: FileRecord, offset: number, length: number): ChunkSpan {
  const first = Math.floor(offset / record.chunkSize)
  const end = length === 0 ? record.chunkHashes.length : Math.ceil(Math.min(offset + length, record.size) / record.chunkSize)
  return { first, end }
}

/** Local blob bytes of chunks [first, end), each checked against the record; IntegrityError at the first bad one. */
export async function * verifiedLocalChunks (ctx: FilesContext, record: FileRecord, span: ChunkSpan, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  if (span.end <= span.first) return
  const offset = span.first * record.chunkSize
  const length = Math.min(span.end * record.chunkSize, record.size) - offset
  let index = span.first
  for await (const chunk of rechunk(ctx.blobs.get(record.hash, { offset, length, signal }), record.chunkSize)) {
    if (sha256Hex(chunk) !== record.chunkHashes[index]) {
      throw new IntegrityError(`chunk ${index} of ${record.name} (blob ${record.hash.slice(0, 12)}) does not match its hash`)
    }
    index++
    yield chunk
  }
  if (index !== span.end) throw new IntegrityError(`blob ${record.hash.slice(0, 12)} ended after chunk ${index}, expected ${span.end}`)
}

export async function serveFetch (ctx: FilesContext, shutdown: AbortSignal, onCorrupt: (record: FileRecord, err: Error) => void): Promise<void> {
  await ctx.host.handle(FETCH_PROTOCOL, async (stream: Stream, connection: Connection) => {
    const lp = framed(stream)
    const signal = shutdown
    try {
      let req: FetchRequest
      try {
        req = FetchRequest.decode(await lp.read({ signal: idle(signal) }))
        if (req.key.length !== 32) throw new Error('key must be 32 bytes')
      } catch (err) {
        throw new InvalidMessageError(`bad fetch request from ${connection.remotePeer}: ${(err as Error).message}`, { cause: err })
      }
      const record = await ctx.records.get(bytesToHex(req.key))
      const found = record !== undefined && !record.tombstone
      await lp.write(FetchHeader.encode({ found, record: record === undefined ? undefined : recordToWire(record) }), { signal: idle(signal) })
      if (!found || req.recordOnly) {
        await stream.close({ signal: idle(signal) })
        return
      }
      const offset = Number(req.offset)
      if (offset % record.chunkSize !== 0 || offset > record.size) throw new InvalidMessageError(`offset ${offset} is not a chunk boundary within the file`)
      const span = chunkSpan(record, offset, Number(req.length))
      try {
        for await (const chunk of verifiedLocalChunks(ctx, record, span, signal)) {
          await writeFrame(lp, chunk, signal)
          ctx.stats.chunksServed++
          ctx.stats.bytesServed += chunk.byteLength
        }
      } catch (err) {
        if (err instanceof IntegrityError || (err as Error).name === 'NotFoundError') onCorrupt(record, err as Error)
        throw err
      }
      await writeEnd(lp, signal)
      await stream.close({ signal: idle(signal) })
    } catch (err) {
      ctx.log('fetch from %p failed: %s', connection.remotePeer, (err as Error).message)
      stream.abort(err as Error)
    }
  }, { maxInboundStreams: 32 })
}

/** Ask `node` for the record of `key` (and optionally the chunks of `span`). */
export async function openFetch (ctx: FilesContext, node: NodeRef, key: string, span: ChunkSpan | undefined, record: FileRecord | undefined, signal: AbortSignal): Promise<{ record?: FileRecord, chunks?: AsyncGenerator<Uint8Array> }> {
  let stream: Stream
  try {
    stream = (await ctx.host.dialProtocol(dialTarget(ctx, node), FETCH_PROTOCOL, { signal: idle(signal) }))
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
    const header = FetchHeader.decode(await lp.read({ signal: idle(signal) }))
    const theirs = header.record === undefined ? undefined : recordFromWire(header.record, true)
    if (span === undefined || !header.found) {
      await stream.close().catch(() => {})
      return { record: theirs }
    }
    async function * chunks (): AsyncGenerator<Uint8Array> {
      try {
        yield * readFrames(lp, signal)
        await stream.close({ signal: idle(signal) })
      } finally {
        if (stream.status === 'open') stream.abort(new Error('the reader stopped early'))
      }
    }
    return { record: theirs, chunks: chunks() }
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}

/**
 * The bytes of chunks `span` of `record`, verified chunk by chunk, from the first of `holders` that serves
 * them; on a dead holder, a bad chunk or a different version, the next holder continues from the chunk that
 * failed. Local chunks are read without the network when this node is a holder.
 */
export async function * fetchChunks (ctx: FilesContext, record: FileRecord, span: ChunkSpan, holders: readonly NodeRef[], signal: AbortSignal): AsyncGenerator<Uint8Array> {
  let next = span.first
  const errors: string[] = []
  for (const node of holders) {
    if (next >= span.end) return
    try {
      let chunks: AsyncIterable<Uint8Array>
      if (node.id === ctx.chord.self.id) {
        const mine = await ctx.records.get(record.key)
        if (mine?.hash !== record.hash) throw new NotFoundError('this node does not hold that version')
        chunks = verifiedLocalChunks(ctx, record, { first: next, end: span.end }, signal)
      } else {
        const res = await openFetch(ctx, node, record.key, { first: next, end: span.end }, record, signal)
        if (res.chunks === undefined || res.record?.hash !== record.hash) throw new NotFoundError('the holder does not have that version')
        chunks = res.chunks
      }
      for await (const chunk of rechunk(chunks, record.chunkSize)) {
        if (sha256Hex(chunk) !== record.chunkHashes[next]) throw new IntegrityError(`chunk ${next} from ${node.address} does not match its hash`)
        next++
        yield chunk
        if (next >= span.end) break
      }
      if (next < span.end) throw new IntegrityError(`${node.address} ended the stream after chunk ${next}`)
    } catch (err) {
      signal.throwIfAborted()
      errors.push(`${node.address.slice(-8)}: ${(err as Error).message}`)
      ctx.log('fetch of %s from %s failed at chunk %d: %s', record.name, node.address, next, (err as Error).message)
    }
  }
  if (next < span.end) throw new UnreachableError(`no holder could serve chunk ${next} of ${record.name} (${errors.join('; ')})`)
}

/** Chunks per segment of a parallel read (8 MiB at the default chunk size). */
export const SEGMENT_CHUNKS = 8

/**
 * Chunks [first, end) of `record` fetched in segments of SEGMENT_CHUNKS from several holders at once (segment i
 * starts with holder i mod n, and fails over like fetchChunks), yielded in order. At most one segment per holder
 * is in flight, so memory stays under holders × 8 MiB whatever the file size.
 */
export async function * parallelChunks (ctx: FilesContext, record: FileRecord, span: ChunkSpan, holders: readonly NodeRef[], signal: AbortSignal): AsyncGenerator<Uint8Array> {
  if (holders.length < 2 || span.end - span.first <= SEGMENT_CHUNKS) {
    yield * fetchChunks(ctx, record, span, holders, signal)
    return
  }
  const stop = new AbortController()
  const inner = AbortSignal.any([signal, stop.signal])
  const segments: ChunkSpan[] = []
  for (let first = span.first; first < span.end; first += SEGMENT_CHUNKS) segments.push({ first, end: Math.min(first + SEGMENT_CHUNKS, span.end) })
  const start = (i: number): Promise<Uint8Array[]> => {
    const order = [...holders.slice(i % holders.length), ...holders.slice(0, i % holders.length)]
    const p = (async () => {
      const out: Uint8Array[] = []
      for await (const chunk of fetchChunks(ctx, record, segments[i], order, inner)) out.push(chunk)
      return out
    })()
    p.catch(() => {}) // observed when awaited in turn; never an unhandled rejection meanwhile
    return p
  }
  const inflight: Array<Promise<Uint8Array[]>> = []
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
