// What the services record as it happens, as narrow interfaces: the chord service its lookups and stabilize
// rounds, the files layer its operations, repairs and scrubbing. NodeMetrics (./node-metrics.ts) implements them
// all; a service given none records nothing. Types only, importing nothing: a room that records depends neither on
// prom-client nor on the rest of src/metrics/. Every label value passed here is one of a few fixed words, never a
// PeerId, a key or a name.

/** How an operation ended. */
export type Outcome = 'ok' | 'error'

/** What ChordService records. */
export interface ChordRecorder {
  /**
   * A lookup asked of the ring (by files, membership, the API; not fix_fingers' own) ended: `ok` with its hops, or
   * `error` (it failed, or was aborted); `seconds` from its start.
   */
  lookup: (outcome: Outcome, hops: number | undefined, seconds: number) => void
  /** A stabilize round ended (`error`: it threw, e.g. its timeout passed). */
  stabilize: (outcome: Outcome) => void
}

export type FileOp = 'put' | 'get' | 'delete'

/** What one replica pass copied (its SyncReport): versions pulled, pushed, restored from S3, failed, and their bytes. */
export interface PassCopies { pulled: number, pushed: number, restored: number, errors: number, bytes: number }

/** What the files layer records (FilesService, the replicator, the Repairer, the Scrubber). */
export interface FilesRecorder {
  /** A put, a get (once its body was read to the end, or failed) or a delete ended; `bytes` moved. */
  fileOp: (op: FileOp, outcome: Outcome, bytes: number, seconds: number) => void
  /** A replica pass ended: what it copied (`error`: it broke off, copies unknown). */
  repairPass: (outcome: Outcome, copies?: PassCopies) => void
  /** A bad local blob was fetched again from another holder (`ok`, `bytes` of it), or could not be (repair.ts). */
  blobRepair: (outcome: Outcome, bytes: number) => void
  /** A scrub pass began; `bytes` of a blob were re-hashed; a blob was checked; the pass ended. */
  scrubStarted: () => void
  scrubbed: (bytes: number) => void
  scrubbedBlob: (bad: boolean) => void
  scrubFinished: () => void
}
