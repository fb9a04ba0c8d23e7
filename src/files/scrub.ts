// The scrubber: disks rot, and a blob whose bytes changed on disk would otherwise be found only when someone reads
// it. In the background, at a bounded rate (`--scrub-rate`, bytes a second), it re-hashes every blob this node
// holds for a live record, in key order, and hands a bad or missing one to the Repairer (./repair.ts), which drops
// it and fetches it again, verified, from another holder. One pass at a time, a new one SCRUB_INTERVAL_MS after
// the last began (or at once when the last took longer); `last` says when one last completed and what it found,
// for `status`. The work belongs to the files service's task set, so stopping the node stops it.
import { IntegrityError, NotFoundError } from '../errors.js'
import { durationText, sizeText } from '../events.js'
import { sleep } from '../lifecycle.js'
import { blobAddress, ChunkHasher } from './hashing.js'
import type { FilesContext } from './context.js'
import type { FileRecord } from './record.js'

/** Default rate: 4 MiB a second, a few percent of a disk's bandwidth (a 100 GB store is checked in about 7 h). */
export const DEFAULT_SCRUB_RATE = 4 * 1024 * 1024
/** Passes start at most this often: hourly. */
export const SCRUB_INTERVAL_MS = 60 * 60_000
/** The first pass waits this long after the node starts, so that joining and repair go first. */
export const SCRUB_START_DELAY_MS = 60_000

/** What the last completed pass found. */
export interface ScrubReport {
  /** When it completed (ms since the epoch). */
  finished: number
  /** How long it took, ms. */
  ms: number
  /** Blobs re-hashed, and their bytes. */
  blobs: number
  bytes: number
  /** Blobs that were bad or missing, handed to repair. */
  bad: number
}

export interface ScrubberInit {
  ctx: Pick<FilesContext, 'records' | 'blobs' | 'log' | 'events' | 'metrics'>
  /** Called with each blob found bad or missing (the Repairer drops it and fetches it again). */
  repair: (record: FileRecord, cause: Error) => void
  /** Bytes a second (default DEFAULT_SCRUB_RATE); 0 turns the scrubber off. */
  rate?: number
  intervalMs?: number
  startDelayMs?: number
}

export class Scrubber {
  /** The last completed pass, if any. */
  last?: ScrubReport
  private readonly rate: number

  constructor (private readonly init: ScrubberInit) {
    this.rate = init.rate ?? DEFAULT_SCRUB_RATE
    if (!(Number.isFinite(this.rate) && this.rate >= 0)) throw new RangeError(`scrub rate must be ≥ 0 bytes a second, got ${this.rate}`)
  }

  /** Run passes until `signal` aborts (nothing when the rate is 0). */
  async run (signal: AbortSignal): Promise<void> {
    if (this.rate === 0) return
    await sleep(this.init.startDelayMs ?? SCRUB_START_DELAY_MS, signal)
    while (!signal.aborted) {
      const began = Date.now()
      const last = this.last = await this.pass(signal)
      this.init.ctx.log('scrub: %d blobs, %d bytes checked in %d ms, %d bad', last.blobs, last.bytes, last.ms, last.bad)
      this.init.ctx.events?.emit({
        type: 'scrub.finished',
        blobs: last.blobs,
        bytes: last.bytes,
        bad: last.bad,
        ms: last.ms,
        level: last.bad > 0 ? 'warn' : 'info',
        message: `scrub finished: ${last.blobs} ${last.blobs === 1 ? 'file' : 'files'} (${sizeText(last.bytes)}) re-hashed in ` +
          `${durationText(last.ms)}, ` + (last.bad === 0 ? 'all sound' : `${last.bad} bad, handed to repair`)
      })
      await sleep(Math.max(0, began + (this.init.intervalMs ?? SCRUB_INTERVAL_MS) - Date.now()), signal)
    }
  }

  /** One pass over every live record's blob; throws only when `signal` aborts. */
  async pass (signal: AbortSignal): Promise<ScrubReport> {
    const { records, metrics } = this.init.ctx
    const began = Date.now()
    const report: ScrubReport = { finished: 0, ms: 0, blobs: 0, bytes: 0, bad: 0 }
    metrics?.scrubStarted()
    let budgetStart = performance.now()
    let budgetBytes = 0
    /** Wait as long as keeps the bytes read so far to the rate. */
    const pace = async (bytes: number): Promise<void> => {
      metrics?.scrubbed(bytes)
      budgetBytes += bytes
      const due = budgetStart + budgetBytes / this.rate * 1000 - performance.now()
      if (due > 0) await sleep(due, signal)
      if (budgetBytes > 64 * this.rate) { budgetStart = performance.now(); budgetBytes = 0 } // no long-saved burst
    }
    for await (const record of records.list({ signal })) {
      if (record.tombstone || record.size === 0) continue
      const problem = await this.check(record, pace, signal)
      report.blobs++
      report.bytes += record.size
      metrics?.scrubbedBlob(problem !== undefined)
      if (problem !== undefined) {
        report.bad++
        this.init.repair(record, problem)
      }
    }
    report.finished = Date.now()
    report.ms = report.finished - began
    metrics?.scrubFinished()
    return report
  }

  /**
   * Re-hash the blob of `record` chunk by chunk: the problem when it is missing or its bytes no longer match the
   * record's chunk hashes, else undefined.
   */
  private async check (record: FileRecord, pace: (bytes: number) => Promise<void>, signal: AbortSignal): Promise<Error | undefined> {
    const address = blobAddress(record)
    const hasher = new ChunkHasher(record.chunkSize, { whole: false })
    try {
      for await (const chunk of this.init.ctx.blobs.get(address, { signal })) {
        hasher.update(chunk)
        await pace(chunk.byteLength)
      }
    } catch (err) {
      signal.throwIfAborted()
      if (err instanceof NotFoundError) return err
      return new IntegrityError(`cannot read blob ${address.slice(0, 12)} of ${record.name}: ${(err as Error).message}`, { cause: err })
    }
    const found = hasher.digest()
    if (found.size === record.size && found.chunkHashes.join() === record.chunkHashes.join()) return undefined
    return new IntegrityError(`blob ${address.slice(0, 12)} of ${record.name} no longer matches its chunk hashes (found by the scrubber)`)
  }
}
