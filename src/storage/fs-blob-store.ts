// FsBlobStore: the local BlobStore, one file per blob under `<dir>/blobs/<first two hex digits>/<hash>` (256 shard
// directories keep any one directory small). A put streams into `<dir>/tmp/<random>` while hashing (or takes the
// hash its caller computed as the bytes passed: `hashedBy`), writing the pieces as they came in one writev per MiB
// and flushing in the background as it goes (SyncAhead), fsyncs the file, renames it into place and fsyncs the
// shard directory, so a blob is visible only once complete and durable, and a crash mid-write leaves at most a temp
// file, which the next `open` removes. Any failure during a put (a source that throws, ENOSPC, an abort, a hash
// mismatch) removes the temp file before the error propagates; disk failures surface as StorageError (NoSpaceError
// when the disk is full) with the errno error (code ENOSPC, EIO…) as `cause`, the source's own errors unchanged.
// Reads are plain ranged file streams and do not re-check the hash: the files layer verifies every chunk it
// reads (against the record's chunk hashes), and `verify` rehashes a blob filed under its SHA-256 on demand.
// With a quota (`maxBytes`) the store counts the bytes it holds (summed at open, then kept as blobs come and go)
// and the bytes of the puts in flight, and a put that would take it over the quota fails with QuotaError before
// the byte that would not fit is written (before the temp file is made when the size is known).
// Garbage collection (src/files/blob-gc.ts decides what is garbage; this store makes removing it safe): `entries`
// lists the blobs with their mtimes; `pin` keeps a hash from collection while a record that will refer to it is
// written; `beginCollection` opens a pass whose `collect` removes a blob only when it is old enough, not pinned,
// and not pinned at any moment since the pass began. What changes the file at a blob's path — a put's rename, the
// mtime refresh of a put that finds its blob present, a delete, a collect — runs serialised per hash, so a
// collect's check and its unlink never interleave with a put of the same hash. A put with `expectedHash` pins it
// while it runs, and one that finds the blob present sets its mtime to now instead of writing: re-put, an old
// blob is young again.
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, open, opendir, rename, rm, stat, unlink, utimes, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { syncDir } from '../atomic-file.js'
import { InvalidInputError, NoSpaceError, NotFoundError, QuotaError, StorageError } from '../errors.js'
import { assertHash, checkPutOptions, checkRange, drainAndCheck, hashingStream, isHash } from './blob-store.js'
import type { AbortOptions, BlobInfo, BlobStore, PutOptions, RangeOptions } from './blob-store.js'

/** Read piece per open blob stream: 1 MiB (one chunk); smaller pieces cost a serving holder CPU per piece. */
const READ_CHUNK = 1024 * 1024
/** A put writes what it received in writes of about this many bytes (one writev of the pieces as they came) … */
const WRITE_BATCH_BYTES = 1024 * 1024
/** … or of this many pieces, whichever comes first (well under IOV_MAX, 1024 on Linux). */
const WRITE_BATCH_PIECES = 256
/** A put flushes what it has written so far in the background every this many bytes (SyncAhead). */
const SYNC_AHEAD_BYTES = 32 * 1024 * 1024

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

/** A blob as `entries` lists it. */
export interface StoredBlob extends BlobInfo {
  /** When the blob was last written or re-put (a put that found it present), ms since the epoch. */
  mtimeMs: number
}

/** One garbage-collection pass (`beginCollection`). */
export interface Collection {
  /**
   * Remove the blob `hash` if its mtime is before `olderThanMs` and it is not pinned, nor was pinned at any moment
   * since the pass began. Returns the bytes removed (taken off the quota's count), or undefined when the blob was
   * kept or absent.
   */
  collect (hash: string, olderThanMs: number, options?: AbortOptions): Promise<number | undefined>
  /** End the pass; `collect` throws after it. */
  end (): void
}

