// The transfer benchmark's file content, shared by the bench (bench/transfer.ts, lib/http.ts) and its child
// processes (lib/child.ts): deterministic pseudo-random bytes that cost the sender no CPU, and their hash.
import { createCipheriv, createHash } from 'node:crypto'

export const MiB = 1024 * 1024
/** Size of every write of the generator (and so of the raw stream's send() calls). */
export const WRITE_BYTES = MiB
/** The raw baseline's protocol. */
export const RAW_PROTOCOL = '/chord-peer-bench/raw/1.0.0'

/** Pseudo-random bytes the chunks are cut from (plus one chunk, so any offset below POOL_BYTES has a full chunk). */
const POOL_BYTES = 8 * MiB
const pools = new Map<number, Buffer>()

function pool (seed: number): Buffer {
  let bytes = pools.get(seed)
  if (bytes === undefined) {
    const key = createHash('sha256').update(`chord-peer-bench:${seed}`).digest()
    const cipher = createCipheriv('chacha20', key, Buffer.alloc(16))
    bytes = cipher.update(Buffer.alloc(POOL_BYTES + WRITE_BYTES))
    pools.set(seed, bytes)
  }
  return bytes
}

/**
 * `size` deterministic, incompressible bytes for `seed`, as WRITE_BYTES views (the last may be shorter) of a
 * 9 MiB pseudo-random pool (ChaCha20 keystream) at offsets that step by 16 B × a prime, so no two chunks of a
 * file up to ≈ 500 GiB are alike. Views cost no CPU and no memory beyond the pool, so the sender's figures
 * are the transfer's; never write into a view.
 */
export function * pseudoRandomChunks (size: number, seed = 1): Generator<Buffer> {
  const bytes = pool(seed)
  for (let i = 0, left = size; left > 0; i++, left -= WRITE_BYTES) {
    const at = ((i * 65_537) % (POOL_BYTES / 16)) * 16
    yield bytes.subarray(at, at + Math.min(left, WRITE_BYTES))
  }
}

/** SHA-256 (hex) of pseudoRandomChunks(size, seed). */
export function expectedHash (size: number, seed = 1): string {
  const sha = createHash('sha256')
  for (const chunk of pseudoRandomChunks(size, seed)) sha.update(chunk)
  return sha.digest('hex')
}
