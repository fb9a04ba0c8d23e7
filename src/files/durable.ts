// The durable tier behind the replicas (docs/ARCHITECTURE.md): with S3 configured, every version a node commits
// as primary is queued and uploaded; reads fall back to it when no replica answers, and repair restores from it
// when every replica is gone. FilesService depends only on this interface; src/files/s3-tier.ts implements it
// over S3.
import type { FileRecord } from './record.js'
import type { AbortOptions } from '../storage/blob-store.js'

export interface DurableTier {
  /** Queue `record` (and, unless a tombstone, its blob from the local store) for upload. Persists before it resolves. */
  enqueue (record: FileRecord): Promise<void>
  /** The newest record stored for `key`, or undefined. */
  record (key: string, options?: AbortOptions): Promise<FileRecord | undefined>
  /** The keys of the records stored in the ring interval (from, to] (64-hex keys; from = to is the whole ring), in key order. */
  keys (from: string, to: string, options?: AbortOptions): AsyncIterable<string>
  /** The bytes of `record`'s blob, [offset, offset + length); NotFoundError when absent. */
  read (record: FileRecord, range?: { offset: number, length?: number }, options?: AbortOptions): AsyncIterable<Uint8Array>
  /** Entries waiting for upload. */
  pending (): Promise<number>
  /** Whether uploads work now, and the last failure (for status); absent when the tier does not say. */
  health?: () => DurableHealth
  start (): Promise<void>
  stop (): Promise<void>
}

/** How the durable tier is doing, as `chord-peer status` shows it. */
export interface DurableHealth {
  /** `unknown` until the first request answered or failed. */
  state: 'unknown' | 'working' | 'failing'
  /** Where it uploads: the bucket, and the endpoint when not AWS's. */
  bucket: string
  endpoint?: string
  /** Since when it fails, ms since the epoch (while failing). */
  failingSince?: number
  /** The last failure and when (ms since the epoch), kept after a recovery. */
  lastError?: string
  lastErrorAt?: number
  /** Entries waiting for upload. */
  queue: number
  /** Entries uploaded, and failed attempts, since start. */
  uploaded: number
  failures: number
}
