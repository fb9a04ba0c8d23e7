// Identifier arithmetic on a ring of 2^m points (Chord §4.1). Everything here is bigint and pure.
// Intervals are taken clockwise from the first bound to the second and wrap around zero; when both bounds are
// equal the interval is the whole ring minus (or, right-inclusive, including) that point, as Chord needs for
// a one-node ring whose successor is itself.
//
// The interval tests and distance comparisons take ring points (integers in [0, 2^m), as every id and key is)
// and work by comparison alone: routing runs them for every node it considers, and a subtraction mod 2^m
// allocates two 256-bit bigints each time.
import { createHash } from 'node:crypto'

export const DEFAULT_M = 256

/** The identifier space: ids are integers in [0, 2^m). */
export class IdSpace {
  readonly m: number
  readonly size: bigint
  private readonly mask: bigint
  /** 2^i for every finger i, made once per space rather than once per node or per call. */
  private readonly powers: readonly bigint[]

  constructor (m: number = DEFAULT_M) {
    if (!Number.isInteger(m) || m < 1 || m > 256) throw new RangeError(`m must be an integer in [1, 256], got ${m}`)
    this.m = m
    this.size = 1n << BigInt(m)
    this.mask = this.size - 1n
    this.powers = Array.from({ length: m }, (_, i) => 1n << BigInt(i))
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
    if (a < b) return a < x && x < b
    if (a > b) return a < x || x < b // the interval wraps past zero
    return x !== a
  }

  /** x ∈ (a, b], clockwise. a = b means the whole ring. */
  betweenRightIncl (a: bigint, x: bigint, b: bigint): boolean {
    if (a < b) return a < x && x <= b
    if (a > b) return a < x || x <= b // the interval wraps past zero
    return true
  }

  /**
   * The sign of distance(a, key) − distance(b, key): negative when a is the closer of the two to `key` (going
   * clockwise), 0 when a = b. A point at or before the key reaches it without passing zero and is closer than
   * any point after it, which must go round; among points on the same side, the larger is the closer.
   */
  compareDistanceTo (key: bigint, a: bigint, b: bigint): number {
    const aWraps = a > key
    if (aWraps !== (b > key)) return aWraps ? 1 : -1
    return a === b ? 0 : a > b ? -1 : 1
  }

  /**
   * The sign of distance(from, a) − distance(from, b): negative when a comes first going clockwise from `from`,
   * 0 when a = b. A point at or after `from` comes before any point below it, which lies past zero; among points
   * on the same side, the smaller comes first.
   */
  compareDistanceFrom (from: bigint, a: bigint, b: bigint): number {
    const aWraps = a < from
    if (aWraps !== (b < from)) return aWraps ? 1 : -1
    return a === b ? 0 : a < b ? -1 : 1
  }

  /** 2^i: how far finger i (0-based) starts from its node. */
  fingerOffset (i: number): bigint {
    if (!Number.isInteger(i) || i < 0 || i >= this.m) throw new RangeError(`finger index ${i} outside [0, ${this.m})`)
    return this.powers[i]
  }

  /** Start of finger i (0-based): n + 2^i mod 2^m. */
  fingerStart (n: bigint, i: number): bigint {
    return (n + this.fingerOffset(i)) & this.mask
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
