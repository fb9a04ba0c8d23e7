// Repair of this node's own blobs. A blob found bad — a reader reported a chunk that failed its hash (index
// VERIFY), or serving it found it missing — is checked in full, and when it is bad it is dropped and fetched
// again, verified, from another holder of the same version. One check at a time per key; the work belongs to
// the files service's task set, so stopping the node stops it.
import { IntegrityError, NotFoundError } from '../errors.js'
import { errorText } from '../events.js'
import { joined, verifiedPut } from './chunks.js'
import { placement, type FilesContext } from './context.js'
import { fetchChunks, verifiedLocalChunks } from './fetch.js'
import { blobAddress } from './hashing.js'
import type { TaskSet } from '../lifecycle.js'
import type { FileRecord } from './record.js'

export class Repairer {
  /** Keys whose local blob is being checked now. */
  private readonly verifying = new Set<string>()

  constructor (private readonly ctx: FilesContext, private readonly tasks: TaskSet) {}

  /** Check the whole local blob of `key` against its record, in the background; repair it when bad. */
  verify (key: string): void {
    if (this.verifying.has(key)) return
    this.verifying.add(key)
    this.tasks.run(`verifying ${key}`, async signal => {
      try {
        const record = await this.ctx.records.get(key)
        if (record === undefined || record.tombstone) return
        try {
          for await (const _ of verifiedLocalChunks(this.ctx, record, { first: 0, end: record.chunkHashes.length }, signal)) {
            /* hashing */
          }
        } catch (err) {
          if (err instanceof IntegrityError || err instanceof NotFoundError) await this.repairNow(record, err, signal)
          else throw err
        }
      } finally {
        this.verifying.delete(key)
      }
    })
  }

  /** A local blob of `record` is bad: repair it in the background. */
  repair (record: FileRecord, cause: Error): void {
    this.tasks.run(`repairing ${record.name}`, async signal => { await this.repairNow(record, cause, signal) })
  }

  /** Drop the bad blob and fetch the version again from another holder. */
  private async repairNow (record: FileRecord, cause: Error, signal: AbortSignal): Promise<void> {
    const { ctx } = this
    const address = blobAddress(record)
    ctx.log('blob %s of %s is bad (%e): repairing', address.slice(0, 12), record.name, cause)
    const reason = `the copy of ${JSON.stringify(record.name)} here is bad (${errorText(cause)})`
    const began = performance.now()
    ctx.events?.emit({ type: 'repair.started', reason, level: 'info', message: `repair started: ${reason}` })
    const finished = (failed: boolean, why = ''): void => {
      const ms = Math.round(performance.now() - began)
      ctx.events?.emit({
        type: 'repair.finished',
        reason,
        files: failed ? 0 : 1,
        bytes: failed ? 0 : record.size,
        ms,
        failed: failed ? 1 : 0,
        level: failed ? 'warn' : 'info',
        message: failed
          ? `repair of ${JSON.stringify(record.name)} failed after ${ms} ms: ${why}`
          : `repair finished: ${JSON.stringify(record.name)} fetched again from another holder, ${record.size} bytes in ${ms} ms`
      })
    }
    try {
      await ctx.blobs.delete(address, { signal })
      const { nodes } = await placement(ctx, record.key, signal)
      const others = nodes.filter(n => n.id !== ctx.ring.self.id)
      const chunks = fetchChunks(ctx, record, { first: 0, end: record.chunkHashes.length }, others, signal)
      await ctx.blobs.put(joined(chunks), verifiedPut(record, signal))
      ctx.log('blob %s of %s repaired', address.slice(0, 12), record.name)
      ctx.metrics?.blobRepair('ok', record.size)
      finished(false)
    } catch (err) {
      signal.throwIfAborted()
      ctx.log('repair of %s failed: %e', record.name, err)
      ctx.metrics?.blobRepair('error', 0)
      finished(true, errorText(err))
    }
  }
}
