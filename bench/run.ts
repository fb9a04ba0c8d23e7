// Benchmark entry point: `npm run bench [-- --quick]`. Runs the ring benchmark (bench/ring.ts: lookup hops,
// lookup latency, join time on real libp2p peers on loopback), prints its markdown tables to stdout and, for a
// full run, writes them with the command, date and machine to bench/ring-results.md; how to read them is in
// BENCHMARKS.md.
import '../src/polyfill.js'
import { writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { machine } from './lib/report.js'
import { ringDetails, ringMarkdown, runRingBench } from './ring.js'

const RESULTS = fileURLToPath(new URL('./ring-results.md', import.meta.url))
const COMMAND = 'npm run bench'

/** 1-minute load average: other work on the machine competes for the second core. */
function load (): string {
  return loadavg()[0].toFixed(2)
}

function report (tables: string, quick: boolean, seconds: number, loads: string): string {
  const command = quick ? `${COMMAND} -- --quick` : COMMAND
  return [
    '# Ring benchmark results',
    '',
    `Command: \`${command}\` (runs \`node --import tsx --import ./src/polyfill.ts bench/run.ts\`)`,
    `Date: ${new Date().toISOString()}; whole run ${seconds.toFixed(0)} s`,
    `Machine: ${machine()}; ${loads}`,
    'Targets: mean hops ≤ ½·log2 N + 1; lookup p50 < 10 ms on 32 loopback peers.',
    'What each row measures and how to read it: BENCHMARKS.md, "Real peers: `npm run bench`".',
    '',
    tables,
    ''
  ].join('\n')
}

async function main (): Promise<void> {
  const quick = process.argv.includes('--quick')
  const t0 = performance.now()
  const loadBefore = load()
  const result = await runRingBench({ quick })
  const seconds = (performance.now() - t0) / 1000
  const tables = [ringMarkdown(result), '', ringDetails(result)].join('\n')
  console.log(tables)
  if (!quick) {
    const loads = `load average (1 min) ${loadBefore} at start, ${load()} at end`
    await writeFile(RESULTS, report(tables, quick, seconds, loads))
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
