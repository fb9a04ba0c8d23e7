// Small statistics and timing helpers shared by the benchmarks: summaries of samples (mean, nearest-rank
// percentiles), a seeded PRNG so a run can be replayed, and a sampler of this process's CPU use.

export interface Summary {
  count: number
  mean: number
  p50: number
  p99: number
  max: number
}

/** Nearest-rank percentile of an ascending array. */
export function percentile (sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

export function summarize (samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b)
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)
  return { count: sorted.length, mean, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN }
}

export function median (samples: readonly number[]): number {
  return percentile([...samples].sort((a, b) => a - b), 50)
}

/** mulberry32: a deterministic PRNG in [0, 1). */
export function prng (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Wall time of `fn` in ms, with its result. */
export async function timed<T> (fn: () => Promise<T>): Promise<{ ms: number, value: T }> {
  const t0 = performance.now()
  const value = await fn()
  return { ms: performance.now() - t0, value }
}

/** This process's CPU use (user + system) over `ms` of idle waiting, as a percentage of one core. */
export async function idleCpuPercent (ms: number): Promise<number> {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await new Promise(resolve => setTimeout(resolve, ms))
  const c = process.cpuUsage(c0)
  return ((c.user + c.system) / 1000) / (performance.now() - t0) * 100
}

export function fmt (x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x)
}
