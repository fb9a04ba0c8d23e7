// The S3 tier's upload queue: a persistent first-in first-out list of the FileRecords this node still has to
// upload, in its own LevelDB database at `<dir>/s3-queue` (classic-level, like the record index). Why each choice:
// - `push` resolves only once the entry is written with `sync`, so a version committed by a node that dies before
//   uploading it is still queued when the node comes back and opens the directory again.
// - Keys are sequence numbers zero-padded to SEQ_DIGITS, so LevelDB's byte order is their order: the oldest entry
//   comes first, and a new one goes after the highest key found at open.
// - `moveToBack` deletes an entry and puts it under a new last key in one batch, so an entry that keeps failing
//   does not hold back the others, and a crash between the two cannot lose it.
// - The entry count is learnt once at open and kept in memory, so `size()` and `idle()` never scan.
// One consumer calls `next` at a time (the tier's uploader); any number of callers may `push`.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { NotStartedError, StorageError } from '../errors.js'
import type { FileRecord } from './record.js'
import type { AbortOptions } from '../storage/blob-store.js'

/** Name of the queue database under the data directory. */
export const QUEUE_DIR = 's3-queue'
/** Digits of a sequence key: 10^16 entries, more than a node will ever queue. */
const SEQ_DIGITS = 16

/** One queued upload; hand it back to `remove` or `moveToBack`. */
export interface QueueEntry {
  /** Its key, which orders the queue. */
  readonly seq: string
  readonly record: FileRecord
}

type Settle = (err?: unknown) => void

export class UploadQueue {
  /** The database directory, `<dir>/s3-queue`. */
  readonly path: string
  private readonly dir: string
  private db?: ClassicLevel<string, FileRecord>
  private opening?: Promise<ClassicLevel<string, FileRecord>>
  private closing?: Promise<void>
  private nextSeq = 0
  private count = 0
  /** Database operations under way: `close()` waits for them before it closes the database. */
  private readonly running = new Set<Promise<unknown>>()
  /** Set by `push`, cleared by `next` before it reads: a push that lands during the read is not missed. */
  private pushed = false
  /** Wakes the `next` that waits for a push. */
  private wake?: Settle
  private readonly idleWaiters = new Set<Settle>()

  constructor (dir: string) {
    this.dir = dir
    this.path = join(dir, QUEUE_DIR)
  }

  /** Open the database now rather than at the first call that needs it: StorageError when it cannot be opened. */
  async open (): Promise<void> {
    await this.use(async () => {})
  }

  /** Entries queued, as last counted (0 before the queue is open). */
  get length (): number {
    return this.count
  }

  /** Entries queued. */
  async size (): Promise<number> {
    return await this.use(async () => this.count)
  }

  /** Append `record`; resolves once it is on disk. */
  async push (record: FileRecord): Promise<void> {
    await this.use(async db => {
      await db.put(seqKey(this.nextSeq++), record, { sync: true })
      this.count++
      this.pushed = true
      this.wake?.()
    })
  }

  /**
   * The oldest entry, waiting while the queue is empty; it stays queued until `remove`. Rejects with the signal's
   * reason on abort and with NotStartedError when the queue closes.
   */
  async next (options: AbortOptions = {}): Promise<QueueEntry> {
    while (true) {
      options.signal?.throwIfAborted()
      this.pushed = false
      const [entry] = await this.use(async db => await db.iterator({ limit: 1 }).all())
      if (entry !== undefined) return { seq: entry[0], record: entry[1] }
      this.notifyIdle()
      // From here to the wait is one synchronous step: a push that landed during the read set `pushed`, and a
      // later one finds `wake` set.
      if (this.pushed) continue
      if (this.closing !== undefined) throw closedError()
      await untilSettled(options.signal, settle => {
        this.wake = settle
        return () => { this.wake = undefined }
      })
    }
  }

  /** Delete `entry` for good (uploaded, or not to be uploaded). */
  async remove (entry: QueueEntry): Promise<void> {
    await this.use(async db => {
      await db.del(entry.seq, { sync: true })
      this.count--
      this.notifyIdle()
    })
  }

  /** Put `entry` behind every other entry. */
  async moveToBack (entry: QueueEntry): Promise<void> {
    await this.use(async db => {
      const key = seqKey(this.nextSeq++)
      await db.batch([{ type: 'del', key: entry.seq }, { type: 'put', key, value: entry.record }], { sync: true })
    })
  }

  /**
   * Resolves once the queue is empty; rejects with the signal's reason on abort and with NotStartedError when the
   * queue closes first.
   */
  async idle (options: AbortOptions = {}): Promise<void> {
    await this.open()
    if (this.count === 0) return
    options.signal?.throwIfAborted()
    if (this.closing !== undefined) throw closedError()
    await untilSettled(options.signal, settle => {
      this.idleWaiters.add(settle)
      return () => { this.idleWaiters.delete(settle) }
    })
  }

  /**
   * Close the database once the operations under way have finished. A waiting `next` or `idle` and every later
   * call fail with NotStartedError; the entries stay on disk for the next UploadQueue of the directory.
   */
  async close (): Promise<void> {
    this.closing ??= (async () => {
      const err = closedError()
      this.wake?.(err)
      for (const settle of [...this.idleWaiters]) settle(err)
      while (this.running.size > 0) await Promise.allSettled([...this.running])
      const db = this.db
      this.db = undefined
      this.opening = undefined
      await db?.close()
    })()
    await this.closing
  }

  /** Run `op` on the open database as an operation `close()` waits for; NotStartedError once closing. */
  private async use<T> (op: (db: ClassicLevel<string, FileRecord>) => Promise<T>): Promise<T> {
    if (this.closing !== undefined) throw closedError()
    const running = this.database().then(op)
    this.running.add(running)
    try {
      return await running
    } finally {
      this.running.delete(running)
    }
  }

  /** The database, opened once, learning the next sequence number and the entry count. */
  private async database (): Promise<ClassicLevel<string, FileRecord>> {
    if (this.db !== undefined) return this.db
    this.opening ??= (async () => {
      const db = new ClassicLevel<string, FileRecord>(this.path, { valueEncoding: 'json' })
      try {
        await mkdir(this.dir, { recursive: true })
        await db.open()
      } catch (err) {
        throw new StorageError(`cannot open the S3 upload queue in ${this.path}: ${(err as Error).message}`, { cause: err })
      }
      const [last] = await db.keys({ reverse: true, limit: 1 }).all()
      this.nextSeq = last === undefined ? 0 : Number(last) + 1
      let count = 0
      for await (const _ of db.keys()) count++
      this.count = count
      this.db = db
      return db
    })()
    try {
      return await this.opening
    } catch (err) {
      this.opening = undefined
      throw err
    }
  }

  private notifyIdle (): void {
    if (this.count !== 0) return
    for (const settle of [...this.idleWaiters]) settle()
  }
}

function seqKey (seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, '0')
}

function closedError (): NotStartedError {
  return new NotStartedError('the S3 upload queue is closed')
}

/**
 * Wait until the callback that `register` keeps is called (with an error to reject), or the signal aborts;
 * `register` returns how to forget the callback again.
 */
async function untilSettled (signal: AbortSignal | undefined, register: (settle: Settle) => () => void): Promise<void> {
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const settle: Settle = err => {
      forget()
      signal?.removeEventListener('abort', onAbort)
      if (err === undefined) resolve()
      else reject(err)
    }
    const onAbort = (): void => { settle(signal!.reason) }
    const forget = register(settle)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
