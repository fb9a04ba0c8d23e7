// Benchmark entry point: `npm run bench [-- --quick]`. Runs the ring benchmark (bench/ring.ts: lookup hops,
// lookup latency, join time on real libp2p peers on loopback), prints a markdown table to stdout and, for a full
// run, writes it with the command, date and machine notes to bench/ring-results.md.
import '../src/polyfill.js'
import { writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { ringMarkdown, ringNotes, runRingBench } from './ring.js'

const RESULTS = fileURLToPath(new URL('./ring-results.md', import.meta.url))
const COMMAND = 'npm run bench'

function machine (load: string): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu'
  return `nproc ${availableParallelism()} (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform} ${process.arch}; ${load}`
}

/** 1-minute load average: other work on the machine competes for the second core. */
function load (): string {
  return loadavg()[0].toFixed(2)
}

function report (table: string, notes: string, quick: boolean, seconds: number, loads: string): string {
  const command = quick ? `${COMMAND} -- --quick` : COMMAND
  return [
    '# Ring benchmark results',
    '',
    `Command: \`${command}\` (runs \`node --import tsx --import ./src/polyfill.ts bench/run.ts\`)`,
    `Date: ${new Date().toISOString()}; whole run ${seconds.toFixed(0)} s`,
    `Machine: ${machine(loads)}`,
    'Targets: mean hops ≤ ½·log2 N + 1; lookup p50 < 10 ms on 32 loopback peers.',
    'All peers are real libp2p nodes (TCP + noise + yamux on 127.0.0.1) in one Node process, so they share one',
    'event loop: CPU contention between peers is part of every figure.',
    '',
    table,
    '',
    notes,
    ''
  ].join('\n')
}

async function main (): Promise<void> {
  const quick = process.argv.includes('--quick')
  const t0 = performance.now()
  const loadBefore = load()
  const result = await runRingBench({ quick })
  const seconds = (performance.now() - t0) / 1000
  const table = ringMarkdown(result)
  console.log(table)
  if (!quick) {
    const loads = `load average (1 min) ${loadBefore} at start, ${load()} at end`
    await writeFile(RESULTS, report(table, ringNotes(result), quick, seconds, loads))
    console.log(`\nwritten to ${RESULTS} (${seconds.toFixed(0)} s)`)
  } else {
    console.log(`\nquick run: ${seconds.toFixed(1)} s (results not written)`)
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  }
)
