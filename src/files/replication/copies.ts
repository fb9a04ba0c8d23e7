// Moving one version between two holders, for the replication passes: push this node's copy to a replica, or
// pull a replica's copy here. Both check every byte against the record's hashes on the way. A push sends the
// record as it is, with its writer's signature, and the replica checks it as any store hop does; a pull takes a
// version only when its signature verifies and its time is not too far ahead. Between two writers of one name
// (the two sides of a partition) the newest version wins, as the primary settles it (owners.ts).
import { NoSpaceError, UnreachableError } from '../../errors.js'
import { joined, verifiedPut } from '../chunks.js'
import { fetchChunks, verifiedLocalChunks } from '../fetch.js'
import { blobAddress } from '../hashing.js'
import { checkReplace } from '../owners.js'
import { checkVersion } from '../signature.js'
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

/**
 * Totals of one pass (or of all passes since start). `full`: copies not made because the holder had no room (its
 * storage quota or its disk), also counted in `errors`; a missing copy, tried again on the next pass. `bytes`: the
 * content bytes of the copies made (pulled, pushed and restored).
 */
export interface SyncReport { pulled: number, pushed: number, restored: number, errors: number, full: number, bytes: number }

/**
 * What a pass tells as it goes: `copying` before each copy it tries (the first one starts a repair), `copied` with
 * each version copied (pulled, pushed or restored).
 */
export interface CopyHooks {
  copying?: () => void
  copied?: (record: FileRecord) => void
}

/** Did a copy fail for want of room on its holder (QuotaError, NoSpaceError, or a failed push caused by one)? */
export function noRoom (err: unknown): boolean {
  return err instanceof NoSpaceError || (err as Error | undefined)?.cause instanceof NoSpaceError
}

/** Send this node's copy of `record` to `node` (a store stream with a chain of one). */
export async function pushTo (ctx: FilesContext, record: FileRecord, node: NodeRef, signal: AbortSignal): Promise<void> {
  const source = record.tombstone
    ? (async function * () {})()
    : verifiedLocalChunks(ctx, record, { first: 0, end: record.chunkHashes.length }, signal)
  const result = await pushVersion(ctx, source, record, [node], signal)
  if (!result.stored.some(n => n.id === node.id)) throw result.downstreamError ??
    new UnreachableError(`${node.address} did not store ${record.name}`)
}

/**
 * Fetch `record`'s bytes from `node` (unless this node has the blob) and commit it here. Only the primary of the
 * record's key pulls (the sync pass), and it settles a name two writers wrote on the newest version
 * (owners.ts `checkReplace`, last writer wins).
 */
export async function pullFrom (ctx: FilesContext, record: FileRecord, node: NodeRef, signal: AbortSignal): Promise<void> {
  checkVersion(record, ctx.now()) // before a byte moves
  checkReplace(await ctx.records.get(record.key), record, ctx.isSupernode, { lastWriterWins: true })
  // Pinned from the look before the fetch to the commit: a blob found here (an old orphan) is not collected
  // in between (src/files/blob-gc.ts).
  const unpin = record.tombstone ? undefined : await ctx.blobs.pin?.(blobAddress(record))
  try {
    if (!record.tombstone && !(await ctx.blobs.has(blobAddress(record), { signal }))) {
      const chunks = fetchChunks(ctx, record, { first: 0, end: record.chunkHashes.length }, [node], signal)
      await ctx.blobs.put(joined(chunks), verifiedPut(record, signal))
    }
    await commitRecord(ctx, record)
  } finally {
    unpin?.()
  }
}
