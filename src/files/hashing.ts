// Content hashing in one pass as bytes stream by: SHA-256 of the whole content plus SHA-256 of each fixed-size
// chunk, whatever the sizes of the pieces that arrive. Chunk hashes let a reader verify (and resume) a download
// chunk by chunk and fetch ranges from different replicas (BitTorrent v2 hashes 16 KiB leaves; we keep a flat
// list of 1 MiB chunks, a few KB per GiB).
import { createHash, type Hash } from 'node:crypto'
import { Uint8ArrayList } from 'uint8arraylist'

export interface ContentDigest {
  size: number
  hash: string
  chunkHashes: string[]
}

export class ChunkHasher {
  private readonly whole: Hash = createHash('sha256')
  private chunk: Hash = createHash('sha256')
  private inChunk = 0
  private total = 0
  private readonly chunks: string[] = []

  constructor (readonly chunkSize: number) {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunk size must be a positive integer, got ${chunkSize}`)
  }

  get size (): number {
    return this.total
  }

  update (bytes: Uint8Array): void {
    this.whole.update(bytes)
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
    return { size: this.total, hash: this.whole.digest('hex'), chunkHashes: [...this.chunks] }
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
