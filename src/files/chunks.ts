// A file's bytes as chunks: which chunks a byte range touches, the one check of bytes against the record's
// chunk hashes (whatever their source: the local blob, a durable tier), and the re-shaping of chunk streams
// for the consumer (pieces for a socket, whole chunks for a disk, a byte range cut out of chunk-aligned reads).
import { Uint8ArrayList } from 'uint8arraylist'
import { IntegrityError } from '../errors.js'
import { rechunk } from './frames.js'
import { blobAddress, sha256Hex } from './hashing.js'
import type { FileRecord } from './record.js'
import type { PutOptions } from '../storage/blob-store.js'

/** A chunk-aligned span of a file: chunks [first, end). */
export interface ChunkSpan { first: number, end: number }

/** The chunks that hold bytes [offset, offset + length) of `record`; length 0 means to the end of the file. */
export function chunkSpan (record: FileRecord, offset: number, length: number): ChunkSpan {
  const first = Math.floor(offset / record.chunkSize)
  const end = length === 0 ? record.chunkHashes.length : Math.ceil(Math.min(offset + length, record.size) / record.chunkSize)
  return { first, end }
}

/** The byte range a span covers: its first byte and its length (the last chunk may be short). */
export function spanBytes (record: FileRecord, span: ChunkSpan): { offset: number, length: number } {
  const offset = span.first * record.chunkSize
  return { offset, length: Math.max(0, Math.min(span.end * record.chunkSize, record.size) - offset) }
}

/**
 * The chunks of `span`, cut from `source` (the span's bytes from its first byte on), each checked against the
 * record's hash of it; IntegrityError at the first chunk that does not match or is missing. `from` names the
 * source in errors.
 */
export async function * verifiedChunks (
  record: FileRecord, span: ChunkSpan, source: AsyncIterable<Uint8Array>, from: string
): AsyncGenerator<Uint8Array> {
  if (span.end <= span.first) return
  let index = span.first
  for await (const chunk of rechunk(source, record.chunkSize)) {
    if (index >= span.end) throw new IntegrityError(`${from} sent more than chunks ${span.first}–${span.end - 1} of ${record.name}`)
    if (sha256Hex(chunk) !== record.chunkHashes[index]) throw new IntegrityError(
      `chunk ${index} of ${record.name} from ${from} does not match its hash`)
    index++
    yield chunk
  }
  if (index !== span.end) throw new IntegrityError(`${from} ended ${record.name} after chunk ${index}, expected ${span.end}`)
}

/**
 * Blob put options for `record`'s bytes when the caller checked every chunk of them against the record's chunk
 * hashes (verifiedChunks, fetchChunks): they are filed under the record's blob address, which those checks
 * establish, without a second pass over them.
 */
export function verifiedPut (record: FileRecord, signal?: AbortSignal): PutOptions {
  const hash = blobAddress(record)
  return { expectedHash: hash, expectedSize: record.size, hashedBy: () => ({ hash, size: record.size }), signal }
}

/** Every piece of every chunk, in order: for a reader that writes bytes on (a socket) and needs no chunk joined. */
export async function * pieces (chunks: AsyncIterable<Uint8ArrayList>): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) yield * chunk
}

/** Each chunk in one buffer: for a consumer that writes whole chunks (a blob store). */
export async function * joined (chunks: AsyncIterable<Uint8ArrayList>): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) yield chunk.subarray()
}

/** Each chunk as a list of one piece (the form network chunks take). */
export async function * lists (chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8ArrayList> {
  for await (const chunk of chunks) yield new Uint8ArrayList(chunk)
}

/** Drop `skip` bytes from the front of a stream and stop after `length` bytes. */
export async function * trim (source: AsyncIterable<Uint8Array>, skip: number, length: number): AsyncGenerator<Uint8Array> {
  let left = length
  for await (let piece of source) {
    if (skip > 0) {
      const drop = Math.min(skip, piece.byteLength)
      piece = piece.subarray(drop)
      skip -= drop
    }
    if (piece.byteLength === 0) continue
    if (piece.byteLength >= left) {
      if (left > 0) yield piece.subarray(0, left)
      return
    }
    left -= piece.byteLength
    yield piece
  }
}
