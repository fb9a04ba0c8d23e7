// Content hashing as bytes stream by: SHA-256 of each fixed-size chunk, whatever the sizes of the pieces that
// arrive, and (for the writer of a version) SHA-256 of the whole content. Chunk hashes let a reader verify (and
// resume) a download chunk by chunk and fetch ranges from different replicas (BitTorrent v2 hashes 16 KiB leaves;
// we keep a flat list of 1 MiB chunks, a few KB per GiB). A blob's address is the root over its chunk hashes
// (`blobAddress`): a node that stores a version it did not write hashes each byte once, for the chunk hashes it
// checks, and files the bytes under their root; only the writer also hashes the whole content, for the record's
// `hash` that readers check end to end.
import { createHash, type Hash } from 'node:crypto'
import { Uint8ArrayList } from 'uint8arraylist'

export interface ContentDigest {
  size: number
  /** SHA-256 of the whole content, or '' from a hasher that does not compute it. */
  hash: string
  chunkHashes: string[]
}

/** SHA-256 over the chunk hashes, concatenated in order (32 bytes each). */
export function chunkRoot (chunkHashes: readonly string[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(chunkHashes.join(''), 'hex').digest())
}

/**
 * The address of a version's blob: the root over its chunk hashes, in hex. It names the bytes as surely as their
 * SHA-256 (equal roots mean equal chunk hashes, so equal chunks), and a node that checked the chunk hashes as the
 * bytes passed knows it without a second pass over them.
 */
export function blobAddress (record: { chunkHashes: readonly string[] }): string {
  return Buffer.from(chunkRoot(record.chunkHashes)).toString('hex')
}

export class ChunkHasher {
  private readonly whole: Hash | undefined
  private chunk: Hash = createHash('sha256')
  private inChunk = 0
  private total = 0
  private readonly chunks: string[] = []

  /** With `whole: false` the hasher computes only the chunk hashes, and its digest's `hash` is ''. */
  constructor (readonly chunkSize: number, options: { whole?: boolean } = {}) {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunk size must be a positive integer, got ${chunkSize}`)
    this.whole = options.whole === false ? undefined : createHash('sha256')
  }

  get size (): number {
    return this.total
  }

  update (bytes: Uint8Array): void {
    this.whole?.update(bytes)
    this.total += bytes.byteLength
    let at = 0
    while (at < bytes.byteLength) {
      const take = Math.min(this.chunkSize - this.inChunk, bytes.byteLength - at)
      this.chunk.update(bytes.subarray(at, at + take))
      this.inChunk += take
      at += take
      if (this.inChunk === this.chunkSize) this.closeChunk()
    }
  }

  digest (): ContentDigest {
    if (this.inChunk > 0) this.closeChunk()
    return { size: this.total, hash: this.whole?.digest('hex') ?? '', chunkHashes: [...this.chunks] }
  }

  private closeChunk (): void {
    this.chunks.push(this.chunk.digest('hex'))
    this.chunk = createHash('sha256')
    this.inChunk = 0
  }
}

/** SHA-256 in hex of a string, a buffer, or the pieces of a Uint8ArrayList in order (without joining them). */
export function sha256Hex (bytes: Uint8Array | string | Uint8ArrayList): string {
  if (!(bytes instanceof Uint8ArrayList)) return createHash('sha256').update(bytes).digest('hex')
  const h = createHash('sha256')
  for (const piece of bytes) h.update(piece)
  return h.digest('hex')
}
