// FsBlobStore: the local BlobStore, one file per blob under `<dir>/blobs/<first two hex digits>/<hash>` (256
// shard directories keep any one directory small). A put streams into `<dir>/tmp/<random>` while hashing, fsyncs
// the file, renames it into place and fsyncs the shard directory, so a blob is visible only once complete and
// durable, and a crash mid-write leaves at most a temp file, which the next `open` removes. Any failure during a
// put (a source that throws, ENOSPC, an abort, a hash mismatch) removes the temp file before the error
// propagates; disk failures surface as StorageError (NoSpaceError when the disk is full) with the errno error
// (code ENOSPC, EIO…) as `cause`, the source's own errors unchanged.
// Reads are plain ranged file streams and do not re-check the hash: the files layer verifies every chunk it
// reads, and `verify` rehashes a stored blob on demand (repair, scrubbing).
// With a quota (`maxBytes`) the store counts the bytes it holds (summed at open, then kept as blobs come and go)
// and the bytes of the puts in flight, and a put that would take it over the quota fails with QuotaError before
// the byte that would not fit is written (before the temp file is made when the size is known).
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, open, opendir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { syncDir } from '../atomic-file.js'
import { InvalidInputError, NoSpaceError, NotFoundError, QuotaError, StorageError } from '../errors.js'
import { assertHash, checkPutOptions, checkRange, drainAndCheck, hashingStream, isHash } from './blob-store.js'
import type { AbortOptions, BlobInfo, BlobStore, PutOptions, RangeOptions } from './blob-store.js'

/** Read piece per open blob stream: 1 MiB (one chunk); smaller pieces cost a serving holder CPU per piece. */
const READ_CHUNK = 1024 * 1024

/** Errors that mean the disk (or a quota, or a file size limit) has no room for the write. */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG'])

/**
 * Run a disk operation, mapping its failure to StorageError with the errno error as `cause`: NoSpaceError for
 * a full disk, a quota or a file size limit (ENOSPC, EDQUOT, EFBIG), StorageError for the rest (EACCES, EIO…).
 */
async function disk<T> (what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== undefined && NO_SPACE.has(code)) throw new NoSpaceError(`cannot ${what}: ${(err as Error).message}`, { cause: err })
    throw new StorageError(`cannot ${what}: ${(err as Error).message}`, { cause: err })
  }
}

function isErrno (err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code
}

export interface FsBlobStoreOptions {
  /** Most bytes of blobs the store may hold (default: no limit); a put that would go over throws QuotaError. */
  maxBytes?: number
}

export class FsBlobStore implements BlobStore {
  private readonly blobs: string
  private readonly tmp: string
  /** Bytes of the blobs held (counted only with a quota). */
  private held = 0
  /** Bytes written by puts in flight, held against the quota until they commit or fail. */
  private pending = 0

  private constructor (readonly dir: string, private readonly maxBytes?: number) {
    this.blobs = join(dir, 'blobs')
    this.tmp = join(dir, 'tmp')
  }

  /**
   * Open (creating if needed) the store under `dir`, removing temp files a crashed put left behind; with a quota,
   * count the bytes it holds.
   */
  static async open (dir: string, options: FsBlobStoreOptions = {}): Promise<FsBlobStore> {
    const max = options.maxBytes
    if (max !== undefined && !(Number.isSafeInteger(max) && max > 0)) {
      throw new InvalidInputError(`a storage quota must be a positive number of bytes, got ${max}`)
    }
    const store = new FsBlobStore(dir, max)
    await rm(store.tmp, { recursive: true, force: true })
    await mkdir(store.tmp, { recursive: true })
    await mkdir(store.blobs, { recursive: true })
    if (max !== undefined) for await (const blob of store.list()) store.held += blob.size
    return store
  }

  /** The quota and the bytes held against it (blobs, and puts in flight); undefined without a quota. */
  get quota (): { max: number, used: number } | undefined {
    return this.maxBytes === undefined ? undefined : { max: this.maxBytes, used: this.held + this.pending }
  }

  /**
   * Hold `bytes` more of a put in flight (`lease`) against the quota. When they do not fit, give back what the put
   * held at once, so that the puts still running can use it, and throw QuotaError.
   */
  private claim (lease: { bytes: number }, bytes: number): void {
    if (this.maxBytes === undefined) return
    const used = this.held + this.pending
    if (used + bytes > this.maxBytes) {
      const blob = lease.bytes + bytes
      this.release(lease)
      throw new QuotaError(`this node's storage quota of ${this.maxBytes} B is full: ${used} B are in use, and ` +
        `a blob of at least ${blob} B does not fit`)
    }
    this.pending += bytes
    lease.bytes += bytes
  }

  private release (lease: { bytes: number }): void {
    this.pending -= lease.bytes
    lease.bytes = 0
  }

  /** Where the blob `hash` lives (whether or not it exists). */
  path (hash: string): string {
    return join(this.blobs, hash.slice(0, 2), hash)
  }

