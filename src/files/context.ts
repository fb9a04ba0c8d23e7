// What the files code needs from the node around it: the libp2p host, the ring (ownership, lookups, dialling),
// this node's stores, the replication factor, its key (it signs the versions it writes), its clock, who the
// supernodes are, and a logger. One object, so each protocol module and each replication pass takes a narrow,
// explicit dependency.
import type { Ring } from '../chord/ring.js'
import type { Gate } from '../net/rpc.js'
import type { Bans } from '../trust/bans.js'
import type { NodeEvents } from '../events.js'
import type { FilesRecorder } from '../metrics/recorders.js'
import type { StreamSlots, TransferBudget } from './limits.js'
import type { BlobStore } from '../storage/blob-store.js'
import type { RecordStore } from './record-store.js'
import type { IsSupernode } from './owners.js'
import type { FileRecord } from './record.js'
import type { NodeRef } from '../ring/index.js'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Logger } from '@libp2p/logger'

export interface FilesContext {
  host: Libp2p
  ring: Ring
  blobs: BlobStore
  records: RecordStore
  /** Replication factor: total copies of each file. */
  k: number
  /** This node's libp2p key: it signs the versions this node writes (signature.ts). */
  key: PrivateKey
  /** The clock, ms since the epoch: versions too far ahead of it are refused (record.ts: MAX_CLOCK_AHEAD_MS). */
  now: () => number
  /** Is this PeerId a supernode's? A supernode may delete any member's file (owners.ts). */
  isSupernode: IsSupernode
  /** Who may open the file protocols' streams (members only). */
  gate?: Gate
  /**
   * Told of every index request refused over its rate (src/trust/bans.ts bans a peer refused again and again), and
   * of every version refused as forged (a bad signature, another member's name).
   */
  bans?: Pick<Bans, 'overRate'> & Partial<Pick<Bans, 'refused'>>
  /** Where repairs, scrub and collection results are told (src/events.ts); none in tests that build a context. */
  events?: NodeEvents
  /** Told of file operations, repairs and scrubbing as they end (src/metrics/); none in tests that build a context. */
  metrics?: FilesRecorder
  /** The memory every inbound store and fetch stream reserves its buffering from (limits.ts). */
  transfers: TransferBudget
  /** Slots for the store streams this node opens for its own writes (limits.ts): a burst of puts queues here. */
  storeSlots: StreamSlots
  log: Logger
  /** Called after this node committed a version (the S3 queue listens here). */
  onCommit?: (record: FileRecord) => void
  /** A holder sent a chunk of `record` that does not match its hash (the files service asks it to verify). */
  onBadChunk?: (holder: NodeRef, record: FileRecord) => void
  /** Counters for status and metrics. */
  stats: { chunksServed: number, bytesServed: number }
}

/**
 * The k nodes that should hold `key` (64 hex): its owner and the next successors, distinct, with the lookup's
 * hops; `count` of them instead of k when given (a store hop accepts k + 1: store.ts).
 */
export async function placement (
  ctx: Pick<FilesContext, 'ring' | 'k'>, key: string, signal?: AbortSignal, count = ctx.k
): Promise<{ nodes: NodeRef[], hops: number }> {
  const found = await ctx.ring.findOwner(BigInt('0x' + key), { signal })
  const nodes: NodeRef[] = []
  for (const n of found.nodes) if (!nodes.some(m => m.id === n.id)) nodes.push(n)
  return { nodes: nodes.slice(0, count), hops: found.hops }
}
