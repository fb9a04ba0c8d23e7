// S3Tier: the DurableTier over an S3 bucket (DESIGN §5, "S3 tier"). It owns three things:
// - A persistent upload queue, its own LevelDB database at `<dir>/s3-queue` (classic-level, like the record
//   index): one entry per committed version this node must upload, keyed by a zero-padded sequence number so the
//   oldest comes first, valued by the FileRecord. `enqueue` resolves once the entry is written with `sync`, so a
//   version committed by a node that dies before uploading it is uploaded when the node comes back (`start`
//   resumes whatever the queue holds).
// - The uploader: one loop, one entry at a time, asleep while the queue is empty (woken by `enqueue`). For an
//   entry it uploads the blob from the node's local store to `<prefix>blobs/<sha256>` (S3BlobStore, verified
//   against the record's hash and size; skipped when S3 already has it, and for tombstones), then the record as
//   JSON at `<prefix>records/<key>.json`, written only when newer than the stored record (compareVersions). The
//   entry is deleted only after both succeeded.
// - Reads for the files layer's fallback and restore: `record(key)` and `read(record, range)`.
// Why write-behind: a put never waits on S3 (it commits on the replicas; the primary enqueues), and an S3 outage
// only delays uploads: a failed entry stays queued and is retried with exponential backoff (bounded, jittered),
// never dropped. A failed entry moves to the back of the queue, so one entry that keeps failing (a corrupt local
// blob waiting for repair) does not hold back the others. The one entry dropped is one whose local blob is gone:
// the node kept a newer version instead, which has its own entry (logged).
// Limits:
// - The record write is read-compare-put, not atomic: two primaries uploading versions of one key at the same
//   moment (an ownership hand-over) can leave the older one stored. S3 conditional writes (PutObject If-Match on
//   the ETag read) would close that, but s3rver does not implement them. The next version of the key fixes it.
// - Blobs of superseded versions stay in the bucket (no garbage collection here).
// - A request that hangs (rather than failing) holds the loop: the SDK sets no request timeout by default.
//   `stop()` aborts it.
// - Bytes returned by `read` are not re-hashed here: callers verify chunk hashes, as for replica reads.
import { join } from 'node:path'
import { mkdir } from 'node:fs/promises'
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { logger, type Logger } from '@libp2p/logger'
import { ClassicLevel } from 'classic-level'
import { ChordPeerError, InvalidInputError, NotFoundError, NotStartedError, StorageError } from '../errors.js'
import { assertHash } from '../storage/blob-store.js'
import { S3BlobStore, type S3BlobStoreConfig } from '../storage/s3-blob-store.js'
import { compareVersions, type FileRecord } from './record.js'
import type { AbortOptions, BlobStore } from '../storage/blob-store.js'
import type { DurableTier } from './durable.js'

export interface S3TierInit {
  /** The bucket (and prefix) to upload to; blobs and records share it. */
  s3: S3BlobStoreConfig
  /** The node's local blob store, where queued blobs are read from. */
  local: BlobStore
  /** Data directory; the queue lives in `<dir>/s3-queue`. */
  dir: string
  log?: Logger
  /** Backoff after a failed upload: `minMs` doubling per consecutive failure up to `maxMs` (default 1 s, 60 s). */
  retry?: { minMs?: number, maxMs?: number }
}

export interface S3TierStats {
  /** Entries uploaded (blob and record) since this tier was created. */
  uploaded: number
  /** Entries dropped because their local blob was gone. */
  dropped: number
  /** Failed upload attempts (each one retried later). */
  failures: number
  /** The message of the last failure, if any. */
  lastError?: string
}

/** Name of the queue database under the data directory. */
export const QUEUE_DIR = 's3-queue'
/** Default backoff bounds. */
export const DEFAULT_RETRY = { minMs: 1_000, maxMs: 60_000 }

const SEQ_DIGITS = 16

/** The local blob of an entry is gone: the entry is dropped, not retried. */
class LocalBlobGoneError extends ChordPeerError {
  static override readonly code = 'ERR_LOCAL_BLOB_GONE'
}

interface Clients { blobs: S3BlobStore, client: S3Client }

