// Transfer benchmark: `node --import tsx --import ./src/polyfill.ts bench/transfer.ts [--size MiB[,MiB…]] [--quick]`.
// This file is the scenario: which transfers run, in what order, and the report; the harness (child processes,
// RSS/CPU measurement, the baselines, the table) is bench/lib/. Every node is its own process running the
// current src/ through tsx. In one run it measures
//   1. the baseline: one raw libp2p stream (tcp + noise + yamux, the stack the nodes use) between two processes,
//      1 MiB send()s with onDrain() backpressure, the receiver SHA-256-hashing what it reads (three runs: at the
//      start, between the rings and at the end; the median is the baseline);
//   2. put and get over the HTTP API of a node that holds no copy, on a 2-process ring with k = 1 (entry + owner)
//      and a 4-process ring with k = 3 (entry + the 3 holders): the bytes cross the network on every hop. The
//      PUT body is generated on the fly and the GET body hashed on the fly; the hash is checked both ways; each put
//      runs three times and each get five, and the median run is reported;
//   3. the same get read inside the entry node (`{"read": name}` on its stdin: FilesService.read, every chunk
//      verified there against the record, whose whole-file hash is checked), without the HTTP hop to a third
//      process — the like-for-like of the raw stream (one SHA-256 pass on the receiving side in both);
//   4. the same bytes through Helia 7 (bitswap; unixfs, 1 MiB raw leaves) between two processes, when the separate
//      package bench/helia is installed (`npm ci --prefix bench/helia`); otherwise that row is skipped;
//   5. last, the k = 1 put and gets again on a ring whose two processes share a swarm key (a private network:
//      every byte also goes through the pre-shared-key cipher, src/net/pnet.ts), and their MB/s against step 2's;
//   6. on the rings of step 2, the same put and get through `chord-peer put <file>` and `chord-peer get <name> -o
//      <file>`, each a process of its own reading or writing a file (the compiled CLI: `npm run build` first;
//      without dist/ these rows are skipped), with the client's peak RSS and CPU;
//   7. the floor of a put: the HTTP body alone, one SHA-256 pass and a write into a new file (and the same write
//      into memory the page cache has just given back), each measured by itself, which with the raw stream give
//      the least CPU a put costs and the most MB/s it could reach on this machine's cores (lib/floor.ts; for
//      sizes of 256 MiB and more);
//   8. the peak RSS (VmHWM, reset before each transfer) and CPU seconds of every process, this one included.
// --size takes MiB (default 1024; a comma list runs each size, and the report adds a table of time against size);
// --quick makes the default 64 MiB and writes no file.
// Results (MB = 10^6 bytes) go to stdout and, unless --quick, to bench/transfer-results.md; how to read them is in
// BENCHMARKS.md. A transfer that fails is reported as FAILED with the error and the nodes' log lines; when a put
// fails, the file is put through its primary instead so that get can still be measured.
import '../src/polyfill.js'
import { existsSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { heliaRun, rawRun } from './lib/baselines.js'
import { DAEMON_NODE_FLAGS, ROOT, makeTempDir, message, removeTempDir, runMain, type Child } from './lib/children.js'
import { checkCli, runCli, writeContent } from './lib/cli-run.js'
import { MiB, expectedHash } from './lib/content.js'
import { getFile, putFile } from './lib/http.js'
import { measure, transferTimeout, tsxOverhead, type Proc } from './lib/measure.js'
import { FLOOR_MIN_BYTES, floorLines, floorRuns } from './lib/floor.js'
import { failure, farName, startRing, stopRing, type RingNode } from './lib/peers.js'
import { MB, codeVersion, cpuLines, machine, mbps, medianRow, rssSummary, table, type Row, type Targets } from './lib/report.js'
import { fmt, median } from './lib/stats.js'
import { newSwarmKey } from '../src/cli/swarm-key.js'
import type { ReadDone } from './lib/child.js'
import type { PutJson } from '../src/api/types.js'

const RESULTS = join(ROOT, 'bench', 'transfer-results.md')
const COMMAND = 'node --import tsx --import ./src/polyfill.ts bench/transfer.ts'
/** Targets from the issue. */
const TARGETS: Targets = { getRatio: 0.9, helia: 3, rss: 200 * MB }
/** Put targets from the issue: put k = 1 ÷ the raw stream, put k = 3 ÷ put k = 1. */
const PUT_TARGETS = { k1Ratio: 0.7, k3Ratio: 0.5 }
const RAW_RUNS = 3
const GET_RUNS = 5
const PUT_RUNS = 3

/** What the rows of the ring with a swarm key start with (they are not held to the get target). */
const PNET_PREFIX = 'swarm key: '

/**
 * PUT_RUNS puts, then GET_RUNS gets over HTTP and inside the entry, on a ring of k + 1 processes whose entry holds no copy;
 * with `swarmKey`, a private network (the rows then start with PNET_PREFIX).
 */
/** Where the CLI rows read the file they put and write the one they get (one temp dir per size). */
interface CliFiles { put: string, get: string }

async function ringRuns (
  size: number, hash: string, k: number, options: { swarmKey?: Uint8Array, cli?: CliFiles } = {}
): Promise<Row[]> {
  const n = k + 1
  const ring = await startRing(n, k, options)
  const prefix = options.swarmKey === undefined ? '' : PNET_PREFIX
  try {
    const entry = ring.nodes[0]
    const { name, holders } = await farName(`transfer-${size}-k${k}${prefix === '' ? '' : '-pnet'}`, entry, ring.nodes, k)
    const label = (c: Child): string => c === entry.child
      ? 'entry'
      : k === 1 ? 'holder' : holders[0].child === c ? 'primary' : `replica${holders.findIndex(h => h.child === c)}`
    const named = [entry, ...holders].map(nd => ({ ...nd.child, name: label(nd.child) }))
    const rows: Row[] = []

    // Puts run PUT_RUNS times, like the gets below (each a new version of the same name, which every holder
    // writes in full again), and the median run is reported.
    const puts: Row[] = []
    for (let i = 0; i < PUT_RUNS; i++) {
      const put = await measure(named, async () => {
        const res = await putFile(entry.ready, name, size)
        const stored = res.holders.map(h => h.id)
        if (res.file.hash !== hash || res.file.size !== size) {
          throw new Error(`put stored ${res.file.size} B ${res.file.hash.slice(0, 12)}, expected ${size} B ${hash.slice(0, 12)}`)
        }
        if (stored.join() !== holders.map(h => h.ready.id).join()) {
          const by = stored.map(s => s.slice(0, 8)).join(', ')
          throw new Error(`put acknowledged by ${stored.length} nodes (${by}), expected the ${k} holders`)
        }
        return res
      })
      const run: Row = { what: `${prefix}put, k = ${k} (${n} processes)`, size, ms: put.ms, procs: put.procs }
      if (put.value !== undefined) run.note = `acked by ${put.value.holders.length}/${k}; node-side ${fmt(put.value.ms / 1000, 1)} s`
      else run.failed = failure(put.error!, ring.nodes)
      puts.push(run)
    }
    const putRow = medianRow(puts)
    if (puts.every(r => r.failed !== undefined)) {
      // Seed the file through the primary itself (for k = 1 a local write) so that get can still be measured.
      try {
        await putFile(holders[0].ready, name, size)
        putRow.failed += ' — for the get below, the file was put through the primary instead'
      } catch (err) {
        putRow.failed += ` — putting it through the primary failed too: ${(err as Error).message.replace(/\s+/g, ' ').slice(0, 200)}`
        const notStored = 'not measured: the file could not be stored'
        rows.push(putRow, { what: `${prefix}get, k = ${k} (from a non-holder)`, size, ms: NaN, procs: [], failed: notStored })
        return rows
      }
    }
    rows.push(putRow)

    // Gets are short and this machine's speed drifts by tens of % within minutes: each get runs GET_RUNS times,
    // the HTTP and the node-side one alternating, and the median run is reported.
    const http: Row[] = []
    const inside: Row[] = []
    for (let i = 0; i < GET_RUNS; i++) {
      const get = await measure(named, async () => {
        const res = await getFile(entry.ready, name, size)
        if (res.bytes !== size || res.hash !== hash) {
          throw new Error(`get returned ${res.bytes} B ${res.hash.slice(0, 12)}, expected ${size} B ${hash.slice(0, 12)}`)
        }
        return res
      })
      http.push({
        what: `${prefix}get, k = ${k} (from a non-holder)`,
        size,
        ms: get.ms,
        procs: get.procs,
        ...(get.error === undefined ? { note: 'hash verified' } : { failed: failure(get.error, ring.nodes) })
      })
      // The same get read inside the entry node (FilesService.read, every chunk verified), without the HTTP hop
      // to another process: what the raw stream's two processes compare with.
      const read = await measure(named, async () => {
        entry.child.proc.stdin!.write(JSON.stringify({ read: name }) + '\n')
        const done = await message<ReadDone>(entry.child, 'readDone', transferTimeout(size))
        if (done.bytes !== size || done.hash !== hash) {
          throw new Error(`the node-side read returned ${done.error ?? `${done.bytes} B ${done.hash.slice(0, 12)}`}`)
        }
        return done
      })
      inside.push({
        what: `${prefix}get, k = ${k}, node-side (read inside the entry, no HTTP)`,
        size,
        ms: read.value?.ms ?? read.ms,
        procs: read.procs,
        ...(read.error === undefined
          ? { note: 'every chunk verified in the entry, the record\'s hash checked' }
          : { failed: failure(read.error, ring.nodes) })
      })
    }
    rows.push(medianRow(http), medianRow(inside))
    if (options.cli !== undefined) rows.push(...await cliRows(entry, named, name, size, hash, k, options.cli, ring.nodes))
    return rows
  } finally {
    await stopRing(ring)
  }
}

/**
 * The put and get of `ringRuns` again through the CLI, against the same entry: `chord-peer put <file>` (a new
 * version of the same name, which every holder writes in full again) and `chord-peer get <name> -o <file>`, which
 * checks the hash itself before it renames the file into place.
 */
async function cliRows (
  entry: RingNode, named: Proc[], name: string, size: number, hash: string, k: number, files: CliFiles, nodes: RingNode[]
): Promise<Row[]> {
  const api = ['--api', entry.ready.apiUrl, '--api-token', entry.ready.apiToken, '--json']
  const timeout = transferTimeout(size)
  const put = await measure(named, async () => {
    const run = await runCli(['put', files.put, '--name', name, ...api], timeout)
    checkCli(run, 'put')
    const res = JSON.parse(run.stdout) as PutJson
    if (res.file.hash !== hash || res.file.size !== size) {
      throw new Error(`chord-peer put stored ${res.file.size} B ${res.file.hash.slice(0, 12)}, expected ${size} B ${hash.slice(0, 12)}`)
    }
    return run
  })
  await rm(files.get, { force: true })
  const get = await measure(named, async () => {
    const run = await runCli(['get', name, '-o', files.get, ...api], timeout)
    checkCli(run, 'get')
    return run
  })
  await rm(files.get, { force: true })
  return [
    { put, what: `put, k = ${k}, \`chord-peer put <file>\` (a process of its own)`, note: 'the client reads the file from disk' },
    { put: get, what: `get, k = ${k}, \`chord-peer get <name> -o <file>\` (a process of its own)`, note: 'the client checks the hash' }
  ].map(({ put: m, what, note }) => {
    const procs = m.value === undefined ? m.procs : [{ name: 'cli', peak: m.value.peak, cpu: m.value.cpu }, ...m.procs]
    return m.error === undefined ? { what, size, ms: m.ms, procs, note } : { what, size, ms: m.ms, procs, failed: failure(m.error, nodes) }
  })
}

/** Time against size: per ring, the put, the HTTP get, the node-side get and the CLI rows, one column per size. */
function growthTable (rows: Row[], sizes: number[]): string {
  const kinds: Array<[string, (r: Row, k: number) => boolean]> = [
    ['put (HTTP)', (r, k) => r.what.startsWith(`put, k = ${k} (`)],
    ['get (HTTP)', (r, k) => r.what.startsWith(`get, k = ${k} (`)],
    ['get, node-side', (r, k) => r.what.startsWith(`get, k = ${k}, node-side`)],
    ['`chord-peer put`', (r, k) => r.what.startsWith(`put, k = ${k}, \`chord-peer`)],
    ['`chord-peer get`', (r, k) => r.what.startsWith(`get, k = ${k}, \`chord-peer`)],
    ['raw stream (median)', (r) => r.what.startsWith('raw')]
  ]
  const cell = (found: Row[]): string => {
    const ok = found.filter(r => r.failed === undefined)
    if (ok.length === 0) return found.length === 0 ? '' : 'FAILED'
    const ms = median(ok.map(r => r.ms))
    return `${ms < 1000 ? `${fmt(ms, 0)} ms` : `${fmt(ms / 1000)} s`} (${fmt(median(ok.map(mbps)), 0)} MB/s)`
  }
  const lines = [`| transfer | ${sizes.map(s => `${s / MiB} MiB`).join(' | ')} |`, `|---|${sizes.map(() => '---|').join('')}`]
  for (const k of [1, 3]) {
    for (const [what, match] of kinds) {
      if (what.startsWith('raw') && k === 3) continue
      const cells = sizes.map(size => cell(rows.filter(r => r.size === size && match(r, k))))
      if (cells.every(c => c === '')) continue
      lines.push(`| ${what.startsWith('raw') ? what : `${what}, k = ${k}`} | ${cells.join(' | ')} |`)
    }
  }
  return ['Time against size (time of the median run, and its MB/s):', '', ...lines].join('\n')
}

function parseSizes (argv: string[]): number[] {
  const i = argv.indexOf('--size')
  if (i < 0) return [(argv.includes('--quick') ? 64 : 1024) * MiB]
  const sizes = (argv[i + 1] ?? '').split(',').map(s => Number(s) * MiB)
  if (sizes.some(s => !Number.isInteger(s) || s <= 0)) {
    throw new Error(`--size takes MiB (a whole number, or a comma list), got ${argv[i + 1]}`)
  }
  return sizes
}

async function main (): Promise<void> {
  const argv = process.argv.slice(2)
  const quick = argv.includes('--quick')
  const sizes = parseSizes(argv)
  // --only raw|k1|k3|pnet|helia|floor, or a comma list of them: those parts, for debugging (the ratios and the
  // floor's ceilings need the raw part; the swarm key's cost, k1).
  const only = argv.includes('--only') ? (argv[argv.indexOf('--only') + 1] ?? '').split(',') : undefined
  const t0 = performance.now()
  const loadStart = loadavg()[0]
  const rows: Row[] = []
  const raw = new Map<number, number>()
  // The CLI rows run the compiled client (bin/chord-peer.js loads dist/).
  const withCli = existsSync(join(ROOT, 'dist', 'src', 'cli', 'program.js'))
  if (!withCli) console.error('  CLI rows: skipped (run `npm run build` first)')
  for (const size of sizes) {
    const hash = expectedHash(size)
    const cliDir = withCli ? await makeTempDir('chord-peer-transfer-cli-') : undefined
    const cli = cliDir === undefined ? undefined : { put: join(cliDir, 'put.bin'), get: join(cliDir, 'got.bin') }
    if (cli !== undefined) await writeContent(cli.put, size)
    const sizeRows: Row[] = []
    const say = (r: Row): void => {
      sizeRows.push(r)
      const result = r.failed !== undefined ? `FAILED (${r.failed})` : `${fmt(r.ms / 1000)} s, ${fmt(mbps(r), 0)} MB/s`
      console.error(`  ${r.what}, ${r.size / MiB} MiB: ${result}`)
    }
    const want = (part: string): boolean => only === undefined || only.includes(part)
    if (want('raw')) say(await rawRun(size, hash, 'run 1'))
    if (want('k1')) for (const r of await ringRuns(size, hash, 1, { cli })) say(r)
    if (want('raw')) say(await rawRun(size, hash, 'run 2'))
    if (want('k3')) for (const r of await ringRuns(size, hash, 3, { cli })) say(r)
    if (want('raw')) for (let i = 3; i <= RAW_RUNS; i++) say(await rawRun(size, hash, `run ${i}`))
    // Last, so that the rows above run as they did before private networks existed (same order, same state of
    // this process), and before/after comparisons of them stay like for like.
    if (want('pnet')) {
      const swarmKey = new TextEncoder().encode(await newSwarmKey())
      for (const r of await ringRuns(size, hash, 1, { swarmKey })) say(r)
    }
    if (want('helia')) {
      // Bitswap now and then stalls for good (the fetcher gives up after 30 s without a block): one more try.
      let helia = await heliaRun(size, hash)
      if (helia?.failed !== undefined) {
        const first = helia.failed
        helia = await heliaRun(size, hash)
        if (helia !== undefined) helia.note = `${helia.note ?? ''}; a first attempt failed: ${first}`
      }
      if (helia !== undefined) say(helia)
    }
    if (want('floor') && size >= FLOOR_MIN_BYTES) for (const r of await floorRuns(size, hash)) say(r)
    if (cliDir !== undefined) await removeTempDir(cliDir)
    raw.set(size, median(sizeRows.filter(r => r.what.startsWith('raw')).map(mbps)))
    rows.push(...sizeRows.filter(r => r.what.startsWith('raw')), ...sizeRows.filter(r => !r.what.startsWith('raw')))
  }
  const overhead = await tsxOverhead(DAEMON_NODE_FLAGS, ROOT)
  const seconds = (performance.now() - t0) / 1000
  const command = `${COMMAND} ${argv.join(' ')}`.trim()
  const text = [
    table(rows, raw, TARGETS),
    '',
    'MB = 10^6 bytes. × raw stream = MB/s ÷ the median raw-stream MB/s of the same size in this run. ' +
      rssSummary(rows, TARGETS, overhead),
    '',
    cpuLines(rows, raw),
    ...floorLines(rows, raw, PUT_TARGETS),
    ...pnetLines(rows),
    ...(sizes.length > 1 ? ['', growthTable(rows, sizes)] : [])
  ].join('\n')
  console.log(text)
  if (quick) {
    console.log(`\nquick run: ${fmt(seconds, 0)} s (results not written)`)
    return
  }
  const header = [
    '# Transfer benchmark results',
    '',
    `Command: \`${command}\``,
    `Date: ${new Date().toISOString()}; whole run ${fmt(seconds, 0)} s`,
    `Code: ${codeVersion()}; every process runs src/ through tsx`,
    `Machine: ${machine()}; load average (1 min) ${fmt(loadStart)} at start, ${fmt(loadavg()[0])} at end`,
    `Targets (issue): get ≥ ${TARGETS.getRatio}× the raw libp2p stream measured in the same run; ` +
      `peak RSS < ${fmt(TARGETS.rss / MB, 0)} MB per process whatever the file size.`,
    'What each row measures and how to read it: BENCHMARKS.md, "Files (issue 3)".',
    ''
  ]
  await writeFile(RESULTS, [...header, text, ''].join('\n'))
  console.log(`\nwritten to ${RESULTS} (${fmt(seconds, 0)} s)`)
}

/** The swarm key's cost: each k = 1 row with the key against the same row without it, as a ratio of MB/s. */
function pnetLines (rows: Row[]): string[] {
  const ok = (r: Row | undefined): r is Row => r !== undefined && r.failed === undefined
  const lines = rows.filter(r => r.what.startsWith(PNET_PREFIX)).flatMap(r => {
    const plain = rows.find(p => p.size === r.size && p.what === r.what.slice(PNET_PREFIX.length))
    if (!ok(r) || !ok(plain)) return []
    const what = r.what.slice(PNET_PREFIX.length)
    return [`- ${what}, ${r.size / MiB} MiB: ${fmt(mbps(r), 0)} MB/s with the key, ${fmt(mbps(plain), 0)} without ` +
      `(× ${fmt(mbps(r) / mbps(plain))})`]
  })
  return lines.length === 0 ? [] : ['', 'Private network (swarm key) against the same ring without it:', ...lines]
}

runMain(main, 20 * 60_000)
