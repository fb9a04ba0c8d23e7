// Moving one version between two holders, for the replication passes: push this node's copy to a replica, or
// pull a replica's copy here. Both check every byte against the record's hashes on the way.
import { UnreachableError } from '../../errors.js'
import { joined } from '../chunks.js'
import { fetchChunks, verifiedLocalChunks } from '../fetch.js'
import { commitRecord, pushVersion } from '../store.js'
import type { FilesContext } from '../context.js'
import type { IndexClient } from '../index-protocol.js'
import type { DurableTier } from '../durable.js'
import type { FileRecord } from '../record.js'
import type { NodeRef } from '../../ring/index.js'

/** What every replication pass works with. */
export interface Replication {
  ctx: FilesContext
  index: IndexClient
  /** The durable tier, if configured. */
  durable?: DurableTier
}

/** Totals of one pass (or of all passes since start). */
export interface SyncReport { pulled: number, pushed: number, restored: number, errors: number }

/** Send this node's copy of `record` to `node` (a store stream with a chain of one). */
export async function pushTo (ctx: FilesContext, record: FileRecord, node: NodeRef, signal: AbortSignal): Promise<void> {
  const source = record.tombstone
    ? (async function * () {})()
    : verifiedLocalChunks(ctx, record, { first: 0, end: record.chunkHashes.length }, signal)
  const result = await pushVersion(ctx, source, record, [node], signal)
  if (!result.stored.some(n => n.id === node.id)) throw result.downstreamError ??
    new UnreachableError(`${node.address} did not store ${record.name}`)
}

/** Fetch `record`'s bytes from `node` (unless this node has the blob) and commit it here. */
export async function pullFrom (ctx: FilesContext, record: FileRecord, node: NodeRef, signal: AbortSignal): Promise<void> {
  if (!record.tombstone && !(await ctx.blobs.has(record.hash, { signal }))) {
    const chunks = fetchChunks(ctx, record, { first: 0, end: record.chunkHashes.length }, [node], signal)
    await ctx.blobs.put(joined(chunks), { expectedHash: record.hash, expectedSize: record.size, signal })
  }
  await commitRecord(ctx, record)
}