  async put (source: AsyncIterable<Uint8Array>, options: PutOptions = {}): Promise<BlobInfo> {
    checkPutOptions(options)
    // Already present: hash the incoming bytes to honour the expectations, but write nothing.
    if (options.expectedHash !== undefined && await this.has(options.expectedHash, options)) {
      return await drainAndCheck(source, options)
    }
    // With a known size the whole blob is claimed before a byte is written; otherwise each piece as it comes.
    const lease = { bytes: 0 }
    if (options.expectedSize !== undefined) this.claim(lease, options.expectedSize)
    const temp = join(this.tmp, randomUUID())
    let fh: FileHandle | undefined
    try {
      fh = await disk('create a temp file', async () => await open(temp, 'wx'))
      const { stream, result } = hashingStream(source, options)
      let written = 0
      for await (const chunk of stream) {
        written += chunk.byteLength
        if (written > lease.bytes) this.claim(lease, written - lease.bytes)
        // Awaiting each write is the backpressure: the source is not pulled faster than the disk takes it.
        await disk('write a blob', async () => await writeAll(fh!, chunk))
      }
      const info = result()
      await disk('fsync a blob', async () => { await fh!.sync(); await fh!.close() })
      fh = undefined
      const shard = join(this.blobs, info.hash.slice(0, 2))
      await disk('move a blob into place', async () => {
        await mkdir(shard, { recursive: true })
        // A blob already there (the same bytes, put before) is not counted twice; two puts of one blob renaming
        // at the same instant may both count it, too much by one blob until the next open.
        const counted = this.maxBytes === undefined || await this.has(info.hash)
        // Same hash, same bytes: renaming over an existing blob changes nothing, so concurrent puts are safe.
        await rename(temp, this.path(info.hash))
        if (!counted) this.held += info.size
        this.release(lease)
        await syncDir(shard)
      })
      return info
    } catch (err) {
      this.release(lease)
      await fh?.close().catch(() => {})
      await rm(temp, { force: true })
      throw err
    }
  }

  async * get (hash: string, options: RangeOptions = {}): AsyncGenerator<Uint8Array> {
    assertHash(hash)
    const { offset, length } = checkRange(options)
    options.signal?.throwIfAborted()
    // Opening first pins the inode: a concurrent delete cannot cut the read short.
    const fh = await this.openBlob(hash)
    try {
      if (length === 0) return
      const stream = fh.createReadStream({
        start: offset,
        end: length === undefined ? undefined : offset + length - 1,
        highWaterMark: READ_CHUNK,
        autoClose: false
      })
      try {
        for await (const chunk of stream) {
          options.signal?.throwIfAborted()
          yield chunk as Buffer
        }
      } finally {
        stream.destroy()
      }
    } finally {
      await fh.close()
    }
  }

  async has (hash: string, options: AbortOptions = {}): Promise<boolean> {
    return (await this.stat(hash, options)) !== undefined
  }

  async stat (hash: string, options: AbortOptions = {}): Promise<{ size: number } | undefined> {
    assertHash(hash)
    options.signal?.throwIfAborted()
    try {
      return { size: (await stat(this.path(hash))).size }
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined
      throw new StorageError(`cannot stat blob ${hash}`, { cause: err })
    }
  }

  async delete (hash: string, options: AbortOptions = {}): Promise<void> {
    assertHash(hash)
    options.signal?.throwIfAborted()
    try {
      const size = this.maxBytes === undefined ? 0 : (await stat(this.path(hash))).size
      await unlink(this.path(hash))
      this.held -= size
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw new StorageError(`cannot delete blob ${hash}`, { cause: err })
    }
  }

  async * list (options: AbortOptions = {}): AsyncGenerator<BlobInfo> {
    options.signal?.throwIfAborted()
    // opendir streams directory entries, so listing a huge store holds one shard's handle, not every name.
    for await (const shard of await opendir(this.blobs)) {
      if (!shard.isDirectory() || !/^[0-9a-f]{2}$/.test(shard.name)) continue
      for await (const entry of await opendir(join(this.blobs, shard.name))) {
        options.signal?.throwIfAborted()
        if (!entry.isFile() || !isHash(entry.name) || !entry.name.startsWith(shard.name)) continue
        const info = await this.stat(entry.name, options)
        if (info !== undefined) yield { hash: entry.name, size: info.size }
      }
    }
  }

  /** Rehash the stored bytes: false when they no longer match `hash` (corruption on disk); NotFoundError if absent. */
  async verify (hash: string, options: AbortOptions = {}): Promise<boolean> {
    const sha = createHash('sha256')
    for await (const chunk of this.get(hash, { signal: options.signal })) sha.update(chunk)
    return sha.digest('hex') === hash
  }

  async close (): Promise<void> {}

  private async openBlob (hash: string): Promise<FileHandle> {
    try {
      return await open(this.path(hash), 'r')
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError(`no blob ${hash}`)
      throw new StorageError(`cannot open blob ${hash}`, { cause: err })
    }
  }
}

/** Write all of `bytes` at the current position (a write may take fewer bytes than it was given). */
async function writeAll (fh: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.byteLength;) {
    done += (await fh.write(bytes, done)).bytesWritten
  }
}

