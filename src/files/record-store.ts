// RecordStore: this node's index of file records (src/files/record.ts), keyed by the record's ring key (64 hex),
// in one LevelDB database at `<dir>/index`.
// Why LevelDB through classic-level: it is embedded (no server to run next to the peer); its keys are ordered,
// so "every record in the ring interval (a, b]" — what a joiner pulls, what repair and anti-entropy compare —
// is one range scan (two when the interval wraps past ff…f), not a full scan; its writes and batches are atomic
// and journaled, so a crash never leaves a half-written record (a hand-rolled JSON file would); and classic-level
// ships prebuilt binaries for our platforms, so installing it needs no compiler. Values are JSON: a record is
// small and this keeps the database readable with any LevelDB tool.
// A put keeps a record only when it is newer than the stored one (last writer wins, `compareVersions`); the
// read-compare-write is serialized per key so two concurrent puts of one key cannot both win.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { compareVersions, type FileRecord } from './record.js'
import { StorageError } from '../errors.js'
import { assertHash } from '../storage/blob-store.js'
import type { AbortOptions } from '../storage/blob-store.js'

export interface ListOptions extends AbortOptions {
  /** Only keys greater than this. */
  gt?: string
  /** Only keys at most this. */
  lte?: string
  /** At most this many records. */
  limit?: number
}

const MAX_KEY = 'f'.repeat(64)

export class RecordStore {
  /** Per key, the tail of the chain of puts in progress. */
  private readonly locks = new Map<string, Promise<unknown>>()

  private constructor (private readonly db: ClassicLevel<string, FileRecord>) {}

  /** Open (creating if needed) the index under `dir`. */
  static async open (dir: string): Promise<RecordStore> {
    await mkdir(dir, { recursive: true })
    const db = new ClassicLevel<string, FileRecord>(join(dir, 'index'), { valueEncoding: 'json' })
    try {
      await db.open()
    } catch (err) {
      // Typically LEVEL_LOCKED: another process has this data dir open.
      throw new StorageError(`cannot open the record index in ${dir}: ${(err as Error).message}`, { cause: err })
    }
    return new RecordStore(db)
  }

  async get (key: string): Promise<FileRecord | undefined> {
    assertHash(key, 'key')
    const record = await this.db.get(key)
    return record === undefined ? undefined : upgraded(record)
  }

  /** Store `record` if it is newer than the stored record of its key; true when it was written. */
  async put (record: FileRecord): Promise<boolean> {
    assertHash(record.key, 'record key')
    return await this.serialized(record.key, async () => {
      const stored = await this.db.get(record.key)
      if (stored !== undefined && compareVersions(record.version, stored.version) <= 0) return false
      // Synced: a put is acknowledged only after every holder's record is on disk (and the blob it replaces is
      // removed only after that, by the caller), so a crash right after the acknowledgement loses nothing.
      await this.db.put(record.key, record, { sync: true })
      return true
    })
  }

  /**
   * Remove the record of `key` outright (no tombstone; absent → nothing happens). With `ifVersion`, only when the
   * stored record has exactly that version; true when a record was removed.
   */
  async delete (key: string, ifVersion?: FileRecord['version']): Promise<boolean> {
    assertHash(key, 'key')
    return await this.serialized(key, async () => {
      const stored = await this.db.get(key)
      if (stored === undefined) return false
      if (ifVersion !== undefined && compareVersions(stored.version, ifVersion) !== 0) return false
      await this.db.del(key, { sync: true })
      return true
    })
  }

  /** Records in key order, optionally within (gt, lte] and at most `limit` of them. */
  async * list (options: ListOptions = {}): AsyncGenerator<FileRecord> {
    if (options.gt !== undefined) assertHash(options.gt, 'gt')
    if (options.lte !== undefined) assertHash(options.lte, 'lte')
    if (options.limit !== undefined && options.limit <= 0) return
    const range: { gt?: string, lte?: string, limit?: number } = {}
    if (options.gt !== undefined) range.gt = options.gt
    if (options.lte !== undefined) range.lte = options.lte
    if (options.limit !== undefined) range.limit = options.limit
    for await (const value of this.db.values(range)) {
      options.signal?.throwIfAborted()
      yield upgraded(value)
    }
  }

  /**
   * Records whose keys lie in the ring interval (from, to], in ring order starting after `from`. When `to` is
   * below `from` the interval wraps past ff…f to 00…0; when they are equal it is the whole ring (Chord's
   * convention: a lone node owns (n, n]).
   */
  async * listRange (from: string, to: string, options: AbortOptions = {}): AsyncGenerator<FileRecord> {
    assertHash(from, 'from')
    assertHash(to, 'to')
    if (from < to) {
      yield * this.list({ gt: from, lte: to, signal: options.signal })
      return
    }
    yield * this.list({ gt: from, lte: MAX_KEY, signal: options.signal })
    yield * this.list({ lte: to, signal: options.signal })
  }

  /** Number of records (a key scan: LevelDB keeps no count). */
  async count (options: AbortOptions = {}): Promise<number> {
    let n = 0
    for await (const _ of this.db.keys()) {
      options.signal?.throwIfAborted()
      n++
    }
    return n
  }

  async close (): Promise<void> {
    await Promise.allSettled(this.locks.values())
    await this.db.close()
  }

  private async serialized<T> (key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve()
    const next = previous.then(fn, fn)
    const tail = next.catch(() => {})
    this.locks.set(key, tail)
    try {
      return await next
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key)
    }
  }
}

/**
 * A record as stored by an older version of this program: one written before versions were signed has no
 * `signature` (it is unsigned, so no node serves, pulls or restores it, but it still encodes for LIST and STAT).
 */
function upgraded (record: FileRecord): FileRecord {
  record.signature ??= ''
  return record
}
