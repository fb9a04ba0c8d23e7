// The simulator's command line: `npm run sim -- --nodes N [--fail 0.5] [--r R] [--seed S] [--m M] [--json]`, or
// `npm run sim -- --sweep 100,1000,10000 [--plot hops.svg]` for one run per size, a markdown table and a plot.
// Parses and validates flags (commander; a bad flag exits 2), runs sim/simulate.ts or sim/sweep.ts, prints a
// summary (with the run's wall and CPU time and peak memory) or JSON.
import { accessSync, constants as fsConstants, statSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { defaultR, runSimulation, type HopStats, type SimReport } from './simulate.js'
import { hopsSvg } from './plot.js'
import { parseSizes, resourceMark, resourcesSince, runSweep, sweepTable, type Resources, type SweepRow } from './sweep.js'

export interface SimIo {
  stdout: { write: (text: string) => unknown }
  stderr: { write: (text: string) => unknown }
  /** Where --plot goes (default: the file system). */
  writeFile?: (path: string, text: string) => Promise<void>
}

interface Flags {
  nodes?: number
  sweep?: number[]
  plot?: string
  fail?: number
  r?: number
  seed: number
  m: number
  keys: number
  maxRounds: number
  json?: boolean
  quiet?: boolean
}

/** Parse argv (without node and script), run, print; resolves to the exit code (0 ok, 1 failed, 2 usage). */
export async function main (argv: readonly string[], io: SimIo): Promise<number> {
  const program = new Command('sim')
    .description('Run the chord-peer ring core (src/ring) on a simulated in-memory network and measure it.')
    .addOption(new Option('-n, --nodes <N>', 'ring size').argParser(integer(1, 1_000_000)))
    .addOption(new Option('--sweep <sizes>', 'one run per ring size, e.g. 100,1000,10000: a table of hops against N').argParser(sizes))
    .addOption(new Option('--plot <file.svg>', 'with --sweep: write mean and p99 hops against N as an SVG plot').argParser(svgPath))
    .addOption(new Option('--fail <fraction>', 'after convergence, crash this fraction of nodes at once').argParser(fraction))
    .addOption(new Option('--r <length>', 'successor list length (default 2·log2 N rounded up, at least 4)').argParser(integer(1, 1024)))
    .addOption(new Option('--seed <seed>', 'PRNG seed').argParser(integer(0, 0xffff_ffff)).default(1))
    .addOption(new Option('--m <bits>', 'bits of the identifier space').argParser(integer(1, 256)).default(256))
    .addOption(new Option('--keys <count>', 'random keys looked up per measurement').argParser(integer(1, 10_000_000)).default(10_000))
    .addOption(new Option('--max-rounds <rounds>', 'stop converging after this many rounds').argParser(integer(1, 1_000_000)).default(500))
    .option('--json', 'print the full report as JSON')
    .option('-q, --quiet', 'no progress lines on stderr')
    .exitOverride()
    .configureOutput({ writeOut: text => { io.stdout.write(text) }, writeErr: text => { io.stderr.write(text) } })
    .showHelpAfterError('(run with --help for usage)')

  let flags: Flags
  try {
    flags = program.parse(argv, { from: 'user' }).opts<Flags>()
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2 // help and version exit 0
    throw err
  }
  const usage = (message: string): number => {
    io.stderr.write(`error: ${message}\n(run with --help for usage)\n`)
    return 2
  }
  if (flags.nodes === undefined && flags.sweep === undefined) {
    return usage("required option '-n, --nodes <N>' (or '--sweep <sizes>') not specified")
  }
  if (flags.nodes !== undefined && flags.sweep !== undefined) return usage('--nodes and --sweep exclude each other')
  if (flags.sweep !== undefined && flags.fail !== undefined) return usage('--fail applies to one run (--nodes), not to --sweep')
  if (flags.plot !== undefined && flags.sweep === undefined) return usage('--plot needs --sweep')
  const largest = flags.nodes ?? Math.max(...(flags.sweep ?? []))
  if (BigInt(largest) > 1n << BigInt(flags.m)) return usage(`${largest} nodes do not fit in a ${flags.m}-bit identifier space`)

  const started = performance.now()
  const onProgress = flags.quiet === true
    ? undefined
    : (message: string) => { io.stderr.write(`[${seconds(performance.now() - started)}] ${message}\n`) }
  if (flags.sweep !== undefined) return await sweep(flags, flags.sweep, io, onProgress)

  const mark = resourceMark()
  const nodes = flags.nodes ?? 0
  const report = await runSimulation({
    nodes,
    m: flags.m,
    r: flags.r ?? defaultR(nodes),
    seed: flags.seed,
    keys: flags.keys,
    fail: flags.fail,
    maxRounds: flags.maxRounds,
    onProgress
  })
  const resources = resourcesSince(mark)
  io.stdout.write(flags.json === true ? JSON.stringify({ ...report, resources }, null, 2) + '\n' : summary(report, resources))
  const ok = report.build.converged && report.ringOk && report.hops.failed === 0 && report.hops.wrong === 0 &&
    (report.failure === undefined || report.failure.restabilize.converged)
  return ok ? 0 : 1
}

async function sweep (flags: Flags, sizes: readonly number[], io: SimIo, onProgress?: (message: string) => void): Promise<number> {
  const rows = await runSweep({
    sizes,
    m: flags.m,
    r: flags.r,
    seed: flags.seed,
    keys: flags.keys,
    maxRounds: flags.maxRounds,
    onProgress,
    onRow: row => onProgress?.(`N = ${row.nodes}: mean ${row.mean.toFixed(2)} p99 ${row.p99} hops; ` +
      `${row.resources.cpuSeconds.toFixed(1)} s CPU, peak RSS ${Math.round(row.resources.peakRssMiB)} MiB`)
  })
  if (flags.plot !== undefined) {
    const fixedR = flags.r
    const svg = hopsSvg(rows, {
      title: `Chord lookup path length: simulator, converged ring, ${flags.keys.toLocaleString('en-US')} keys per N, seed ${flags.seed}`,
      rOf: fixedR === undefined ? defaultR : () => fixedR
    })
    await (io.writeFile ?? (async (path, text) => { await writeFile(path, text) }))(flags.plot, svg)
  }
  if (flags.json === true) {
    io.stdout.write(JSON.stringify({ m: flags.m, seed: flags.seed, keys: flags.keys, rows }, null, 2) + '\n')
  } else {
    io.stdout.write(`chord-peer ring simulation sweep: m = ${flags.m}, seed = ${flags.seed}, ${flags.keys} keys per size` +
      `${flags.plot === undefined ? '' : `, plot: ${flags.plot}`}\n\n${sweepTable(rows)}`)
  }
  return rows.every(sweepOk) ? 0 : 1
}

function sweepOk (row: SweepRow): boolean {
  return row.converged && row.ringOk && row.failed === 0 && row.wrong === 0
}

function summary (rep: SimReport, res: Resources): string {
  const lines = [
    `chord-peer ring simulation: N = ${rep.nodes}, m = ${rep.m}, r = ${rep.r}, seed = ${rep.seed}`,
    `build: ${rep.build.joins} joins in ${rep.build.batches} batches, ${rep.build.rounds} rounds ` +
      `(${rep.build.finalRounds} after the last join), converged: ${rep.build.converged}, ${seconds(rep.build.ms)}`,
    `ring check (checkRing walk): ${rep.ringOk ? 'ok' : 'FAILED'}`,
    `lookups: ${hopLine(rep.hops)}; ½·log2 N = ${rep.hops.halfLog2N.toFixed(2)}`,
    `maintenance (steady state): ${rep.maintenance.messagesPerNodePerRound.toFixed(1)} messages, ` +
      `≈ ${Math.round(rep.maintenance.bytesPerNodePerRound)} bytes of payload per node per round (real encoders)`
  ]
  const f = rep.failure
  if (f !== undefined) {
    lines.push(
      `failure: crashed ${f.killed} of ${rep.nodes} nodes at once (p = ${f.fraction}), ${f.live} left`,
      `  lookups before repair: ${hopLine(f.immediate)}`,
      `  re-stabilised: ${f.restabilize.converged ? 'yes' : 'NO'} after ${f.restabilize.rounds} rounds (${seconds(f.restabilize.ms)}), ` +
        `ring check: ${f.ringOk ? 'ok' : 'FAILED'}`,
      `  lookups after repair: ${hopLine(f.after)}`
    )
    if (!f.restabilize.converged) lines.push(`  still wrong: ${f.restabilize.problems.join(', ')}`)
  }
  lines.push(`total: ${seconds(rep.ms)}; process: wall ${res.wallSeconds.toFixed(1)} s, CPU ${res.cpuSeconds.toFixed(1)} s (user+sys), ` +
    `peak RSS ${Math.round(res.peakRssMiB)} MiB`)
  return lines.join('\n') + '\n'
}

function hopLine (h: HopStats): string {
  return `${h.lookups} keys, ${h.failed} failed, ${h.wrong} wrong, hops mean ${h.mean.toFixed(2)} p50 ${h.p50} ` +
    `p99 ${h.p99} max ${h.max}, ${h.timeouts} timeouts, ${h.deadHead} answers led by a dead node`
}

function seconds (ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

function integer (min: number, max: number): (value: string) => number {
  return value => {
    const n = Number(value)
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer in [${min}, ${max}], got '${value}'`)
    }
    return n
  }
}

function sizes (value: string): number[] {
  try {
    return parseSizes(value)
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message)
  }
}

/** An .svg file in an existing, writable directory (checked now, not after an hour of sweeping). */
function svgPath (value: string): string {
  if (!/\.svg$/i.test(value)) throw new InvalidArgumentError(`expected a file name ending in .svg, got '${value}'`)
  const dir = dirname(resolve(value))
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory')
    accessSync(dir, fsConstants.W_OK)
  } catch {
    throw new InvalidArgumentError(`cannot write to directory '${dirname(value)}'`)
  }
  return value
}

function fraction (value: string): number {
  const p = Number(value)
  if (value.trim() === '' || !Number.isFinite(p) || p < 0 || p >= 1) throw new InvalidArgumentError(
    `expected a fraction in [0, 1), got '${value}'`)
  return p
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2), process).then(code => { process.exitCode = code }, err => {
    process.stderr.write(`sim failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}
