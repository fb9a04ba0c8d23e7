// What the files code needs from the node around it: the libp2p host, the ring (ownership, lookups, dialling),
// this node's stores, the replication factor and a logger. One object, so each protocol module and each
// replication pass takes a narrow, explicit dependency.
import type { Ring } from '../chord/ring.js'
import type { BlobStore } from '../storage/blob-store.js'
import type { RecordStore } from './record-store.js'
import type { FileRecord } from './record.js'
import type { NodeRef } from '../ring/index.js'
import type { Libp2p } from '@libp2p/interface'
import type { Logger } from '@libp2p/logger'

export interface FilesContext {
  host: Libp2p
  ring: Ring
  blobs: BlobStore
  records: RecordStore
  /** Replication factor: total copies of each file. */
  k: number
  log: Logger
  /** Called after this node committed a version (the S3 queue listens here). */
  onCommit?: (record: FileRecord) => void
  /** A holder sent a chunk of `record` that does not match its hash (the files service asks it to verify). */
  onBadChunk?: (holder: NodeRef, record: FileRecord) => void
  /** Counters for status and metrics. */
  stats: { chunksServed: number, bytesServed: number }
}

/** The k nodes that should hold `key` (64 hex): its owner and the next successors, distinct, with the lookup's hops. */
export async function placement (
  ctx: Pick<FilesContext, 'ring' | 'k'>, key: string, signal?: AbortSignal
): Promise<{ nodes: NodeRef[], hops: number }> {
  const found = await ctx.ring.findOwner(BigInt('0x' + key), { signal })
  const nodes: NodeRef[] = []
  for (const n of found.nodes) if (!nodes.some(m => m.id === n.id)) nodes.push(n)
  return { nodes: nodes.slice(0, ctx.k), hops: found.hops }
}
