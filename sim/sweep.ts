// A sweep over ring sizes: one full simulation (build, converge, lookups; sim/simulate.ts) per N, in ascending
// order in this one process, with the lookup path length set against the two formulas and the cost of each run
// (wall and CPU time, peak resident memory). Its rows feed the markdown table and the SVG plot (sim/plot.ts).
import { runSimulation, defaultR, type SimReport } from './simulate.js'
import { halfLog2, withSuccessorList, type HopsPoint } from './plot.js'

/** Largest ring a sweep accepts (as `--nodes`). */
export const MAX_SWEEP_NODES = 1_000_000

export interface SweepOptions {
  /** Ring sizes, ascending and distinct (parseSizes gives them so). */
  sizes: readonly number[]
  m?: number
  /** Successor list length for every size (default: defaultR of each). */
  r?: number
  seed?: number
  keys?: number
  maxRounds?: number
  /** Progress lines of each run. */
  onProgress?: (message: string) => void
  /** Called with each row as soon as its run ends. */
  onRow?: (row: SweepRow) => void
}

/** What one process has spent since a mark: wall and CPU (user + system) seconds, and its peak RSS so far. */
export interface Resources {
  wallSeconds: number
  cpuSeconds: number
  /** process.resourceUsage().maxRSS: the peak of the whole process so far, in MiB. */
  peakRssMiB: number
}

export interface SweepRow extends HopsPoint {
  p50: number
  max: number
  lookups: number
  failed: number
  wrong: number
  /** ½·log2 N and ½·log2 N − ½·log2 r + 1. */
  halfLog2N: number
  withSuccessorList: number
  converged: boolean
  ringOk: boolean
  /** Rounds after the last join, and in the whole build. */
  finalRounds: number
  rounds: number
  resources: Resources
}

/** A mark to measure Resources from. */
export function resourceMark (): { wall: number, cpu: NodeJS.CpuUsage } {
  return { wall: performance.now(), cpu: process.cpuUsage() }
}

export function resourcesSince (mark: { wall: number, cpu: NodeJS.CpuUsage }): Resources {
  const cpu = process.cpuUsage(mark.cpu)
  return {
    wallSeconds: (performance.now() - mark.wall) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMiB: process.resourceUsage().maxRSS / 1024
  }
}

/**
 * Parse a comma-separated list of ring sizes ("100,1000,1e4" is not accepted: plain integers, optionally with
 * `_` separators). Throws RangeError on anything else, on a size outside [min, max], and on a repeated size.
 * Returns them ascending, so each run's peak RSS is its own (maxRSS only grows).
 */
export function parseSizes (text: string, min = 2, max = MAX_SWEEP_NODES): number[] {
  const parts = text.split(',').map(p => p.trim())
  if (parts.length === 0 || parts.some(p => p === '')) throw new RangeError(`expected comma-separated ring sizes, got '${text}'`)
  const sizes = parts.map(p => {
    const n = Number(p.replace(/_/g, ''))
    if (!/^\d[\d_]*$/.test(p) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new RangeError(`expected ring sizes that are integers in [${min}, ${max}], got '${p}'`)
    }
    return n
  })
  const sorted = [...sizes].sort((a, b) => a - b)
  const repeated = sorted.find((n, i) => i > 0 && sorted[i - 1] === n)
  if (repeated !== undefined) throw new RangeError(`ring size ${repeated} is listed twice`)
  return sorted
}

/** One row from one run's report and what the run cost. */
export function sweepRow (report: SimReport, resources: Resources): SweepRow {
  const { nodes, r, hops, build } = report
  return {
    nodes,
    r,
    mean: hops.mean,
    p50: hops.p50,
    p99: hops.p99,
    max: hops.max,
    lookups: hops.lookups,
    failed: hops.failed,
    wrong: hops.wrong,
    halfLog2N: halfLog2(nodes),
    withSuccessorList: withSuccessorList(nodes, r),
    converged: build.converged,
    ringOk: report.ringOk,
    finalRounds: build.finalRounds,
    rounds: build.rounds,
    resources
  }
}

/** Run one simulation per size, smallest first. */
export async function runSweep (options: SweepOptions): Promise<SweepRow[]> {
  const rows: SweepRow[] = []
  for (const nodes of options.sizes) {
    const mark = resourceMark()
    const report = await runSimulation({
      nodes,
      m: options.m,
      r: options.r ?? defaultR(nodes),
      seed: options.seed,
      keys: options.keys,
      maxRounds: options.maxRounds,
      onProgress: options.onProgress === undefined ? undefined : message => options.onProgress?.(`N = ${nodes}: ${message}`)
    })
    const row = sweepRow(report, resourcesSince(mark))
    rows.push(row)
    options.onRow?.(row)
  }
  return rows
}

/** The rows as a markdown table (the layout of BENCHMARKS.md's simulator table). */
export function sweepTable (rows: readonly SweepRow[]): string {
  const lines = [
    '| N | r | mean hops | p50 | p99 | max | ½·log2 N | ½·log2 N − ½·log2 r + 1 | failed / wrong | ' +
      'rounds to converge (after last join / whole build) | wall | CPU (user+sys) | peak RSS |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|'
  ]
  for (const row of rows) {
    const res = row.resources
    lines.push(`| ${row.nodes.toLocaleString('en-US')} | ${row.r} | ${row.mean.toFixed(2)} | ${row.p50} | ${row.p99} | ${row.max} | ` +
      `${row.halfLog2N.toFixed(2)} | ${row.withSuccessorList.toFixed(2)} | ${row.failed} / ${row.wrong} | ` +
      `${row.finalRounds} / ${row.rounds}${row.converged ? '' : ' (not converged)'} | ${duration(res.wallSeconds)} | ` +
      `${duration(res.cpuSeconds)} | ${Math.round(res.peakRssMiB).toLocaleString('en-US')} MiB |`)
  }
  return lines.join('\n') + '\n'
}

function duration (seconds: number): string {
  if (seconds < 100) return `${seconds.toFixed(1)} s`
  const whole = Math.round(seconds)
  return `${Math.floor(whole / 60)} min ${whole % 60} s`
}
