// What the benchmarks write: the measured transfer rows and their markdown table (MB/s, ratios to the raw
// stream and to Helia with the targets' verdicts, peak RSS and CPU per process), the per-GiB CPU lines, and the
// machine and code version a run was measured on.
import { execFileSync } from 'node:child_process'
import { availableParallelism, cpus, platform, totalmem } from 'node:os'
import { MiB } from './content.js'
import type { ProcFigures } from './measure.js'
import { ROOT } from './children.js'
import { fmt } from './stats.js'

/** MB = 10^6 bytes: every MB/s and every RSS figure. */
export const MB = 1e6

/** One measured transfer. */
export interface Row {
  what: string
  size: number
  ms: number
  procs: ProcFigures[]
  note?: string
  /** Why the transfer failed (its time is then not a throughput). */
  failed?: string
}

/** The figures a transfer table judges. */
export interface Targets {
  /** A get's MB/s ÷ the raw stream's must reach this. */
  getRatio: number
  /** A get's MB/s ÷ Helia's must reach this. */
  helia: number
  /** Peak RSS of every chord-peer node process must stay below this (bytes). */
  rss: number
}

/** What the floor rows (lib/floor.ts) start with: pieces of work, not transfers. */
export const FLOOR_PREFIX = 'floor: '

/** Processes whose peak RSS is a reference, not a chord-peer node judged against the RSS target. */
const REFERENCE_PROCESSES = ['bench', 'sender', 'receiver', 'provider', 'fetcher', 'server', 'worker']

export const mbps = (r: Row): number => r.size / MB / (r.ms / 1000)

/** The run with the median MB/s (a failed run if any failed), noting every run's MB/s. */
export function medianRow (runs: Row[]): Row {
  const failed = runs.find(r => r.failed !== undefined)
  if (failed !== undefined) return failed
  const sorted = [...runs].sort((a, b) => mbps(a) - mbps(b))
  const mid = sorted[Math.floor(sorted.length / 2)]
  const each = runs.map(r => fmt(mbps(r), 0)).join(' / ')
  return { ...mid, note: [mid.note, `median of ${runs.length} runs: ${each} MB/s`].filter(n => n !== undefined && n !== '').join('; ') }
}

/** The markdown table of `rows`; `raw` maps a size to the median raw-stream MB/s measured for it. */
export function table (rows: Row[], raw: Map<number, number>, targets: Targets): string {
  const lines = [
    '| transfer | size | time s | MB/s | × raw stream | peak RSS MB per process | CPU s per process | notes |',
    '|---|---|---|---|---|---|---|---|'
  ]
  const verdict = (pass: boolean): string => pass ? 'met' : 'NOT met'
  for (const r of rows) {
    const base = raw.get(r.size) ?? NaN
    const peaks = r.procs.map(p => `${p.name} ${fmt(p.peak / MB, 0)}`).join(', ')
    const cpu = r.procs.map(p => `${p.name} ${fmt(p.cpu, 1)}`).join(', ')
    if (r.failed !== undefined) {
      const why = r.failed.replace(/\|/g, '/')
      lines.push(`| ${r.what} | ${r.size / MiB} MiB | FAILED after ${fmt(r.ms / 1000)} s | – | – | ${peaks} | ${cpu} | ${why} |`)
      continue
    }
    const ratio = r.what.startsWith('raw') || r.what.startsWith(FLOOR_PREFIX) ? '' : Number.isNaN(base) ? '–' : fmt(mbps(r) / base)
    const target = r.what.startsWith('get') && !Number.isNaN(base)
      ? ` (target ≥ ${targets.getRatio}: ${verdict(mbps(r) / base >= targets.getRatio)})`
      : ''
    const helia = rows.find(h => h.size === r.size && h.what.startsWith('Helia') && h.failed === undefined)
    const vsHelia = r.what.startsWith('get') && helia !== undefined
      ? `; ${fmt(mbps(r) / mbps(helia), 1)}× Helia (target ≥ ${targets.helia}: ${verdict(mbps(r) / mbps(helia) >= targets.helia)})`
      : ''
    const speed = `${fmt(r.ms / 1000)} | ${fmt(mbps(r), 0)} | ${ratio}${target}${vsHelia}`
    lines.push(`| ${r.what} | ${r.size / MiB} MiB | ${speed} | ${peaks} | ${cpu} | ${r.note ?? ''} |`)
  }
  return lines.join('\n')
}

