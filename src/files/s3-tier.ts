// S3Tier: the DurableTier over an S3 bucket (docs/ARCHITECTURE.md, "The durable tier"). It owns two things and
// composes a third:
// - The uploader: one loop, one entry of the upload queue at a time, asleep while the queue is empty. For an
//   entry it uploads the blob from the node's local store to `<prefix>blobs/<address>` (S3BlobStore; the address
//   is the root over the chunk hashes, `blobAddress`, and every chunk is checked against the record on the way
//   up; skipped when S3 already has it, and for tombstones; blobs uploaded before blobs had that address are
//   under the content's SHA-256, where `read` still finds them), then the record as
//   JSON at `<prefix>records/<key>.json`, written only when newer than the stored record (compareVersions). The
//   entry is deleted only after both succeeded.
// - Reads for the files layer's fallback and restore: `record(key)`, `keys(from, to)` and `read(record, range)`.
// - The queue itself is `UploadQueue` (upload-queue.ts): persistent, in `<dir>/s3-queue`, written with `sync`
//   before `enqueue` resolves, so `start` resumes whatever a node that died left queued.
// One S3 client serves blobs and records alike: the blob store's (createS3Client, in src/storage/s3-client.ts).
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
// What an operator sees: at start a probe (one listing of the prefix) tells at once whether the bucket answers,
// so a misconfigured tier shows in the log before anything is queued; then the tier is `working` or `failing`
// (`health()`), and the node's events (src/events.ts) get one `s3.failed` when it goes from working to failing,
// at most one more per S3_REPORT_MS while it keeps failing, and `s3.recovered` when a request succeeds again.
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { logger, type Logger } from '@libp2p/logger'
import { ChordPeerError, InvalidInputError, NotFoundError, NotStartedError, StorageError } from '../errors.js'
import { andMore, durationText, errorText, type NodeEvents } from '../events.js'
import { backoff, sleep, type BackoffInit } from '../lifecycle.js'
import { assertHash } from '../storage/blob-store.js'
import { S3BlobStore } from '../storage/s3-blob-store.js'
import { mapS3Error } from '../storage/s3-client.js'
import { compareVersions, type FileRecord } from './record.js'
import { verifiedChunks, verifiedPut } from './chunks.js'
import { blobAddress } from './hashing.js'
import { UploadQueue } from './upload-queue.js'
import type { AbortOptions, BlobStore } from '../storage/blob-store.js'
import type { S3Config } from '../config.js'
import type { DurableHealth, DurableTier } from './durable.js'

export interface S3TierInit {
  /** The bucket (and prefix) to upload to; blobs and records share it. */
  s3: S3Config
  /** The node's local blob store, where queued blobs are read from. */
  local: BlobStore
  /** Data directory; the queue lives in `<dir>/s3-queue`. */
  dir: string
  log?: Logger
  /**
   * Backoff after a failed upload: `minMs` doubling per consecutive failure up to `maxMs` (default 1 s, 60 s),
   * each wait jittered by ±25 % within those bounds.
   */
  retry?: { minMs?: number, maxMs?: number }
  /** Where failures and recoveries are told (`s3.failed`, `s3.recovered`). Default: nowhere. */
  events?: NodeEvents
  /** How long the start-up probe may wait for S3 (default PROBE_TIMEOUT_MS). */
  probeTimeoutMs?: number
  /** While failing, at most one `s3.failed` per this long (default S3_REPORT_MS; tests shorten it). */
  reportMs?: number
}

export interface S3TierStats {
  /** Entries uploaded (blob and record) since this tier was created. */
  uploaded: number
  /** Entries dropped because their local blob was gone. */
  dropped: number
  /** Failed upload attempts (each one retried later). */
  failures: number
  /** The last failure, if any. */
  lastError?: Error
}

/** Default backoff bounds. */
export const DEFAULT_RETRY = { minMs: 1_000, maxMs: 60_000 }
/** Spread of each backoff wait: many nodes that lost S3 at once do not all retry in step. */
const RETRY_JITTER = 0.25
/** While S3 keeps failing, the node's events hear of it at most this often. */
export const S3_REPORT_MS = 60_000
/** The start-up probe's wait for an answer: the SDK sets no request timeout, and a blackholed endpoint never answers. */
export const PROBE_TIMEOUT_MS = 30_000

