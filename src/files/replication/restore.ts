// The restore pass: bring back from the durable tier every record of this node's range that neither it nor a
// replica holds, so a range whose every holder crashed comes back without waiting for a read. Listing the tier
// costs requests, so it runs when the range changed since the last scan, or when the last scan is `scanMs` old.
// A stored record whose signature does not verify (or whose time is too far ahead) is not restored.
import { verifiedChunks, verifiedPut } from '../chunks.js'
import { blobAddress } from '../hashing.js'
import { checkVersion } from '../signature.js'
import { commitRecord } from '../store.js'
import { noRoom, type CopyHooks, type Replication, type SyncReport } from './copies.js'
import type { FileRecord } from '../record.js'

export const DEFAULT_DURABLE_SCAN_MS = 5 * 60_000

export class DurableRestore {
  /** The range last scanned in full, and when. */
  private scanned = { range: '', at: 0 }

  constructor (private readonly rep: Replication, private readonly scanMs = DEFAULT_DURABLE_SCAN_MS) {}

  /**
   * Restore every record of (from, to] that `known` (this node's and the replicas') lacks, if a scan is due at
   * `now`. Restored records are committed here and added to `known`; the next sync pass pushes them on.
   */
  async run (
    from: string, to: string, known: Map<string, FileRecord>, report: SyncReport, now: number, signal: AbortSignal,
    hooks: CopyHooks = {}
  ): Promise<void> {
    const { ctx, durable } = this.rep
    if (durable === undefined) return
    const range = `${from}-${to}`
    if (range === this.scanned.range && now - this.scanned.at < this.scanMs) return
    let failed = false
    try {
      for await (const key of durable.keys(from, to, { signal })) {
        if (known.has(key)) continue
        try {
          const record = await durable.record(key, { signal })
          if (record === undefined) continue
          hooks.copying?.()
          checkVersion(record, ctx.now())
          // Pinned from the look to the commit, as in pullFrom (copies.ts).
          const unpin = record.tombstone ? undefined : await ctx.blobs.pin?.(blobAddress(record))
          try {
            if (!record.tombstone && !(await ctx.blobs.has(blobAddress(record), { signal }))) {
              const all = { first: 0, end: record.chunkHashes.length }
              const chunks = verifiedChunks(record, all, durable.read(record, { offset: 0 }, { signal }), 'the durable tier')
              await ctx.blobs.put(chunks, verifiedPut(record, signal))
            }
            await commitRecord(ctx, record)
          } finally {
            unpin?.()
          }
          known.set(key, record)
          report.restored++
          report.bytes += record.size
          hooks.copied?.(record)
          ctx.log('restored %s from the durable tier', record.name)
        } catch (err) {
          signal.throwIfAborted()
          failed = true
          report.errors++
          if (noRoom(err)) report.full++
          ctx.log('restore of %s from the durable tier failed: %e', key, err)
        }
      }
    } catch (err) {
      signal.throwIfAborted()
      failed = true
      report.errors++
      ctx.log('cannot list the durable tier: %e', err)
    }
    if (!failed) this.scanned = { range, at: now }
  }
}
