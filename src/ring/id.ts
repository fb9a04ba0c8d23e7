// Identifier arithmetic on a ring of 2^m points (Chord §4.1). Everything here is bigint and pure.
// Intervals are taken clockwise from the first bound to the second and wrap around zero; when both bounds are
// equal the interval is the whole ring minus (or, right-inclusive, including) that point, as Chord needs for
// a one-node ring whose successor is itself.
import { createHash } from 'node:crypto'

export const DEFAULT_M = 256

/** The identifier space: ids are integers in [0, 2^m). */
export class IdSpace {
  readonly m: number
  readonly size: bigint
  private readonly mask: bigint

  constructor (m: number = DEFAULT_M) {
    if (!Number.isInteger(m) || m < 1 || m > 256) throw new RangeError(`m must be an integer in [1, 256], got ${m}`)
    this.m = m
    this.size = 1n << BigInt(m)
    this.mask = this.size - 1n
  }

  /** Reduce any integer to a ring point. */
  wrap (x: bigint): bigint {
    return ((x % this.size) + this.size) & this.mask
  }

  /** Clockwise distance from a to b. */
  distance (a: bigint, b: bigint): bigint {
    return (b - a) & this.mask
  }

  /** x ∈ (a, b), clockwise. a = b means every point but a. */
  between (a: bigint, x: bigint, b: bigint): boolean {
    if (a === b) return x !== a
    const dx = this.distance(a, x)
    return dx > 0n && dx < this.distance(a, b)
  }

  /** x ∈ (a, b], clockwise. a = b means the whole ring. */
  betweenRightIncl (a: bigint, x: bigint, b: bigint): boolean {
    if (a === b) return true
    const dx = this.distance(a, x)
    return dx > 0n && dx <= this.distance(a, b)
  }

  /** Start of finger i (0-based): n + 2^i mod 2^m. */
  fingerStart (n: bigint, i: number): bigint {
    if (i < 0 || i >= this.m) throw new RangeError(`finger index ${i} outside [0, ${this.m})`)
    return (n + (1n << BigInt(i))) & this.mask
  }

  /** The ring point of some bytes: SHA-256, big-endian, reduced to m bits. */
  hash (bytes: Uint8Array | string): bigint {
    const digest = createHash('sha256').update(bytes).digest('hex')
    return BigInt('0x' + digest) & this.mask
  }

  /** Hex form padded to the width of the space (for display and the wire). */
  toHex (id: bigint): string {
    return id.toString(16).padStart(Math.ceil(this.m / 4), '0')
  }

  /** Big-endian bytes padded to ceil(m/8) (the wire form of an id). */
  toBytes (id: bigint): Uint8Array<ArrayBuffer> {
    if (id < 0n || id >= this.size) throw new RangeError(`id ${id} is outside the ring [0, 2^${this.m})`)
    const hex = id.toString(16).padStart(Math.ceil(this.m / 8) * 2, '0')
    return Uint8Array.from(Buffer.from(hex, 'hex'))
  }

  fromBytes (bytes: Uint8Array): bigint {
    if (bytes.length === 0 || bytes.length > Math.ceil(this.m / 8)) throw new RangeError(
      `id must be 1..${Math.ceil(this.m / 8)} bytes, got ${bytes.length}`)
    return BigInt('0x' + Buffer.from(bytes).toString('hex')) & this.mask
  }
}

/** Short form of an id for logs and the dashboard. */
export function shortId (space: IdSpace, id: bigint): string {
  return space.toHex(id).slice(0, 8)
}
