// The blob collector: a blob no record refers to is garbage. It is left behind by a crash between a blob's write
// and its record's, by a record replaced while dropping the old blob failed, by a put that failed at a holder after
// the blob was written, and it would stay on disk for good. In the background, the first sweep GC_START_DELAY_MS
// after start and then one every GC_INTERVAL_MS, a sweep reads the hash every live record refers to (a record names
// one blob: the root over its chunk hashes, `blobAddress`; a tombstone names none), lists the local blobs, and
// removes each one no record refers to and whose mtime is older than the grace period (default an hour). `last` is
// the last completed sweep, for `status`. The work belongs to the files service's task set, so stopping the node
// stops it; a failed sweep is logged and the next one runs.
//
// Why a blob a record needs is never removed. A blob is written before its record, so at any moment some blobs
// rightly have no record yet, and the record store and the blob listing are not read atomically. Every record
// that refers to a blob is written by `commitRecord` (store.ts), which pins the hash in the blob store, checks
// that the blob is there, writes the record and unpins. A sweep (1) opens a collection pass in the store, (2)
// fixes the cutoff, now − grace, (3) reads the record store, (4) lists the blobs and asks the store to `collect`
// each old one the records did not name; `collect` checks the mtime again and skips a hash that is pinned, or was
// pinned at any moment since the pass opened, under the hash's lock (fs-blob-store.ts). Take a record with hash
// h, and suppose the sweep removed h:
// - if the record was in the store when (3) began to read it, h was named, and never a candidate;
// - if it was written later, hence after (1), its commit held the pin of h across the moment of that write: the
//   pin was held when the pass opened or was taken after, h is in the pass's set of pinned hashes, and `collect`
//   keeps it;
// - a pin cannot slip in between collect's check and its unlink: `pin` waits for a collect of the hash already
//   under way, after which the commit's presence check finds the blob gone and writes no record (an error; the
//   put at that hop fails, a replica pull is tried again on the next pass).
// So no record ever refers to a blob the collector removed, by the pins alone, whatever the clocks say. A replica
// pull and a restore (replication/copies.ts, restore.ts) pin the hash before they look for the blob, so one they
// find here, an old orphan, stays until their commit. The grace period protects a blob in the moments before its
// record's commit pins it: a store hop renames its blob into place and then commits. A put with an expected hash
// that finds its blob present sets its mtime to now (fs-blob-store.ts), so a blob re-put is young again, and a
// put renaming a new copy over an old one gives it a new mtime; `collect` re-reads the mtime under the lock, after
// the listing, so either change during a sweep keeps the blob. Only a blob that waited longer than the grace
// period between its write and its commit can go, and then the commit's presence check fails: a lost copy at
// one holder, never a record without its bytes.
// The S3 tier has no collector: its blobs are keyed by content and shared by every node's uploads, so no single
// node knows that one is garbage (s3-tier.ts notes that superseded blobs stay in the bucket).
import { durationText, sizeText } from '../events.js'
import { sleep } from '../lifecycle.js'
import { blobAddress } from './hashing.js'
import type { AbortOptions, BlobStore } from '../storage/blob-store.js'
import type { FilesContext } from './context.js'
import type { Collection, StoredBlob } from '../storage/fs-blob-store.js'

/** A blob younger than this is never collected: an hour, far longer than a blob waits for its record. */
export const DEFAULT_GC_GRACE_MS = 60 * 60_000
/** The shortest grace period accepted: file times are coarser than the clock and may lag it a little. */
export const MIN_GC_GRACE_MS = 1_000
/** Sweeps start at most this often: hourly (each reads the whole record index and lists every blob). */
export const GC_INTERVAL_MS = 60 * 60_000
/** The first sweep waits this long after the node starts, so that joining, repair and scrubbing go first. */
export const GC_START_DELAY_MS = 10 * 60_000

/** What a blob store must do to be collected (FsBlobStore does). */
export interface CollectableStore {
  entries (options?: AbortOptions): AsyncIterable<StoredBlob>
  beginCollection (): Collection
}

/** Can this blob store be collected? */
export function isCollectable (blobs: BlobStore): blobs is BlobStore & CollectableStore {
  const b = blobs as Partial<CollectableStore>
  return typeof b.entries === 'function' && typeof b.beginCollection === 'function'
}

/** What the last completed sweep did. */
export interface GcReport {
  /** When it completed (ms since the epoch). */
  finished: number
  /** How long it took, ms. */
  ms: number
  /** Blobs listed. */
  blobs: number
  /** Blobs removed, and their bytes. */
  removed: number
  bytes: number
  /** Blobs that could not be removed (logged; tried again by the next sweep). */
  errors: number
}

export interface BlobCollectorInit {
  ctx: Pick<FilesContext, 'records' | 'log' | 'events'>
  blobs: CollectableStore
  /** Age below which an unreferenced blob is kept, ms (default DEFAULT_GC_GRACE_MS, at least MIN_GC_GRACE_MS). */
  graceMs?: number
  /** Interval between the starts of two sweeps, ms (default GC_INTERVAL_MS). */
  intervalMs?: number
  /** Wait before the first sweep, ms (default GC_START_DELAY_MS). */
  startDelayMs?: number
  /** The wall clock, ms since the epoch (default Date.now): file mtimes are compared with it. */
  now?: () => number
}

