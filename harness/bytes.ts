// Deterministic content of any size for tests and benchmarks, streamed (never held whole in memory), and helpers
// to hash and collect streams.
import { createHash } from 'node:crypto'

/** `size` bytes of a seeded pseudo-random stream, in pieces of `piece` bytes. */
export async function * pseudoRandom (size: number, seed = 1, piece = 256 * 1024): AsyncGenerator<Uint8Array> {
  let x = seed >>> 0 || 1
  let left = size
  while (left > 0) {
    const n = Math.min(piece, left)
    const buf = new Uint8Array(n)
    for (let i = 0; i < n; i += 4) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5
      buf[i] = x & 0xff; buf[i + 1] = (x >>> 8) & 0xff; buf[i + 2] = (x >>> 16) & 0xff; buf[i + 3] = (x >>> 24) & 0xff
    }
    left -= n
    yield buf
  }
}

export async function sha256Of (source: AsyncIterable<Uint8Array>): Promise<{ hash: string, size: number }> {
  const h = createHash('sha256')
  let size = 0
  for await (const piece of source) { h.update(piece); size += piece.byteLength }
  return { hash: h.digest('hex'), size }
}

export async function collect (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const piece of source) parts.push(piece)
  return Buffer.concat(parts)
}
