// The BlobStore interface: immutable byte strings addressed by their SHA-256, streamed in and out so memory stays
// bounded whatever the size. The files layer keeps its records elsewhere (record-store.ts) and only ever refers to
// bytes by hash. Two implementations run the same compliance suite (test/storage/blob-store-compliance.ts):
// fs-blob-store.ts (local disk, the default) and s3-blob-store.ts (the S3 tier). Also the argument checks and the
// streaming SHA-256 helper both implementations share, so they reject the same inputs with the same errors.
import { createHash } from 'node:crypto'
import { IntegrityError, InvalidInputError } from '../errors.js'
import type { AbortOptions } from '@libp2p/interface'

export type { AbortOptions }

export interface PutOptions extends AbortOptions {
  /** The hash the bytes must have (64 lowercase hex); on a mismatch put throws IntegrityError and stores nothing. */
  expectedHash?: string
  /** The size the bytes must have; on a mismatch put throws IntegrityError and stores nothing. */
  expectedSize?: number
  /**
   * The caller hashes the bytes itself as it yields them, and this gives their hash and size once the source has
   * ended: the store then files them under that hash without a second SHA-256 pass. Only for a hash the caller
   * computed from these very bytes, never one a peer announced; a size other than the bytes counted is an
   * IntegrityError.
   */
  hashedBy?: () => BlobInfo
}

export interface RangeOptions extends AbortOptions {
  /** First byte to read (default 0). At or past the end the read yields nothing. */
  offset?: number
  /** Bytes to read from `offset` (default: to the end); clamped to the end of the blob. */
  length?: number
}

export interface BlobInfo { hash: string, size: number }

export interface BlobStore {
  /**
   * Stream bytes in. Atomic: visible only once complete; with `expectedHash`/`expectedSize` a mismatch throws
   * IntegrityError and stores nothing. Returns the hash and size. A put of bytes already present is cheap and
   * idempotent.
   */
  put (source: AsyncIterable<Uint8Array>, options?: PutOptions): Promise<BlobInfo>
  /** Stream a blob (or the byte range [offset, offset+length)); NotFoundError if absent. Memory stays bounded whatever the size. */
  get (hash: string, options?: RangeOptions): AsyncIterable<Uint8Array>
  has (hash: string, options?: AbortOptions): Promise<boolean>
  /** Size, or undefined when absent. */
  stat (hash: string, options?: AbortOptions): Promise<{ size: number } | undefined>
  /** Remove a blob; removing an absent blob is not an error. */
  delete (hash: string, options?: AbortOptions): Promise<void>
  /** Every stored blob, in no particular order. */
  list (options?: AbortOptions): AsyncIterable<BlobInfo>
  /**
   * Keep the blob `hash` (present or not) from being collected as garbage until the returned release is called
   * (fs-blob-store.ts `beginCollection`; src/files/blob-gc.ts). Resolves once no collection of it is under way,
   * so a `has` after it stays true until the release unless the blob is deleted outright. A store that
   * collects nothing has no `pin`.
   */
  pin?: (hash: string) => Promise<() => void>
  /**
   * Delete the blob unless a pin holds it at this moment (a record that will refer to it is being written):
   * how a blob that its last record stopped using is dropped. False when it was kept. A store without `pin`
   * has no need of it (`delete` does).
   */
  deleteUnpinned?: (hash: string) => Promise<boolean>
  close (): Promise<void>
}

const HASH = /^[0-9a-f]{64}$/

/** True when `value` is a SHA-256 in our canonical form: 64 lowercase hex digits. */
export function isHash (value: unknown): value is string {
  return typeof value === 'string' && HASH.test(value)
}

/** Throw InvalidInputError unless `value` is 64 lowercase hex digits. */
export function assertHash (value: unknown, what = 'hash'): asserts value is string {
  if (!isHash(value)) throw new InvalidInputError(`${what} must be 64 lowercase hex digits, got ${JSON.stringify(value)}`)
}

function assertCount (value: unknown, what: string): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
    throw new InvalidInputError(`${what} must be a non-negative integer, got ${String(value)}`)
  }
}

/** Check put options; InvalidInputError on a malformed expectation. */
export function checkPutOptions (options: PutOptions): void {
  if (options.expectedHash !== undefined) assertHash(options.expectedHash, 'expectedHash')
  assertCount(options.expectedSize, 'expectedSize')
}

/** Check a range and return it with defaults filled in (`length` undefined = to the end). */
export function checkRange (options: RangeOptions): { offset: number, length?: number } {
  assertCount(options.offset, 'offset')
  assertCount(options.length, 'length')
  return { offset: options.offset ?? 0, length: options.length }
}

/**
 * Pass `source` through while hashing it (unless the caller does: `hashedBy`), stopping early once it exceeds
 * `expectedSize` (no point storing more) and checking the abort signal between chunks. After the iteration ends,
 * `result()` gives the hash and size and throws IntegrityError if they differ from what `options` expected.
 */
export function hashingStream (
  source: AsyncIterable<Uint8Array>, options: PutOptions
): { stream: AsyncGenerator<Uint8Array>, result: () => BlobInfo } {
  const sha = options.hashedBy === undefined ? createHash('sha256') : undefined
  let size = 0
  let info: BlobInfo | undefined
  async function * stream (): AsyncGenerator<Uint8Array> {
    options.signal?.throwIfAborted()
    for await (const chunk of source) {
      options.signal?.throwIfAborted()
      size += chunk.byteLength
      if (options.expectedSize !== undefined && size > options.expectedSize) {
        throw new IntegrityError(`blob is larger than the expected ${options.expectedSize} bytes`)
      }
      sha?.update(chunk)
      yield chunk
    }
    options.signal?.throwIfAborted()
    info = sha === undefined ? options.hashedBy!() : { hash: sha.digest('hex'), size }
    if (info.size !== size) throw new IntegrityError(`the caller hashed ${info.size} bytes, the store received ${size}`)
  }
  function result (): BlobInfo {
    if (info === undefined) throw new Error('hashingStream: result() before the stream ended')
    if (options.expectedSize !== undefined && info.size !== options.expectedSize) {
      throw new IntegrityError(`blob has ${info.size} bytes, expected ${options.expectedSize}`)
    }
    if (options.expectedHash !== undefined && info.hash !== options.expectedHash) {
      throw new IntegrityError(`blob hashes to ${info.hash}, expected ${options.expectedHash}`)
    }
    return info
  }
  return { stream: stream(), result }
}

/** Consume `source` through a hashing stream without storing it (a put of a blob that is already present). */
export async function drainAndCheck (source: AsyncIterable<Uint8Array>, options: PutOptions): Promise<BlobInfo> {
  const { stream, result } = hashingStream(source, options)
  for await (const _ of stream) { /* hashing only */ }
  return result()
}