export class S3Tier implements DurableTier {
  readonly bucket: string
  readonly prefix: string
  private readonly config: S3BlobStoreConfig
  private readonly local: BlobStore
  private readonly dir: string
  private readonly log: Logger
  private readonly retry: { minMs: number, maxMs: number }
  private db?: ClassicLevel<string, FileRecord>
  private opening?: Promise<ClassicLevel<string, FileRecord>>
  private clients?: Clients
  private nextSeq = 0
  private count = 0
  private stopped = false
  private controller?: AbortController
  private loop?: Promise<void>
  /** Set by enqueue, cleared by the loop before it looks at the queue: no wake-up is lost. */
  private dirty = false
  private wake?: () => void
  private readonly enqueues = new Set<Promise<unknown>>()
  private idleWaiters: Array<(err?: unknown) => void> = []
  private readonly counters: S3TierStats = { uploaded: 0, dropped: 0, failures: 0 }

  constructor (init: S3TierInit) {
    this.config = init.s3
    this.bucket = init.s3.bucket
    this.prefix = init.s3.prefix ?? ''
    this.local = init.local
    this.dir = init.dir
    this.log = init.log ?? logger('chord-peer:s3-tier')
    const minMs = init.retry?.minMs ?? DEFAULT_RETRY.minMs
    const maxMs = init.retry?.maxMs ?? DEFAULT_RETRY.maxMs
    if (!(minMs > 0 && maxMs >= minMs)) throw new InvalidInputError(`retry needs 0 < minMs <= maxMs, got ${minMs}, ${maxMs}`)
    this.retry = { minMs, maxMs }
    // Validates the bucket name now rather than at the first upload.
    this.s3()
  }

  /** The object key of `key`'s record. */
  recordKey (key: string): string {
    return `${this.prefix}records/${key}.json`
  }

  async enqueue (record: FileRecord): Promise<void> {
    checkRecord(record)
    if (this.stopped) throw new NotStartedError('the S3 tier is stopped')
    const op = (async () => {
      const db = await this.open()
      const key = String(this.nextSeq++).padStart(SEQ_DIGITS, '0')
      await db.put(key, record, { sync: true })
      this.count++
      this.dirty = true
      this.wake?.()
    })()
    this.enqueues.add(op)
    try {
      await op
    } finally {
      this.enqueues.delete(op)
    }
  }

  async record (key: string, options: AbortOptions = {}): Promise<FileRecord | undefined> {
    assertHash(key, 'key')
    const found = await this.fetchRecord(key, options)
    if (found instanceof Error) throw found
    return found
  }