export class FsBlobStore implements BlobStore {
  private readonly blobs: string
  private readonly tmp: string
  /** Bytes of the blobs held (counted only with a quota). */
  private held = 0
  /** Bytes written by puts in flight, held against the quota until they commit or fail. */
  private pending = 0
  /** Per hash, the tail of the chain of changes to its path in progress (rename, mtime refresh, delete, collect). */
  private readonly locks = new Map<string, Promise<unknown>>()
  /** Hashes pinned now, and by how many pins. */
  private readonly pins = new Map<string, number>()
  /** Per open collection pass, every hash pinned since it began. */
  private readonly passes = new Set<Set<string>>()

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
    options.signal?.throwIfAborted()
    const expected = options.expectedHash
    // Pinned while it runs: a blob found present is not collected while the incoming bytes are checked.
    const unpin = expected === undefined ? undefined : await this.pin(expected)
    try {
      // Already present: hash the incoming bytes to honour the expectations, but write nothing. The mtime is set
      // to now before and after, so the blob is young for a whole grace period after the put returns, until the
      // record that refers to it is written (src/files/blob-gc.ts).
      if (expected !== undefined && await this.touch(expected)) {
        const info = await drainAndCheck(source, options)
        await this.touch(expected)
        return info
      }
      return await this.write(source, options)
    } finally {
      unpin?.()
    }
  }

  /** Stream `source` into a temp file and rename it into place (`put` of a blob not present). */
  private async write (source: AsyncIterable<Uint8Array>, options: PutOptions): Promise<BlobInfo> {
    // With a known size the whole blob is claimed before a byte is written; otherwise each piece as it comes.
    const lease = { bytes: 0 }
    if (options.expectedSize !== undefined) this.claim(lease, options.expectedSize)
    const temp = join(this.tmp, randomUUID())
    let fh: FileHandle | undefined
    const syncs = new SyncAhead()
    try {
      fh = await disk('create a temp file', async () => await open(temp, 'wx'))
      const { stream, result } = hashingStream(source, options)
      let written = 0
      // Pieces are gathered into one writev of about WRITE_BATCH_BYTES: pieces off the network are 64 KiB or less,
      // and joining them into one buffer would cost a copy.
      let batch: Uint8Array[] = []
      let batched = 0
      const flush = async (): Promise<void> => {
        const pieces = batch
        batch = []
        batched = 0
        // Awaiting each write is the backpressure: the source is not pulled faster than the disk takes it.
        await disk('write a blob', async () => await writeAll(fh!, pieces))
        syncs.wrote(fh!, pieces)
      }
      for await (const chunk of stream) {
        written += chunk.byteLength
        if (written > lease.bytes) this.claim(lease, written - lease.bytes)
        batch.push(chunk)
        batched += chunk.byteLength
        if (batched >= WRITE_BATCH_BYTES || batch.length >= WRITE_BATCH_PIECES) await flush()
      }
      if (batch.length > 0) await flush()
      const info = result()
      await disk('fsync a blob', async () => { await syncs.settled(); await fh!.sync(); await fh!.close() })
      fh = undefined
      const shard = join(this.blobs, info.hash.slice(0, 2))
      await disk('move a blob into place', async () => {
        await mkdir(shard, { recursive: true })
        // Serialised with the other changes of this hash's path: a blob already there (the same bytes, put
        // before) is not counted twice, and a collect cannot unlink the file just renamed into place (it finds
        // it new). Same hash, same bytes: renaming over an existing blob changes nothing but its mtime.
        await this.serialized(info.hash, async () => {
          const counted = this.maxBytes === undefined || await this.has(info.hash)
          await rename(temp, this.path(info.hash))
          if (!counted) this.held += info.size
        })
        this.release(lease)
        await syncDir(shard)
      })
      return info
    } catch (err) {
      this.release(lease)
      await syncs.settled().catch(() => {})
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
    await this.serialized(hash, async () => { await this.remove(hash) })
  }

  async deleteUnpinned (hash: string): Promise<boolean> {
    assertHash(hash)
    // Checked in the hash's turn: a pin taken after this check waits for the removal (`pin`), and its holder
    // then finds the blob gone rather than refer to it.
    return await this.serialized(hash, async () => {
      if (this.pins.has(hash)) return false
      await this.remove(hash)
      return true
    })
  }

  /** Unlink a blob, taking it off the quota's count; absent is fine. Only in the hash's turn (`serialized`). */
  private async remove (hash: string): Promise<void> {
    try {
      const size = this.maxBytes === undefined ? 0 : (await stat(this.path(hash))).size
      await unlink(this.path(hash))
      this.held -= size
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw new StorageError(`cannot delete blob ${hash}`, { cause: err })
    }
  }

  async * list (options: AbortOptions = {}): AsyncGenerator<BlobInfo> {
    for await (const { hash, size } of this.entries(options)) yield { hash, size }
  }

  /** Every stored blob with its mtime, in no particular order. */
  async * entries (options: AbortOptions = {}): AsyncGenerator<StoredBlob> {
    options.signal?.throwIfAborted()
    // opendir streams directory entries, so listing a huge store holds one shard's handle, not every name.
    for await (const shard of await opendir(this.blobs)) {
      if (!shard.isDirectory() || !/^[0-9a-f]{2}$/.test(shard.name)) continue
      for await (const entry of await opendir(join(this.blobs, shard.name))) {
        options.signal?.throwIfAborted()
        if (!entry.isFile() || !isHash(entry.name) || !entry.name.startsWith(shard.name)) continue
        const info = await this.fileStat(entry.name)
        if (info !== undefined) yield { hash: entry.name, size: info.size, mtimeMs: info.mtimeMs }
      }
    }
  }

  async pin (hash: string): Promise<() => void> {
    assertHash(hash)
    this.pins.set(hash, (this.pins.get(hash) ?? 0) + 1)
    for (const seen of this.passes) seen.add(hash)
    let pinned = true
    const unpin = (): void => {
      if (!pinned) return
      pinned = false
      const n = (this.pins.get(hash) ?? 1) - 1
      if (n === 0) this.pins.delete(hash)
      else this.pins.set(hash, n)
    }
    // A collect of `hash` that was already queued or running sees the pin, or is finished once this resolves.
    await this.locks.get(hash)
    return unpin
  }

  /**
   * Begin a garbage-collection pass. The hashes pinned now, and every hash pinned until `end`, are never removed
   * by its `collect`: a record written after the collector read the record store was pinned at some moment of
   * the pass (src/files/blob-gc.ts has the argument).
   */
  beginCollection (): Collection {
    const seen = new Set(this.pins.keys())
    this.passes.add(seen)
    let open = true
    return {
      collect: async (hash, olderThanMs, options = {}) => {
        assertHash(hash)
        if (!open) throw new Error('collect after the collection pass ended')
        options.signal?.throwIfAborted()
        return await this.serialized(hash, async () => {
          if (seen.has(hash)) return undefined
          const info = await this.fileStat(hash)
          if (info === undefined || !(info.mtimeMs < olderThanMs)) return undefined
          try {
            await unlink(this.path(hash))
          } catch (err) {
            if (isErrno(err, 'ENOENT')) return undefined
            throw new StorageError(`cannot remove blob ${hash}`, { cause: err })
          }
          if (this.maxBytes !== undefined) this.held -= info.size
          return info.size
        })
      },
      end: () => {
        open = false
        this.passes.delete(seen)
      }
    }
  }

  /**
   * Rehash the stored bytes: false when their SHA-256 is not `hash` (corruption on disk, or a blob its caller
   * filed under another address with `hashedBy`); NotFoundError if absent.
   */
  async verify (hash: string, options: AbortOptions = {}): Promise<boolean> {
    const sha = createHash('sha256')
    for await (const chunk of this.get(hash, { signal: options.signal })) sha.update(chunk)
    return sha.digest('hex') === hash
  }

  async close (): Promise<void> {}

  /** Set the blob's mtime to now (serialised with the other changes of its path); false when it is absent. */
  private async touch (hash: string): Promise<boolean> {
    return await this.serialized(hash, async () => {
      const now = new Date()
      try {
        await utimes(this.path(hash), now, now)
        return true
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return false
        throw new StorageError(`cannot touch blob ${hash}`, { cause: err })
      }
    })
  }

  /** Size and mtime of the blob file, or undefined when absent. */
  private async fileStat (hash: string): Promise<{ size: number, mtimeMs: number } | undefined> {
    try {
      const { size, mtimeMs } = await stat(this.path(hash))
      return { size, mtimeMs }
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined
      throw new StorageError(`cannot stat blob ${hash}`, { cause: err })
    }
  }

  /** Run `fn` after every change of `hash`'s path queued before it, and before any queued after. */
  private async serialized<T> (hash: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(hash) ?? Promise.resolve()
    const next = previous.then(fn, fn)
    const tail = next.catch(() => {})
    this.locks.set(hash, tail)
    try {
      return await next
    } finally {
      if (this.locks.get(hash) === tail) this.locks.delete(hash)
    }
  }

  private async openBlob (hash: string): Promise<FileHandle> {
    try {
      return await open(this.path(hash), 'r')
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError(`no blob ${hash}`)
      throw new StorageError(`cannot open blob ${hash}`, { cause: err })
    }
  }
}