/** The local blob of an entry is gone: the entry is dropped, not retried. */
class LocalBlobGoneError extends ChordPeerError {
  static override readonly code = 'ERR_LOCAL_BLOB_GONE'
}

export class S3Tier implements DurableTier {
  readonly bucket: string
  readonly prefix: string
  private readonly config: S3Config
  private readonly local: BlobStore
  private readonly dir: string
  private readonly log: Logger
  private readonly retry: BackoffInit
  /** Closed by `stop()`; a `start()` after that opens a new one on the same directory. */
  private queue: UploadQueue
  /** Made on first use; its client also carries the record requests. */
  private blobs?: S3BlobStore
  private stopped = false
  private controller?: AbortController
  private loop?: Promise<void>
  private probing?: Promise<void>
  private readonly counters: S3TierStats = { uploaded: 0, dropped: 0, failures: 0 }
  private readonly events?: NodeEvents
  private readonly probeTimeoutMs: number
  private readonly reportMs: number
  private state: DurableHealth['state'] = 'unknown'
  private failingSince?: number
  private lastFailure?: { error: string, at: number }
  /** When a failure was last told, and how many since were not. */
  private lastReport = 0
  private unreported = 0

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
    this.retry = { minMs, maxMs, jitter: RETRY_JITTER }
    this.events = init.events
    this.probeTimeoutMs = init.probeTimeoutMs ?? PROBE_TIMEOUT_MS
    this.reportMs = init.reportMs ?? S3_REPORT_MS
    this.queue = new UploadQueue(this.dir)
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
    await this.queue.push(record)
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
      const res = await this.s3().client.send(new GetObjectCommand({
        Bucket: this.bucket, Key: this.recordKey(key)
      }), { abortSignal: options.signal })
      text = await res.Body!.transformToString('utf8')
    } catch (err) {
      const mapped = mapS3Error(err, options.signal, what)
      if (mapped instanceof NotFoundError) return undefined
      throw mapped
    }
    let record: FileRecord
    try {
      record = JSON.parse(text) as FileRecord
      record.signature ??= '' // stored before versions were signed: unsigned, so never served or restored
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
          throw mapS3Error(err, options.signal, 'list the S3 records')
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

  async * read (
    record: FileRecord, range: { offset: number, length?: number } = { offset: 0 }, options: AbortOptions = {}
  ): AsyncGenerator<Uint8Array> {
    if (record.tombstone) throw new NotFoundError(`${JSON.stringify(record.name)} is deleted`)
    const s3 = this.s3()
    const read = { offset: range.offset, length: range.length, signal: options.signal }
    // Blobs uploaded before blobs were addressed by their chunk root are under the content's SHA-256.
    const address = blobAddress(record)
    yield * (await s3.has(address, options) || address === record.hash ? s3.get(address, read) : s3.get(record.hash, read))
  }

  async pending (): Promise<number> {
    return await this.queue.size()
  }

  /** Counters for tests and metrics. */
  stats (): S3TierStats {
    return { ...this.counters }
  }

  health (): DurableHealth {
    return {
      state: this.state,
      bucket: this.bucket,
      ...(this.config.endpoint !== undefined ? { endpoint: this.config.endpoint } : {}),
      ...(this.state === 'failing' && this.failingSince !== undefined ? { failingSince: this.failingSince } : {}),
      ...(this.lastFailure !== undefined ? { lastError: this.lastFailure.error, lastErrorAt: this.lastFailure.at } : {}),
      queue: this.queue.length,
      uploaded: this.counters.uploaded,
      failures: this.counters.failures
    }
  }

  /**
   * Resolves once the queue is empty (every entry uploaded or dropped); rejects with the signal's reason on abort
   * and with NotStartedError when the tier stops first. Only a started tier makes progress.
   */
  async idle (options: AbortOptions = {}): Promise<void> {
    if (this.stopped) throw new NotStartedError('the S3 tier stopped')
    await this.queue.idle(options)
  }

  async start (): Promise<void> {
    if (this.loop !== undefined) return
    if (this.stopped) {
      this.stopped = false
      this.queue = new UploadQueue(this.dir)
    }
    const queue = this.queue
    await queue.open()
    if (this.stopped || this.loop !== undefined) return
    const controller = new AbortController()
    this.controller = controller
    this.loop = this.run(queue, controller.signal).catch(err => {
      // Stopping ends the loop with the signal's reason: not a failure.
      if (!controller.signal.aborted) this.log.error('S3 upload loop failed: %e', err)
    })
    this.probing = this.probe(controller.signal)
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.controller?.abort(new DOMException('the S3 tier stopped', 'AbortError'))
    await this.loop
    await this.probing
    this.loop = undefined
    this.probing = undefined
    this.controller = undefined
    // Rejects a waiting idle() with NotStartedError, and waits for the enqueues under way.
    await this.queue.close()
    const blobs = this.blobs
    this.blobs = undefined
    await blobs?.close()
  }

  /** The blob store; NotStartedError once stopped. */
  private s3 (): S3BlobStore {
    if (this.stopped) throw new NotStartedError('the S3 tier is stopped')
    this.blobs ??= new S3BlobStore(this.config)
    return this.blobs
  }

  /** Upload the queue's entries, oldest first, until `signal` aborts; then it rejects with the signal's reason. */
  private async run (queue: UploadQueue, signal: AbortSignal): Promise<void> {
    let failures = 0
    while (!signal.aborted) {
      const entry = await queue.next({ signal })
      const { record } = entry
      try {
        await this.upload(record, signal)
        failures = 0
        this.counters.uploaded++
        await queue.remove(entry)
        await this.succeeded()
      } catch (err) {
        if (signal.aborted) return
        if (err instanceof LocalBlobGoneError) {
          this.log('dropping the S3 upload of %s version %d.%d: %e', record.key, record.version.time, record.version.counter, err)
          this.counters.dropped++
          await queue.remove(entry)
          continue
        }
        failures++
        this.counters.failures++
        this.counters.lastError = err instanceof Error ? err : new StorageError(String(err))
        const delay = backoff(this.retry, failures)
        this.log.error('S3 upload of %s failed (attempt %d), retrying in %d ms: %e', record.key, failures, delay, err)
        await this.failed('upload', err)
        // To the back of the queue, so an entry that keeps failing does not hold back the others.
        await queue.moveToBack(entry)
        await sleep(delay, signal)
      }
    }
  }

  /**
   * One cheap request at start (a listing of one key under the prefix): a wrong endpoint, bucket or credentials
   * show at once, not when the first version is queued. While it fails and nothing is queued it is tried again
   * with the uploads' backoff, so a node with nothing to upload learns too that S3 is back; once something is
   * queued, the uploads' own attempts tell. It changes no counter; a failure is told like an upload's.
   */
  private async probe (signal: AbortSignal): Promise<void> {
    for (let attempt = 1; !signal.aborted && this.state !== 'working'; attempt++) {
      if (attempt > 1 && this.queue.length > 0) return // the upload loop is trying S3 now
      const timeout = AbortSignal.timeout(this.probeTimeoutMs)
      try {
        const listing = new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, MaxKeys: 1 })
        await this.s3().client.send(listing, { abortSignal: AbortSignal.any([signal, timeout]) })
        if (!signal.aborted) await this.succeeded()
        return
      } catch (err) {
        if (signal.aborted) return
        const why = timeout.aborted
          ? new StorageError(`no answer within ${this.probeTimeoutMs / 1000} s`)
          : mapS3Error(err, undefined, 'list the bucket')
        this.log.error('S3 probe of bucket %s failed (attempt %d): %e', this.bucket, attempt, why)
        await this.failed(attempt === 1 ? 'start-up check' : 'check', why)
      }
      if (this.queue.length > 0) return
      await sleep(backoff(this.retry, attempt), signal).catch(() => {})
    }
  }

  /** Where this tier uploads, for messages: `bucket "b" at http://…/prefix`. */
  private where (): string {
    return `bucket "${this.bucket}"${this.config.endpoint !== undefined ? ` at ${this.config.endpoint}` : ''}` +
      (this.prefix !== '' ? ` (prefix ${this.prefix})` : '')
  }

  /** A request to S3 failed: from working (or unknown) to failing, told at once; while failing, once per `reportMs`. */
  private async failed (what: string, err: unknown): Promise<void> {
    const now = Date.now()
    const error = errorText(err)
    this.lastFailure = { error, at: now }
    const first = this.state !== 'failing'
    if (first) {
      this.state = 'failing'
      this.failingSince = now
    } else if (now - this.lastReport < this.reportMs) {
      this.unreported++
      return
    }
    const held = this.unreported
    this.lastReport = now
    this.unreported = 0
    const queue = await this.pending().catch(() => 0)
    const message = first
      ? `S3 ${what} failed: ${error}; ${this.where()}; ${queue} versions queued, retried with backoff`
      : andMore(`S3 still failing for ${durationText(now - (this.failingSince ?? now))}: ${error}; ${queue} versions queued`, held)
    this.events?.emit({ type: 's3.failed', error, queue, level: first ? 'error' : 'warn', message })
  }

  /** A request to S3 succeeded: a failing tier has recovered. */
  private async succeeded (): Promise<void> {
    const was = this.state
    this.state = 'working'
    if (was !== 'failing') return
    const since = this.failingSince ?? Date.now()
    this.failingSince = undefined
    this.unreported = 0
    const queue = await this.pending().catch(() => 0)
    this.events?.emit({
      type: 's3.recovered',
      queue,
      level: 'info',
      message: `S3 works again after ${durationText(Date.now() - since)} failing; ${queue} versions queued`
    })
  }

  /** Upload one entry: the blob (unless a tombstone or already there), then the record if newer than S3's. */
  private async upload (record: FileRecord, signal: AbortSignal): Promise<void> {
    const blobs = this.s3()
    const address = blobAddress(record)
    if (!record.tombstone && !await blobs.has(address, { signal })) {
      if (!await this.local.has(address, { signal })) throw new LocalBlobGoneError(`local blob ${address} is gone`)
      let localError: unknown
      const local = this.local
      const source = (async function * () {
        try {
          yield * local.get(address, { signal })
        } catch (err) {
          localError = err
          throw err
        }
      })()
      try {
        // Every chunk checked on the way up, which is what files the blob under its chunk root.
        const all = { first: 0, end: record.chunkHashes.length }
        await blobs.put(verifiedChunks(record, all, source, `local blob ${address.slice(0, 12)}`), verifiedPut(record, signal))
      } catch (err) {
        if (localError instanceof NotFoundError) throw new LocalBlobGoneError(`local blob ${address} is gone`, { cause: localError })
        throw err
      }
    }
    const stored = await this.fetchRecord(record.key, { signal })
    if (stored instanceof Error) this.log.error('overwriting a malformed S3 record: %e', stored)
    else if (stored !== undefined && compareVersions(record.version, stored.version) <= 0) return
    // Race: another primary may put between our read and this write (see the header).
    const body = JSON.stringify(record)
    try {
      await blobs.client.send(new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.recordKey(record.key),
        Body: body,
        ContentType: 'application/json',
        ContentLength: Buffer.byteLength(body)
      }), { abortSignal: signal })
    } catch (err) {
      throw mapS3Error(err, signal, `write the S3 record of ${record.key}`)
    }
  }
}

/** InvalidInputError unless `record` looks like a FileRecord we can upload. */
function checkRecord (record: FileRecord): void {
  if (typeof record !== 'object' || record === null) throw new InvalidInputError('a record must be an object')
  assertHash(record.key, 'record key')
  if (typeof record.tombstone !== 'boolean') throw new InvalidInputError('record.tombstone must be a boolean')
  if (!record.tombstone) assertHash(record.hash, 'record hash')
  if (!Number.isSafeInteger(record.size) || record.size < 0) {
    throw new InvalidInputError(`record size must be a non-negative integer, got ${String(record.size)}`)
  }
  const v = record.version as FileRecord['version'] | undefined
  if (typeof v?.time !== 'number' || typeof v.counter !== 'number' || typeof v.writer !== 'string') {
    throw new InvalidInputError('record.version must be { time, counter, writer }')
  }
  if (typeof record.signature !== 'string') throw new InvalidInputError('record.signature must be a string')
}
