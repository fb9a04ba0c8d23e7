// `npm run sim:traffic -- --nodes N [--session-median S | --session-mean S] [--lookup-interval S] [--json]`:
// maintenance bytes per node per second in simulated time (sim/maintenance.ts), idle or under churn, printed as
// markdown tables (or JSON). Exit codes: 0 ok, 1 failed, 2 usage.
import { pathToFileURL } from 'node:url'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { DEFAULT_R, DEFAULT_TIMERS, runTraffic, type Percentiles, type TrafficReport } from './maintenance.js'
import type { Traffic } from './network.js'
import type { SimIo } from './cli.js'

interface Flags {
  nodes: number
  r: number
  seed: number
  warmup: number
  measure: number
  sessionMean?: number
  sessionMedian?: number
  lookupInterval?: number
  stabilize: number
  fixFingers: number
  checkPredecessor: number
  digests: boolean
  certDeltas: boolean
  json?: boolean
  quiet?: boolean
}

export async function main (argv: readonly string[], io: SimIo): Promise<number> {
  const program = new Command('sim:traffic')
    .description('Maintenance traffic of the chord-peer ring core in simulated time, idle or under churn.')
    .addOption(new Option('-n, --nodes <N>', 'ring size').argParser(number(1, 1_000_000, true)).makeOptionMandatory())
    .addOption(new Option('--r <length>', 'successor list length').argParser(number(1, 64, true)).default(DEFAULT_R))
    .addOption(new Option('--seed <seed>', 'PRNG seed').argParser(number(0, 0xffff_ffff, true)).default(1))
    .addOption(new Option('--warmup <s>', 'simulated seconds before measuring').argParser(number(0, 1e7)).default(30))
    .addOption(new Option('--measure <s>', 'simulated seconds measured').argParser(number(1, 1e7)).default(60))
    .addOption(new Option('--session-mean <s>', 'churn: mean session time, exponential').argParser(number(1, 1e9)))
    .addOption(new Option('--session-median <s>', 'churn: median session time, exponential').argParser(number(1, 1e9))
      .conflicts('sessionMean'))
    .addOption(new Option('--lookup-interval <s>', 'mean seconds between lookups of one node, exponential').argParser(number(1, 1e9)))
    .addOption(new Option('--stabilize <ms>', 'stabilize interval').argParser(number(1, 1e7)).default(DEFAULT_TIMERS.stabilizeMs))
    .addOption(new Option('--fix-fingers <ms>', 'fix_fingers interval').argParser(number(1, 1e7)).default(DEFAULT_TIMERS.fixFingersMs))
    .addOption(new Option('--check-predecessor <ms>', 'check_predecessor interval').argParser(number(1, 1e7))
      .default(DEFAULT_TIMERS.checkPredecessorMs))
    .option('--no-digests', 'GET_STATE without digests (the protocol before the `known` field)')
    .option('--no-cert-deltas', 'a changed GET_STATE answer resends every certificate (the protocol before it did not)')
    .option('--json', 'print the full report as JSON')
    .option('-q, --quiet', 'no progress lines on stderr')
    .exitOverride()
    .configureOutput({ writeOut: text => { io.stdout.write(text) }, writeErr: text => { io.stderr.write(text) } })
    .showHelpAfterError('(run with --help for usage)')

  let flags: Flags
  try {
    flags = program.parse(argv, { from: 'user' }).opts<Flags>()
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2
    throw err
  }
  const meanSessionS = flags.sessionMean ?? (flags.sessionMedian === undefined ? undefined : flags.sessionMedian / Math.LN2)
  const started = performance.now()
  const report = await runTraffic({
    nodes: flags.nodes,
    r: flags.r,
    seed: flags.seed,
    warmupS: flags.warmup,
    measureS: flags.measure,
    meanSessionS,
    lookupIntervalS: flags.lookupInterval,
    stateDigests: flags.digests,
    certDeltas: flags.certDeltas,
    timers: { stabilizeMs: flags.stabilize, fixFingersMs: flags.fixFingers, checkPredecessorMs: flags.checkPredecessor },
    onProgress: flags.quiet === true ? undefined : message => {
      io.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${message}\n`)
    }
  })
  io.stdout.write(flags.json === true ? JSON.stringify(report, null, 2) + '\n' : summary(report))
  return 0
}

export function summary (rep: TrafficReport): string {
  const t = rep.timers
  const per = (x: Traffic): string => `${(x.calls / rep.aliveSeconds).toFixed(2)} | ${(x.payload / rep.aliveSeconds).toFixed(1)} | ` +
    `${(x.bytes / rep.aliveSeconds).toFixed(1)}`
  const lines = [
    `N = ${rep.nodes}, r = ${rep.r}, seed = ${rep.seed}, timers: stabilize ${t.stabilizeMs} ms, fix_fingers ${t.fixFingersMs} ms, ` +
      `check_predecessor ${t.checkPredecessorMs} ms; measured ${rep.measureS} s simulated (${rep.aliveSeconds.toFixed(0)} node-alive s)`,
    '',
    `**${rep.bytesPerNodeSecond.toFixed(0)} B/s per node on the wire** (${rep.payloadPerNodeSecond.toFixed(0)} B/s payload, ` +
      `${rep.messagesPerNodeSecond.toFixed(2)} messages/s)`,
    '',
    '| task | messages/s per node | payload B/s | on the wire B/s |',
    '|---|---|---|---|',
    ...Object.entries(rep.byTask).sort((a, b) => b[1].bytes - a[1].bytes).map(([name, x]) => `| ${name} | ${per(x)} |`),
    '',
    '| message | calls/s per node | payload B/s (request + reply) | on the wire B/s |',
    '|---|---|---|---|',
    ...Object.entries(rep.byKind).filter(([, x]) => x.calls > 0).sort((a, b) => b[1].bytes - a[1].bytes)
      .map(([name, x]) => `| ${name} | ${per(x)} |`)
  ]
  if (rep.churn !== undefined) {
    const c = rep.churn
    lines.push('', `churn: mean session ${c.meanSessionS.toFixed(0)} s (median ${(c.meanSessionS * Math.LN2).toFixed(0)} s): ` +
      `${c.departures} departures, ${c.joins} joins (${c.failedJoins} failed) in the measured window`)
  }
  if (rep.lookups !== undefined) {
    const l = rep.lookups
    lines.push('', `lookups: ${l.lookups}: ${l.correct} correct, ${l.incorrect} incorrect, ${l.failed} failed; ${l.timeouts} timeouts`,
      `hops: ${pct(l.hops, 2)}`, `latency ms: ${pct(l.latencyMs, 0)}`)
  }
  lines.push('', `wall: ${(rep.ms / 1000).toFixed(1)} s`)
  return lines.join('\n') + '\n'
}

function pct (p: Percentiles, digits: number): string {
  return `mean ${p.mean.toFixed(digits)}, p50 ${p.p50.toFixed(digits)}, p90 ${p.p90.toFixed(digits)}, p99 ${p.p99.toFixed(digits)}, ` +
    `max ${p.max.toFixed(digits)}`
}

function number (min: number, max: number, integer = false): (value: string) => number {
  return value => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got '${value}'`)
    }
    return n
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2), process).then(code => { process.exitCode = code }, err => {
    process.stderr.write(`sim:traffic failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}