/** Write all of `pieces`, in order, at the current position (a writev may take fewer bytes than it was given). */
async function writeAll (fh: FileHandle, pieces: Uint8Array[]): Promise<void> {
  let rest = pieces
  while (rest.length > 0) {
    let done = (await fh.writev(rest)).bytesWritten
    let i = 0
    while (i < rest.length && done >= rest[i].byteLength) done -= rest[i++].byteLength
    rest = rest.slice(i)
    if (done > 0) rest[0] = rest[0].subarray(done)
  }
}

/**
 * Flushes a blob being written to disk while it is written: a datasync of what is written so far every
 * SYNC_AHEAD_BYTES, one at a time, in the background. The fsync that commits the blob then finds little left to
 * write, instead of all of it (1 GiB at the end of a 1 GiB put, when the bytes have all arrived and nothing else
 * overlaps the wait).
 */
class SyncAhead {
  private unsynced = 0
  private running: Promise<void> | undefined
  private failure: unknown

  wrote (fh: FileHandle, pieces: Uint8Array[]): void {
    for (const piece of pieces) this.unsynced += piece.byteLength
    if (this.unsynced < SYNC_AHEAD_BYTES || this.running !== undefined) return
    this.unsynced = 0
    this.running = fh.datasync().then(
      () => { this.running = undefined },
      err => { this.failure ??= err; this.running = undefined })
  }

  /** Resolves when no datasync is running; rejects with the first one's failure, if one failed. */
  async settled (): Promise<void> {
    await this.running
    if (this.failure !== undefined) throw this.failure
  }
}