  /** The stored record of `key`, undefined when absent, or a StorageError when the object is not a record of `key`. */
  private async fetchRecord (key: string, options: AbortOptions): Promise<FileRecord | undefined | StorageError> {
    const what = `read the S3 record of ${key}`
    let text: string
    try {
      const res = await this.s3().client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.recordKey(key) }), { abortSignal: options.signal })
      text = await res.Body!.transformToString('utf8')
    } catch (err) {
      const mapped = mapError(err, options, what)
      if (mapped instanceof NotFoundError) return undefined
      throw mapped
    }
    let record: FileRecord
    try {
      record = JSON.parse(text) as FileRecord
      checkRecord(record)
    } catch (err) {
      return new StorageError(`cannot ${what}: malformed record object`, { cause: err })
    }
    if (record.key !== key) return new StorageError(`cannot ${what}: the object holds the record of ${record.key}`)
    return record
  }

  async * keys (from: string, to: string, options: AbortOptions = {}): AsyncGenerator<string> {
    assertHash(from, 'from')
    assertHash(to, 'to')
    const records = `${this.prefix}records/`
    // Object keys are `records/<64 hex>.json`, so S3's lexicographic listing order is key order. A wrapping
    // interval is two spans: (from, ff…f] and [0, to].
    const spans: Array<[string | undefined, string]> = from < to ? [[from, to]] : [[from, 'f'.repeat(64)], [undefined, to]]
    for (const [lo, hi] of spans) {
      let token: string | undefined
      do {
        let res
        try {
          res = await this.s3().client.send(new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: records,
            StartAfter: lo === undefined ? undefined : `${records}${lo}.json`,
            ContinuationToken: token
          }), { abortSignal: options.signal })
        } catch (err) {
          throw mapError(err, options, 'list the S3 records')
        }
        for (const object of res.Contents ?? []) {
          const key = object.Key?.slice(records.length, -'.json'.length) ?? ''
          if (!/^[0-9a-f]{64}$/.test(key)) continue
          if (key > hi) return
          yield key
        }
        token = res.IsTruncated === true ? res.NextContinuationToken : undefined
      } while (token !== undefined)
    }
  }

  async * read (record: FileRecord, range: { offset: number, length?: number } = { offset: 0 }, options: AbortOptions = {}): AsyncGenerator<Uint8Array> {
    if (record.tombstone) throw new NotFoundError(`${JSON.stringify(record.name)} is deleted`)
    yield * this.s3().blobs.get(record.hash, { offset: range.offset, length: range.length, signal: options.signal })
  }

  async pending (): Promise<number> {
    await this.open()
    return this.count
  }

  /** Counters for tests and metrics. */
  stats (): S3TierStats {
    return { ...this.counters }
  }

  /**
   * Resolves once the queue is empty (every entry uploaded or dropped); rejects with the signal's reason on abort
   * and with NotStartedError when the tier stops first. Only a started tier makes progress.
   */
  async idle (options: AbortOptions = {}): Promise<void> {
    await this.open()
    if (this.count === 0) return
    options.signal?.throwIfAborted()
    if (this.stopped) throw new NotStartedError('the S3 tier stopped')
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: unknown): void => {
        options.signal?.removeEventListener('abort', onAbort)
        this.idleWaiters = this.idleWaiters.filter(w => w !== settle)
        if (err === undefined) resolve()
        else reject(err)
      }
      const onAbort = (): void => { settle(options.signal!.reason) }
      this.idleWaiters.push(settle)
      options.signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  async start (): Promise<void> {
    if (this.loop !== undefined) return
    this.stopped = false
    await this.open()
    if (this.stopped || this.loop !== undefined) return
    const controller = new AbortController()
    this.controller = controller
    this.loop = this.run(controller.signal).catch(err => {
      this.log.error('S3 upload loop failed: %e', err)
    })
  }

  async stop (): Promise<void> {
    this.stopped = true
    for (const settle of this.idleWaiters) settle(new NotStartedError('the S3 tier stopped'))
    this.controller?.abort(new DOMException('the S3 tier stopped', 'AbortError'))
    this.wake?.()
    await this.loop
    this.loop = undefined
    this.controller = undefined
    await Promise.allSettled([...this.enqueues])
    const db = this.db ?? await this.opening?.catch(() => undefined)
    this.db = undefined
    this.opening = undefined
    await db?.close()
    const clients = this.clients
    this.clients = undefined
    await clients?.blobs.close()
    clients?.client.destroy()
  }

  private s3 (): Clients {
    if (this.stopped) throw new NotStartedError('the S3 tier is stopped')
    if (this.clients === undefined) {
      this.clients = {
        blobs: new S3BlobStore(this.config),
        // The same settings S3BlobStore uses: WHEN_REQUIRED, or the SDK sends aws-chunked bodies that
        // S3-compatible servers store verbatim (REFERENCE.md).
        client: new S3Client({
          region: this.config.region ?? 'us-east-1',
          endpoint: this.config.endpoint,
          credentials: this.config.credentials,
          forcePathStyle: this.config.forcePathStyle,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED'
        })
      }
    }
    return this.clients
  }

  /** Open the queue (once), learning the next sequence number and the number of entries. */
  private async open (): Promise<ClassicLevel<string, FileRecord>> {
    if (this.db !== undefined) return this.db
    if (this.stopped) throw new NotStartedError('the S3 tier is stopped')
    this.opening ??= (async () => {
      const path = join(this.dir, QUEUE_DIR)
      const db = new ClassicLevel<string, FileRecord>(path, { valueEncoding: 'json' })
      try {
        await mkdir(this.dir, { recursive: true })
        await db.open()
      } catch (err) {
        throw new StorageError(`cannot open the S3 upload queue in ${path}: ${(err as Error).message}`, { cause: err })
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

  private async run (signal: AbortSignal): Promise<void> {
    const db = this.db!
    let failures = 0
    while (!signal.aborted) {
      this.dirty = false
      const [entry] = await db.iterator({ limit: 1 }).all()
      if (entry === undefined) {
        this.notifyIdle()
        // Both checks and the wait below happen in one synchronous step: an enqueue or a stop that came while
        // the queue was being read is seen here, and a later one calls `wake`.
        if (this.dirty || signal.aborted) continue
        await new Promise<void>(resolve => {
          this.wake = resolve
        })
        this.wake = undefined
        continue
      }
      const [seq, record] = entry
      try {
        await this.upload(record, signal)
        failures = 0
        this.counters.uploaded++
        await this.remove(db, seq)
      } catch (err) {
        if (signal.aborted) break
        if (err instanceof LocalBlobGoneError) {
          this.log('dropping the S3 upload of %s version %d.%d: %s', record.key, record.version.time, record.version.counter, err.message)
          this.counters.dropped++
          await this.remove(db, seq)
          continue
        }
        failures++
        this.counters.failures++
        this.counters.lastError = (err as Error).message
        const delay = this.backoff(failures)
        this.log.error('S3 upload of %s failed (attempt %d), retrying in %d ms: %e', record.key, failures, delay, err)
        // To the back of the queue, so an entry that keeps failing does not hold back the others.
        const key = String(this.nextSeq++).padStart(SEQ_DIGITS, '0')
        await db.batch([{ type: 'del', key: seq }, { type: 'put', key, value: record }], { sync: true })
        await sleep(delay, signal)
      }
    }
  }

  private async remove (db: ClassicLevel<string, FileRecord>, seq: string): Promise<void> {
    await db.del(seq, { sync: true })
    this.count--
    if (this.count === 0) this.notifyIdle()
  }

  private notifyIdle (): void {
    if (this.count !== 0) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const w of waiters) w()
  }

  /** Exponential backoff with ±25 % jitter, within [minMs, maxMs]. */
  private backoff (failures: number): number {
    const base = Math.min(this.retry.maxMs, this.retry.minMs * 2 ** Math.min(failures - 1, 30))
    const jittered = base * (0.75 + Math.random() * 0.5)
    return Math.round(Math.max(this.retry.minMs, Math.min(this.retry.maxMs, jittered)))
  }

  /** Upload one entry: the blob (unless a tombstone or already there), then the record if newer than S3's. */
  private async upload (record: FileRecord, signal: AbortSignal): Promise<void> {
    const { blobs } = this.s3()
    if (!record.tombstone && !await blobs.has(record.hash, { signal })) {
      if (!await this.local.has(record.hash, { signal })) throw new LocalBlobGoneError(`local blob ${record.hash} is gone`)
      let localError: unknown
      const local = this.local
      const source = (async function * () {
        try {
          yield * local.get(record.hash, { signal })
        } catch (err) {
          localError = err
          throw err
        }
      })()
      try {
        await blobs.put(source, { expectedHash: record.hash, expectedSize: record.size, signal })
      } catch (err) {
        if (localError instanceof NotFoundError) throw new LocalBlobGoneError(`local blob ${record.hash} is gone`, { cause: localError })
        throw err
      }
    }
    const stored = await this.fetchRecord(record.key, { signal })
    if (stored instanceof Error) this.log.error('overwriting a malformed S3 record: %e', stored)
    else if (stored !== undefined && compareVersions(record.version, stored.version) <= 0) return
    // Race: another primary may put between our read and this write (see the header).
    const body = JSON.stringify(record)
    try {
      await this.s3().client.send(new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.recordKey(record.key),
        Body: body,
        ContentType: 'application/json',
        ContentLength: Buffer.byteLength(body)
      }), { abortSignal: signal })
    } catch (err) {
      throw mapError(err, { signal }, `write the S3 record of ${record.key}`)
    }
  }
}

