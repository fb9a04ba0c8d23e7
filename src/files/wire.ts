// FileRecord ↔ wire conversion and validation, in one place. Every record that arrives is checked here
// (name length and bytes, key = SHA-256(name), hash and chunk list shapes, chunk size bounds, numbers a JS number
// holds exactly) so the rest of the files code never sees an unchecked field. Going out, a number the wire
// cannot carry exactly is an error, never a wrapped value. Whether a signature is the writer's is signature.ts's.
import { InvalidMessageError } from '../errors.js'
import { MAX_NAME_BYTES, type FileRecord } from './record.js'
import { sha256Hex } from './hashing.js'
import type { FileRecord as WireRecord } from '../../protocols/files.js'

export const MIN_CHUNK_SIZE = 16 * 1024
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024
/**
 * Largest file accepted: 256 GiB, which bounds a record's chunk list (≤ 256 Ki hashes at the smallest chunks it
 * allows, 1 MiB chunks: 8 MiB of hashes in one header frame).
 */
export const MAX_FILE_SIZE = 2 ** 38
/** Longest signature a record may carry: an Ed25519 signature's 64 bytes (signature.ts). */
export const MAX_SIGNATURE_BYTES = 64

const HEX64 = /^[0-9a-f]{64}$/
const HEX = /^(?:[0-9a-f]{2})*$/
const MAX_UINT32 = 2 ** 32 - 1

export const hexToBytes = (hex: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(hex, 'hex'))
export const bytesToHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')

/** Why a file name is not acceptable, or undefined when it is. Names are data: any byte but NUL is allowed. */
export function nameProblem (name: string): string | undefined {
  if (name.length === 0) return 'the name is empty'
  if (name === '.' || name === '..') return 'the names . and .. are reserved (URLs cannot carry them)'
  if (name.includes('\0')) return 'the name contains a NUL byte'
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return `the name is longer than ${MAX_NAME_BYTES} bytes`
  return undefined
}

/** A uint64 field going out: RangeError unless `n` is a non-negative integer a JS number holds exactly. */
function uint64 (n: number, what: string): bigint {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} ${n} cannot be sent exactly (not an integer in [0, 2^53))`)
  return BigInt(n)
}

/** A uint32 field going out: RangeError unless `n` is an integer in [0, 2^32). */
function uint32 (n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_UINT32) throw new RangeError(`${what} ${n} is not an integer in [0, 2^32)`)
  return n
}

/** A uint64 from the wire as a number: InvalidMessageError when a JS number cannot hold it exactly. */
function safeNumber (n: bigint, what: string): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidMessageError(`bad record: ${what} ${n} is beyond 2^53`)
  return Number(n)
}

/** The wire form of `r`; RangeError on a time, size, counter or chunk size the wire cannot carry exactly. */
export function recordToWire (r: FileRecord): WireRecord {
  if (!HEX.test(r.signature) || r.signature.length > 2 * MAX_SIGNATURE_BYTES) {
    throw new RangeError(`the signature is not hex of at most ${MAX_SIGNATURE_BYTES} bytes`)
  }
  return {
    name: r.name,
    key: hexToBytes(r.key),
    size: uint64(r.size, 'size'),
    hash: r.hash === '' ? new Uint8Array(0) : hexToBytes(r.hash),
    chunkSize: uint32(r.chunkSize, 'chunk size'),
    chunkHashes: r.chunkHashes.map(hexToBytes),
    version: {
      time: uint64(r.version.time, 'version time'),
      counter: uint32(r.version.counter, 'version counter'),
      writer: r.version.writer
    },
    tombstone: r.tombstone,
    contentType: r.contentType,
    created: uint64(r.created, 'created'),
    modified: uint64(r.modified, 'modified'),
    signature: hexToBytes(r.signature)
  }
}

/** Decode and validate. `complete` = size, hash and chunk hashes must be present and consistent. */
export function recordFromWire (w: WireRecord | undefined, complete: boolean): FileRecord {
  if (w === undefined) throw new InvalidMessageError('missing record')
  const problem = nameProblem(w.name)
  if (problem !== undefined) throw new InvalidMessageError(`bad record: ${problem}`)
  const key = bytesToHex(w.key)
  if (key !== sha256Hex(w.name)) throw new InvalidMessageError('bad record: key is not SHA-256 of the name')
  if (w.chunkSize < MIN_CHUNK_SIZE || w.chunkSize > MAX_CHUNK_SIZE) throw new InvalidMessageError(
    `bad record: chunk size ${w.chunkSize} outside [${MIN_CHUNK_SIZE}, ${MAX_CHUNK_SIZE}]`)
  if (w.version === undefined || w.version.writer === '') throw new InvalidMessageError('bad record: no version')
  if (w.contentType.length > 256) throw new InvalidMessageError('bad record: content type too long')
  if (w.size > BigInt(MAX_FILE_SIZE)) throw new InvalidMessageError('bad record: size too large')
  const size = Number(w.size)
  if (w.signature.length > MAX_SIGNATURE_BYTES) {
    throw new InvalidMessageError(`bad record: signature longer than ${MAX_SIGNATURE_BYTES} bytes`)
  }
  const record: FileRecord = {
    name: w.name,
    key,
    size,
    hash: w.hash.length === 0 ? '' : bytesToHex(w.hash),
    chunkSize: w.chunkSize,
    chunkHashes: w.chunkHashes.map(bytesToHex),
    version: { time: safeNumber(w.version.time, 'version time'), counter: w.version.counter, writer: w.version.writer },
    tombstone: w.tombstone,
    contentType: w.contentType,
    created: safeNumber(w.created, 'created'),
    modified: safeNumber(w.modified, 'modified'),
    signature: bytesToHex(w.signature)
  }
  if (complete) checkComplete(record)
  return record
}

/** A committed record's content fields must agree with each other. */
export function checkComplete (r: FileRecord): void {
  if (!HEX64.test(r.hash)) throw new InvalidMessageError('bad record: hash is not 32 bytes')
  if (r.chunkHashes.some(h => !HEX64.test(h))) throw new InvalidMessageError('bad record: a chunk hash is not 32 bytes')
  if (r.chunkHashes.length !== Math.ceil(r.size / r.chunkSize)) throw new InvalidMessageError(
    'bad record: chunk count does not match the size')
  if (r.tombstone && r.size !== 0) throw new InvalidMessageError('bad record: a tombstone has content')
}
