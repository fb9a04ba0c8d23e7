// `GET /api/storage`: what a node stores (files, bytes, tombstones), the room left (disk, quota), the S3 tier's
// queue and last failure, and the last scrub and blob sweep. Counting walks the record index, so an answer is
// reused for STORAGE_CACHE_MS: dashboards that poll cost one walk per interval, however many ask.
import { statfs } from 'node:fs/promises'
import type { FilesService } from '../files/service.js'
import type { S3Tier } from '../files/s3-tier.js'
import type { StorageJson } from './types.js'

/** How long one count is reused. */
export const STORAGE_CACHE_MS = 2_000

/** Where the node's stores are, and its quota (src/files/stores.ts NodeStores has both). */
export interface StoresInfo {
  readonly dir: string
  readonly blobs: { readonly quota?: { max: number, used: number } }
}

export function storageReader (
  files: FilesService, stores: StoresInfo | undefined, now: () => number
): (signal: AbortSignal) => Promise<StorageJson> {
  let last: { at: number, json: Promise<StorageJson> } | undefined
  return async signal => {
    if (last === undefined || now() - last.at >= STORAGE_CACHE_MS) {
      // Shared by every caller until it is stale: bounded by its own clock, not by the first caller's signal.
      const json = count(files, stores, now, AbortSignal.timeout(STORAGE_WALK_MS))
      last = { at: now(), json }
      json.catch(() => { if (last?.json === json) last = undefined })
    }
    return await untilAborted(last.json, signal)
  }
}

/** The longest walk of the record index one count may take. */
const STORAGE_WALK_MS = 60_000

/** `promise`, or the signal's reason once it aborts first. */
async function untilAborted<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted()
  let onAbort = (): void => {}
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

async function count (files: FilesService, stores: StoresInfo | undefined, now: () => number, signal: AbortSignal): Promise<StorageJson> {
  let live = 0
  let bytes = 0
  let tombstones = 0
  for await (const record of files.ctx.records.list({ signal })) {
    if (record.tombstone) tombstones++
    else { live++; bytes += record.size }
  }
  const disk = stores === undefined
    ? undefined
    : await statfs(stores.dir).then(s => ({ free: s.bavail * s.bsize, total: s.blocks * s.bsize }), () => undefined)
  const quota = stores?.blobs.quota
  const s3 = files.durable as Partial<S3Tier> | undefined
  const stats = typeof s3?.stats === 'function' ? s3.stats() : undefined
  const queue = s3 === undefined ? undefined : await s3.pending?.().catch(() => undefined)
  return {
    time: now(),
    files: live,
    bytes,
    tombstones,
    ...(disk !== undefined ? { disk } : {}),
    ...(quota !== undefined ? { quota: { ...quota } } : {}),
    ...(s3 !== undefined
      ? {
          s3: {
            queue: queue ?? 0,
            uploaded: stats?.uploaded ?? 0,
            failures: stats?.failures ?? 0,
            ...(stats?.lastError !== undefined ? { lastError: stats.lastError.message } : {})
          }
        }
      : {}),
    ...(files.scrubber.last !== undefined ? { lastScrub: { ...files.scrubber.last } } : {}),
    ...(files.collector?.last !== undefined ? { lastGc: { ...files.collector.last } } : {})
  }
}
