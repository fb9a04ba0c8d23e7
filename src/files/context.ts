// What the files code needs from the node around it: the libp2p host, the ring (for ids, addresses and
// lookups), and this node's stores. One object, so each protocol module takes a narrow, explicit dependency.
import type { ChordService } from '../chord/service.js'
import type { BlobStore } from '../storage/blob-store.js'
import type { RecordStore } from '../storage/record-store.js'
import type { FileRecord } from './record.js'
import type { NodeRef } from '../ring/index.js'
import type { Libp2p } from '@libp2p/interface'
import type { Logger } from '@libp2p/logger'

export interface FilesContext {
  host: Libp2p
  chord: ChordService
  blobs: BlobStore
  records: RecordStore
  log: Logger
  /** Called after this node committed a version (the S3 queue and the dashboard listen here later). */
  onCommit?: (record: FileRecord) => void
  /** A holder sent a chunk of `record` that does not match its hash (the files service asks it to verify). */
  onBadChunk?: (holder: NodeRef, record: FileRecord) => void
  /** Counters for status and metrics. */
  stats: { chunksServed: number, bytesServed: number }
}
