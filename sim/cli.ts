// The simulator's command line: `npm run sim -- --nodes N [--fail 0.5] [--r R] [--seed S] [--m M] [--json]`.
// Parses and validates flags (commander; a bad flag exits 2), runs sim/simulate.ts, prints a summary or JSON.
import { pathToFileURL } from 'node:url'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { defaultR, runSimulation, type HopStats, type SimReport } from './simulate.js'

export interface SimIo {
  stdout: { write: (text: string) => unknown }
  stderr: { write: (text: string) => unknown }
}

interface Flags {
  nodes: number
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
    .addOption(new Option('-n, --nodes <N>', 'ring size').argParser(integer(1, 1_000_000)).makeOptionMandatory())
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
  if (BigInt(flags.nodes) > 1n << BigInt(flags.m)) {
    io.stderr.write(`error: ${flags.nodes} nodes do not fit in a ${flags.m}-bit identifier space\n`)
    return 2
  }

  const started = performance.now()
  const report = await runSimulation({
    nodes: flags.nodes,
    m: flags.m,
    r: flags.r ?? defaultR(flags.nodes),
    seed: flags.seed,
    keys: flags.keys,
    fail: flags.fail,
    maxRounds: flags.maxRounds,
    onProgress: flags.quiet === true ? undefined : message => { io.stderr.write(`[${seconds(performance.now() - started)}] ${message}\n`) }
  })
  io.stdout.write(flags.json === true ? JSON.stringify(report, null, 2) + '\n' : summary(report))
  const ok = report.build.converged && report.ringOk && report.hops.failed === 0 && report.hops.wrong === 0 &&
    (report.failure === undefined || report.failure.restabilize.converged)
  return ok ? 0 : 1
}

function summary (rep: SimReport): string {
  const lines = [
    `chord-peer ring simulation: N = ${rep.nodes}, m = ${rep.m}, r = ${rep.r}, seed = ${rep.seed}`,
    `build: ${rep.build.joins} joins in ${rep.build.batches} batches, ${rep.build.rounds} rounds ` +
      `(${rep.build.finalRounds} after the last join), converged: ${rep.build.converged}, ${seconds(rep.build.ms)}`,
    `ring check (checkRing walk): ${rep.ringOk ? 'ok' : 'FAILED'}`,
    `lookups: ${hopLine(rep.hops)}; ½·log2 N = ${rep.hops.halfLog2N.toFixed(2)}`,
    `maintenance (steady state): ${rep.maintenance.messagesPerNodePerRound.toFixed(1)} messages, ` +
      `≈ ${Math.round(rep.maintenance.bytesPerNodePerRound)} bytes per node per round (estimate)`
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
  lines.push(`total: ${seconds(rep.ms)}`)
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