export class BlobCollector {
  /** The last completed sweep, if any. */
  last?: GcReport
  private readonly graceMs: number
  private readonly now: () => number

  constructor (private readonly init: BlobCollectorInit) {
    this.graceMs = init.graceMs ?? DEFAULT_GC_GRACE_MS
    if (!(Number.isFinite(this.graceMs) && this.graceMs >= MIN_GC_GRACE_MS)) {
      throw new RangeError(`the blob grace period must be at least ${MIN_GC_GRACE_MS} ms, got ${this.graceMs}`)
    }
    this.now = init.now ?? Date.now
  }

  /** Sweep until `signal` aborts; a failed sweep is logged and the next one runs at its time. */
  async run (signal: AbortSignal): Promise<void> {
    await sleep(this.init.startDelayMs ?? GC_START_DELAY_MS, signal)
    while (!signal.aborted) {
      const began = Date.now()
      try {
        await this.sweep(signal)
      } catch (err) {
        signal.throwIfAborted()
        this.init.ctx.log('blob collection failed: %e', err)
      }
      await sleep(Math.max(0, began + (this.init.intervalMs ?? GC_INTERVAL_MS) - Date.now()), signal)
    }
  }

  /**
   * One sweep, now: remove every blob no live record refers to that is older than the grace period. Throws when
   * the record index or the blob directory cannot be read, or `signal` aborts; a blob that cannot be removed is
   * logged and counted in `errors`. Sweeps may overlap safely (each is a pass of its own in the store).
   */
  async sweep (signal?: AbortSignal): Promise<GcReport> {
    const { ctx, blobs } = this.init
    const began = this.now()
    const report: GcReport = { finished: 0, ms: 0, blobs: 0, removed: 0, bytes: 0, errors: 0 }
    // The order matters (the argument in the header): the pass opens before the records are read.
    const pass = blobs.beginCollection()
    try {
      const cutoff = began - this.graceMs
      const referenced = new HashPrefixSet()
      for await (const record of ctx.records.list({ signal })) {
        if (!record.tombstone) referenced.add(blobAddress(record))
      }
      referenced.seal()
      for await (const blob of blobs.entries({ signal })) {
        report.blobs++
        if (!(blob.mtimeMs < cutoff) || referenced.has(blob.hash)) continue
        try {
          const removed = await pass.collect(blob.hash, cutoff, { signal })
          if (removed === undefined) continue
          report.removed++
          report.bytes += removed
          ctx.log('removed blob %s (%d bytes): no record refers to it', blob.hash.slice(0, 12), removed)
        } catch (err) {
          signal?.throwIfAborted()
          report.errors++
          ctx.log('cannot remove unreferenced blob %s: %e', blob.hash.slice(0, 12), err)
        }
      }
    } finally {
      pass.end()
    }
    report.finished = this.now()
    report.ms = report.finished - began
    this.last = report
    ctx.log('blob collection: %d blobs, %d unreferenced removed (%d bytes) in %d ms, %d errors',
      report.blobs, report.removed, report.bytes, report.ms, report.errors)
    ctx.events?.emit({
      type: 'gc.finished',
      blobs: report.blobs,
      removed: report.removed,
      bytes: report.bytes,
      ms: report.ms,
      // A sweep that found nothing to remove is routine: debug.
      level: report.errors > 0 ? 'warn' : report.removed > 0 ? 'info' : 'debug',
      message: `blob collection: ${report.removed} unreferenced of ${report.blobs} blobs removed (${sizeText(report.bytes)}) ` +
        `in ${durationText(report.ms)}` + (report.errors > 0 ? `, ${report.errors} could not be (tried again next sweep)` : '')
    })
    return report
  }
}

/**
 * A set of SHA-256 hashes kept as their first 64 bits, sorted: 8 bytes a record, however many records the index
 * holds. Two hashes sharing their first 64 bits look alike, which can only keep a garbage blob, never remove a
 * needed one.
 */
export class HashPrefixSet {
  private values = new BigUint64Array(1024)
  private size = 0
  private sealed = false

  add (hash: string): void {
    if (this.sealed) throw new Error('add after seal')
    if (this.size === this.values.length) {
      const grown = new BigUint64Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }
    this.values[this.size++] = prefixOf(hash)
  }

  /** Done adding: sort, so that `has` can search. */
  seal (): void {
    this.values = this.values.slice(0, this.size).sort()
    this.sealed = true
  }

  has (hash: string): boolean {
    if (!this.sealed) throw new Error('has before seal')
    const v = prefixOf(hash)
    let lo = 0
    let hi = this.values.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.values[mid] < v) lo = mid + 1
      else hi = mid
    }
    return lo < this.values.length && this.values[lo] === v
  }
}

function prefixOf (hash: string): bigint {
  return BigInt('0x' + hash.slice(0, 16))
}