/** InvalidInputError unless `record` looks like a FileRecord we can upload. */
function checkRecord (record: FileRecord): void {
  if (typeof record !== 'object' || record === null) throw new InvalidInputError('a record must be an object')
  assertHash(record.key, 'record key')
  if (typeof record.tombstone !== 'boolean') throw new InvalidInputError('record.tombstone must be a boolean')
  if (!record.tombstone) assertHash(record.hash, 'record hash')
  if (!Number.isSafeInteger(record.size) || record.size < 0) throw new InvalidInputError(`record size must be a non-negative integer, got ${String(record.size)}`)
  const v = record.version as FileRecord['version'] | undefined
  if (typeof v?.time !== 'number' || typeof v.counter !== 'number' || typeof v.writer !== 'string') {
    throw new InvalidInputError('record.version must be { time, counter, writer }')
  }
}

function isNotFound (err: unknown): boolean {
  const e = err as { name?: string, $metadata?: { httpStatusCode?: number } } | undefined
  if (e?.name === 'NoSuchBucket') return false
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404
}

/** The same mapping as S3BlobStore's: 404 → NotFoundError, abort → the signal's reason, else StorageError. */
function mapError (err: unknown, options: AbortOptions, what: string): unknown {
  if (options.signal?.aborted === true) return options.signal.reason
  if (err instanceof ChordPeerError) return err
  if (isNotFound(err)) return new NotFoundError(`cannot ${what}: not found`, { cause: err })
  return new StorageError(`cannot ${what}: ${(err as Error).message}`, { cause: err })
}

/** Wait `ms`, or less if `signal` aborts (resolving, not rejecting: the caller checks the signal). */
async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>(resolve => {
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