/**
 * The highest peak RSS of each process role over all rows, and the verdict on the RSS target. The children run
 * under tsx, which costs each of them `tsxOverhead` bytes a compiled node does not carry: the verdict is on the
 * peak less that.
 */
export function rssSummary (rows: Row[], targets: Targets, tsxOverhead: number | undefined): string {
  const worst = new Map<string, number>()
  for (const r of rows) for (const p of r.procs) worst.set(p.name, Math.max(worst.get(p.name) ?? 0, p.peak))
  const over = [...worst].filter(([name, v]) => !REFERENCE_PROCESSES.includes(name) && v - (tsxOverhead ?? 0) >= targets.rss)
  const list = [...worst].map(([name, v]) => `${name} ${fmt(v / MB, 0)}`).join(', ')
  const failed = rows.some(r => r.failed !== undefined)
  const overhead = tsxOverhead === undefined
    ? 'Running under tsx costs each child memory a compiled node does not carry; run `npm run build` to have it measured. '
    : `Running under tsx costs each child ${fmt(tsxOverhead / MB, 0)} MB (an idle process that loaded the node's code ` +
      'through tsx less one that loaded it compiled, this run). '
  return `Highest peak RSS per role over all transfers (MB, as measured, under tsx): ${list}. ${overhead}` +
    `Target < ${fmt(targets.rss / MB, 0)} MB per chord-peer node process without it (entry, holder, primary, ` +
    'replicas; the raw stream\'s bare hosts, Helia\'s provider and fetcher and the floor\'s server and worker are references): ' +
    `${over.length === 0 ? 'met' : `NOT met (${over.map(o => o[0]).join(', ')})`}` +
    `${failed ? ' in the transfers that ran (failed ones were cut short, so their peaks say little)' : ''}.`
}

/**
 * The raw stream's runs, then per transfer the CPU seconds each process used per GiB moved, their sum, and the
 * core-seconds per GiB the wall time offered.
 */
export function cpuLines (rows: Row[], raw: Map<number, number>): string {
  const out: string[] = []
  for (const [size, base] of raw) {
    const runs = rows.filter(r => r.size === size && r.what.startsWith('raw')).map(r => fmt(mbps(r), 0))
    out.push(`- Raw stream, ${size / MiB} MiB: ${runs.join(' / ')} MB/s in the ${runs.length} runs; ` +
      `the baseline is their median, ${fmt(base, 0)} MB/s.`)
  }
  const perGiB = (r: Row, name: string): string => {
    const p = r.procs.find(q => q.name === name)
    return p === undefined ? '?' : fmt(p.cpu / (r.size / 2 ** 30), 1)
  }
  for (const r of rows) {
    if (r.failed !== undefined) continue
    const names = r.procs.map(p => p.name)
    const each = names.map(n => `${n} ${perGiB(r, n)}`).join(', ')
    out.push(`- ${r.what}, ${r.size / MiB} MiB: CPU s per GiB moved: ${each}; ` +
      `sum ${fmt(r.procs.reduce((a, p) => a + p.cpu, 0) / (r.size / 2 ** 30), 1)} s per GiB against ` +
      `${fmt(r.ms / 1000 * availableParallelism() / (r.size / 2 ** 30), 1)} core-s per GiB available.`)
  }
  return out.join('\n')
}

/** The commit measured, and whether src/ had uncommitted changes (read-only git queries). */
export function codeVersion (): string {
  try {
    const git = (args: string[]): string =>
      execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = git(['status', '--porcelain', '--', 'src', 'protocols']).split('\n').filter(l => l !== '').length
    const changes = dirty > 0 ? ` with uncommitted changes to ${dirty} files under src/ and protocols/` : ''
    return `commit ${git(['rev-parse', '--short', 'HEAD'])}${changes}`
  } catch {
    return 'not a git checkout'
  }
}

/** Cores, CPU model, memory and Node version of this machine. */
export function machine (): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu'
  const memory = `${Math.round(totalmem() / 2 ** 30)} GiB RAM`
  return `nproc ${availableParallelism()} (${cpu}), ${memory}, Node ${process.version}, ${platform()} ${process.arch}`
}
