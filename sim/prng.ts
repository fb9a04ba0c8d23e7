// A small seeded PRNG for the simulator (sfc32 seeded through splitmix32), so that a run is a pure function of
// its seed: the same seed gives the same ids, the same join order, the same failures and the same figures.
// Not cryptographic, and does not need to be.

export class Prng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor (seed: number) {
    let s = seed >>> 0
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = splitmix()
    this.b = splitmix()
    this.c = splitmix()
    this.d = splitmix()
    for (let i = 0; i < 12; i++) this.uint32() // let the state mix before the first output
  }

  /** A uniform 32-bit unsigned integer. */
  uint32 (): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t
  }

  /** A uniform float in [0, 1). */
  float (): number {
    return this.uint32() / 0x1_0000_0000
  }

  /** A uniform integer in [0, n). */
  int (n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`int(n) needs a positive integer, got ${n}`)
    return Math.floor(this.float() * n)
  }

  /** A uniform integer in [0, 2^bits). */
  bigint (bits: number): bigint {
    let x = 0n
    for (let have = 0; have < bits; have += 32) x = (x << 32n) | BigInt(this.uint32())
    return x & ((1n << BigInt(bits)) - 1n)
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T> (items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const tmp = items[i]
      items[i] = items[j]
      items[j] = tmp
    }
    return items
  }
}
