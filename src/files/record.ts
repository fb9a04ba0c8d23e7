// The file record: everything about one version of a named file except its bytes, which live content-addressed
// in a BlobStore under `hash`. Records are compared by version (a hybrid logical clock plus the writer's PeerId),
// so concurrent writes of one name converge on the same winner everywhere (last writer wins). A delete is a
// newer version with `tombstone` set and no bytes.

/** Hybrid logical clock timestamp (Kulkarni et al. 2014): wall-clock ms, a counter for ties, and the writer. */
export interface Version {
  /** Milliseconds since the epoch, never behind any version this writer has seen. */
  time: number
  /** Orders versions within one millisecond. */
  counter: number
  /** PeerId of the node that created the version; breaks exact ties. */
  writer: string
}

export interface FileRecord {
  /** The file name as the user gave it: data, never a path. */
  name: string
  /** SHA-256 of the name, 64 hex digits: the ring key. */
  key: string
  /** Content size in bytes (0 for a tombstone). */
  size: number
  /** SHA-256 of the whole content, 64 hex digits (the blob's address). */
  hash: string
  /** Chunk size in bytes; the content is hashed in chunks of this size (the last may be shorter). */
  chunkSize: number
  /** SHA-256 of each chunk, 64 hex digits each, in order. */
  chunkHashes: string[]
  version: Version
  tombstone: boolean
  contentType: string
  /** Creation time of the first version, ms since the epoch. */
  created: number
  /** Time of this version, ms since the epoch. */
  modified: number
  /** The writer's signature of the version (signature.ts), hex; '' = unsigned, which no node accepts. */
  signature: string
}

/** Default chunk size: 1 MiB (Helia's; large enough that per-chunk overhead vanishes next to encryption). */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024

/** Longest file name in UTF-8 bytes. */
export const MAX_NAME_BYTES = 1024

/** Most records one page of a listing carries. */
export const MAX_LIST = 1000

/**
 * How far ahead of a node's clock a version's time may be, ms. A version further ahead is refused by store
 * hops, ignored by readers and replication, and does not move a clock: one writer with a clock (or a lie) in
 * the far future would otherwise win every name it writes, and push every clock that sees it along with it.
 */
export const MAX_CLOCK_AHEAD_MS = 60_000

/** Largest version counter: the wire carries it as a uint32. */
export const MAX_COUNTER = 2 ** 32 - 1

/** Is `v` more than MAX_CLOCK_AHEAD_MS ahead of `now`? */
export const tooFarAhead = (v: Version, now: number): boolean => v.time > now + MAX_CLOCK_AHEAD_MS

/** Negative when a is older than b, positive when newer, 0 when the same version. */
export function compareVersions (a: Version, b: Version): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1
  return a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : 0
}

/** A hybrid logical clock. `now` is passed in, so the clock is testable and this module reads no time itself. */
export class HybridClock {
  private last: Version

  constructor (readonly writer: string) {
    this.last = { time: 0, counter: 0, writer }
  }

  /**
   * A version newer than every version this clock has issued or observed. The counter never wraps: at
   * MAX_COUNTER the time moves on one ms instead.
   */
  next (now: number): Version {
    let time = Math.max(now, this.last.time)
    let counter = time === this.last.time ? this.last.counter + 1 : 0
    if (counter > MAX_COUNTER) { time++; counter = 0 }
    this.last = { time, counter, writer: this.writer }
    return this.last
  }

  /**
   * Take in a version seen from elsewhere, so later local versions are newer than it; one more than
   * MAX_CLOCK_AHEAD_MS ahead of `now` is left out.
   */
  observe (v: Version, now: number): void {
    if (tooFarAhead(v, now)) return
    if (v.time > this.last.time || (v.time === this.last.time && v.counter > this.last.counter)) {
      this.last = { time: v.time, counter: v.counter, writer: this.writer }
    }
  }
}
