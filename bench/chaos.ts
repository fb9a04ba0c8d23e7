// Chaos benchmark, between `chord-peer` processes on 127.0.0.1 (the compiled daemon: `npm run build` first).
// Mass failure: 16 processes (3 supernodes, 13 peers, k = 3) hold small files; 25 % or 50 % of the processes get
// SIGKILL at once, without and with the S3 tier (s3rver on 127.0.0.1). Measured: the time until `ring --check`
// passes from every survivor (its walk closed, every survivor in it, no problem), the time until every file that
// can come back is at 3 copies again (without S3: those with a live holder; with S3: all), and the files lost
// against the model (a file is lost exactly when all its holders died and there is no S3). Run:
//   npm run build && node --import tsx --import ./src/polyfill.ts bench/chaos.ts [--quick]
// Results go to stdout and, unless --quick, to bench/chaos-results.md; how to read them is in BENCHMARKS.md.
// Churn: one membership event every 10, 5 and 2 s (kills and joins of peers in turn) for `--minutes` (default 5)
// under put/get load: gets right the first time, after retries, failed; wrong bytes; acknowledged files lost;
// `ring --check` samples; leader changes. `--churn` runs only that part (and writes no results file).
// Not here yet: partitions between processes (issue 13).
import '../src/polyfill.js'
import { writeFile } from 'node:fs/promises'
import { Processes, type Daemon } from '../harness/processes.js'
import { pseudoRandom, collect } from '../harness/bytes.js'
import { waitFor } from '../src/testnet.js'
import { sleep } from '../src/lifecycle.js'
import { Prng } from '../sim/prng.js'
import { DAEMON_NODE_FLAGS } from './lib/children.js'
import { startS3rver, type S3Fixture } from '../test/utils/s3-fixture.js'
import { auth } from './lib/http.js'
import { machine } from './lib/report.js'
import type { LeaderJson, LocateJson, PutJson, RingJson, StatusJson } from '../src/api/types.js'

const NODES = 16
const SUPERNODES = 3
const FILE_BYTES = 16 * 1024
const K = 3

interface Row {
  killed: number
  of: number
  files: number
  ringMs: number
  copiesMs: number
  lostModel: number
  lost: number
  supernodesKilled: number
  s3: boolean
}

async function get<T> (via: Daemon, path: string): Promise<T | undefined> {
  try {
    const res = await fetch(`${via.apiUrl}${path}`, { headers: auth(via), signal: AbortSignal.timeout(5_000) })
    return res.ok ? await res.json() as T : undefined
  } catch {
    return undefined
  }
}

/** `ring --check` from `via` passes and its walk meets exactly `expected` members. */
async function ringOk (via: Daemon, expected: number): Promise<boolean> {
  const ring = await get<RingJson>(via, '/api/ring?check=1')
  return ring !== undefined && ring.closed && ring.check?.ok === true && ring.members.length === expected
}

async function trial (fraction: number, files: number, seed: number, s3?: S3Fixture): Promise<Row> {
  const procs = new Processes()
  const rng = new Prng(seed)
  // The daemons read the credentials from the environment they inherit.
  const tier = s3 === undefined ? [] : ['--s3-bucket', s3.bucket, '--s3-endpoint', s3.endpoint, '--s3-region', 'us-east-1']
  try {
    const boot = await procs.daemon(['--bootstrap', '--k', String(K), ...tier], { nodeFlags: DAEMON_NODE_FLAGS })
    const nodes = [boot]
    for (let i = 1; i < SUPERNODES; i++) nodes.push(await procs.supernode(boot, tier, {}))
    nodes.push(...await Promise.all(Array.from({ length: NODES - SUPERNODES }, async () =>
      procs.daemon(['--connect', boot.multiaddr, ...tier], { nodeFlags: DAEMON_NODE_FLAGS, timeoutMs: 60_000 }))))
    await waitFor(async () => (await Promise.all(nodes.map(async n => ringOk(n, NODES)))).every(Boolean),
      { timeoutMs: 120_000, intervalMs: 500, what: `a ring of ${NODES} that passes ring --check everywhere` })

    const names = Array.from({ length: files }, (_, i) => `chaos-${i}.bin`)
    for (const [i, name] of names.entries()) {
      const via = nodes[rng.int(nodes.length)]
      const body = await collect(pseudoRandom(FILE_BYTES, i + 1))
      const res = await fetch(`${via.apiUrl}/api/files/${name}`, { method: 'PUT', headers: auth(via), body })
      if (res.status !== 201) throw new Error(`put ${name}: ${res.status} ${await res.text()}`)
      await res.json() as PutJson
    }
    const holders = new Map<string, string[]>()
    await waitFor(async () => {
      for (const name of names) {
        const loc = await get<LocateJson>(boot, `/api/locate/${name}`)
        if (loc === undefined || loc.holders.filter(h => h.has).length !== K) return false
        holders.set(name, loc.holders.map(h => h.node.peerId))
      }
      return true
    }, { timeoutMs: 120_000, intervalMs: 500, what: 'every file at 3 copies' })
    if (s3 !== undefined) {
      const drained = async (n: Daemon): Promise<boolean> => (await get<StatusJson>(n, '/api/status'))?.s3?.queue === 0
      await waitFor(async () => (await Promise.all(nodes.map(drained))).every(Boolean),
        { timeoutMs: 120_000, intervalMs: 500, what: 'every upload to S3 done' })
    }

    const killed = Math.round(NODES * fraction)
    const victims = rng.shuffle([...nodes]).slice(0, killed)
    const dead = new Set(victims.map(v => v.peerId))
    const survivors = nodes.filter(n => !dead.has(n.peerId))
    const lostModel = s3 !== undefined ? 0 : names.filter(name => holders.get(name)!.every(h => dead.has(h))).length
    const t0 = performance.now()
    await Promise.all(victims.map(async v => procs.kill(v, 'SIGKILL')))
    await waitFor(async () => (await Promise.all(survivors.map(async n => ringOk(n, survivors.length)))).every(Boolean),
      { timeoutMs: 300_000, intervalMs: 250, what: 'ring --check passing from every survivor' })
    const ringMs = performance.now() - t0
    const alive = s3 !== undefined ? names : names.filter(name => !holders.get(name)!.every(h => dead.has(h)))
    const via = survivors[0]
    await waitFor(async () => {
      for (const name of alive) {
        const loc = await get<LocateJson>(via, `/api/locate/${name}`)
        if (loc === undefined || loc.holders.filter(h => h.has && !dead.has(h.node.peerId)).length !== K) return false
      }
      return true
    }, { timeoutMs: 300_000, intervalMs: 250, what: 'every surviving file back at 3 copies' })
    const copiesMs = performance.now() - t0
    let lost = 0
    for (const [i, name] of names.entries()) {
      const res = await fetch(`${via.apiUrl}/api/files/${name}`, { headers: auth(via) }).catch(() => undefined)
      const body = res?.status === 200 ? Buffer.from(await res.arrayBuffer()) : undefined
      if (body === undefined) { lost++; continue }
      if (!body.equals(await collect(pseudoRandom(FILE_BYTES, i + 1)))) throw new Error(`${name}: wrong bytes`)
    }
    const supernodesKilled = victims.filter(v => nodes.indexOf(v) < SUPERNODES).length
    return { killed, of: NODES, files, ringMs, copiesMs, lostModel, lost, supernodesKilled, s3: s3 !== undefined }
  } finally {
    await procs.stopAll()
  }
}

// ---- churn under load -----------------------------------------------------------------------------------------

interface ChurnRow {
  everyS: number
  minutes: number
  events: number
  gets: number
  firstTime: number
  afterRetries: number
  failed: number
  wrongBytes: number
  puts: number
  putsFailed: number
  lost: number
  ringChecks: number
  ringOk: number
  leaderChanges: number
}

/** Content of the i-th churn file: its name, so a read of the wrong bytes is told at once. */
const churnBody = (i: number): Buffer => Buffer.from(`churn file ${i} `.repeat(256))

/**
 * 3 supernodes and 13 peers; every `everyS` seconds one membership event, kills and joins in turn (a random live
 * peer gets SIGKILL; a new peer joins), for `minutes`. Meanwhile a client puts a new 4 KiB file every 250 ms and
 * reads an acknowledged one every 100 ms through the supernodes (which stay up): a read that fails is retried up
 * to 5 times, 500 ms apart. `ring --check` is sampled every 5 s from a supernode. At the end, churn stops, the
 * ring settles, and every acknowledged file is read once more (lost = not readable).
 */
async function churn (everyS: number, minutes: number, seed: number): Promise<ChurnRow> {
  const procs = new Processes()
  const rng = new Prng(seed)
  try {
    const boot = await procs.daemon(['--bootstrap', '--k', String(K)], { nodeFlags: DAEMON_NODE_FLAGS })
    const supernodes = [boot]
    for (let i = 1; i < SUPERNODES; i++) supernodes.push(await procs.supernode(boot, [], {}))
    const join = async (): Promise<Daemon> =>
      await procs.daemon(['--connect', boot.multiaddr], { nodeFlags: DAEMON_NODE_FLAGS, timeoutMs: 60_000 })
    let peers = await Promise.all(Array.from({ length: NODES - SUPERNODES }, join))
    await waitFor(async () => (await Promise.all([...supernodes, ...peers].map(async n => ringOk(n, NODES)))).every(Boolean),
      { timeoutMs: 120_000, intervalMs: 500, what: `a ring of ${NODES}` })
    const epoch0 = (await get<LeaderJson>(boot, '/api/leader'))?.epoch ?? 0
    const row: ChurnRow = {
      everyS, minutes, events: 0, gets: 0, firstTime: 0, afterRetries: 0, failed: 0, wrongBytes: 0, puts: 0, putsFailed: 0,
      lost: 0, ringChecks: 0, ringOk: 0, leaderChanges: 0
    }
    const acked: number[] = []
    const until = performance.now() + minutes * 60_000
    const entry = (): Daemon => supernodes[rng.int(supernodes.length)]
    const read = async (i: number): Promise<'right' | 'wrong' | 'failed'> => {
      const via = entry()
      try {
        const res = await fetch(`${via.apiUrl}/api/files/churn-${i}.txt`, { headers: auth(via), signal: AbortSignal.timeout(10_000) })
        if (res.status !== 200) return 'failed'
        return Buffer.from(await res.arrayBuffer()).equals(churnBody(i)) ? 'right' : 'wrong'
      } catch {
        return 'failed'
      }
    }
    const putter = (async () => {
      for (let i = 0; performance.now() < until; i++) {
        const via = entry()
        row.puts++
        try {
          const res = await fetch(`${via.apiUrl}/api/files/churn-${i}.txt`, {
            method: 'PUT', headers: auth(via), body: churnBody(i), signal: AbortSignal.timeout(20_000)
          })
          if (res.status === 201) acked.push(i)
          else row.putsFailed++
        } catch {
          row.putsFailed++
        }
        await sleep(250)
      }
    })()
    const getter = (async () => {
      while (performance.now() < until) {
        if (acked.length > 0) {
          const i = acked[rng.int(acked.length)]
          row.gets++
          let result = await read(i)
          if (result === 'right') row.firstTime++
          for (let retry = 0; result === 'failed' && retry < 5; retry++) {
            await sleep(500)
            result = await read(i)
            if (result === 'right') row.afterRetries++
          }
          if (result === 'wrong') row.wrongBytes++
          if (result === 'failed') row.failed++
        }
        await sleep(100)
      }
    })()
    const checker = (async () => {
      while (performance.now() < until) {
        await sleep(5_000)
        row.ringChecks++
        const ring = await get<RingJson>(boot, '/api/ring?check=1')
        if (ring?.closed === true && ring.check?.ok === true) row.ringOk++
      }
    })()
    const joining: Array<Promise<void>> = []
    for (let kill = true; performance.now() < until; kill = !kill) {
      await sleep(everyS * 1000)
      if (performance.now() >= until) break
      row.events++
      if (kill && peers.length > 0) {
        const victim = peers[rng.int(peers.length)]
        peers = peers.filter(p => p !== victim)
        await procs.kill(victim, 'SIGKILL')
      } else {
        joining.push(join().then(p => { peers.push(p) })) // in the background: a start takes seconds, the cadence holds
      }
    }
    await Promise.all([putter, getter, checker, ...joining])
    const live = [...supernodes, ...peers]
    await waitFor(async () => (await Promise.all(live.map(async n => ringOk(n, live.length)))).every(Boolean),
      { timeoutMs: 120_000, intervalMs: 500, what: 'the ring to settle after the churn' })
    for (const i of acked) {
      let result = await read(i)
      for (let retry = 0; result === 'failed' && retry < 5; retry++) {
        await sleep(1_000)
        result = await read(i)
      }
      if (result !== 'right') row.lost++
    }
    row.leaderChanges = ((await get<LeaderJson>(boot, '/api/leader'))?.epoch ?? epoch0) - epoch0
    return row
  } finally {
    await procs.stopAll()
  }
}

function churnTable (rows: ChurnRow[]): string[] {
  const pct = (n: number, of: number): string => of === 0 ? '–' : `${(100 * n / of).toFixed(2)} %`
  return [
    '| one event every | minutes | events | gets right first time | right after retries | failed | wrong bytes | ' +
      'puts acknowledged | acknowledged files lost | ring --check ok | leader changes |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(r => `| ${r.everyS} s | ${r.minutes} | ${r.events} | ${r.firstTime} of ${r.gets} (${pct(r.firstTime, r.gets)}) | ` +
      `${r.afterRetries} | ${r.failed} | ${r.wrongBytes} | ${r.puts - r.putsFailed} of ${r.puts} | ${r.lost} | ` +
      `${r.ringOk} of ${r.ringChecks} | ${r.leaderChanges} |`)
  ]
}

const quick = process.argv.includes('--quick')
const files = quick ? 32 : 128
const t0 = performance.now()
const minutes = Number(process.argv[process.argv.indexOf('--minutes') + 1]) || (quick ? 0.5 : 5)
const onlyChurn = process.argv.includes('--churn')
const churnRows: ChurnRow[] = []
for (const [everyS, seed] of [[10, 11], [5, 12], [2, 13]] as const) {
  const r = await churn(everyS, minutes, seed)
  console.log(JSON.stringify(r))
  churnRows.push(r)
}
const rows: Row[] = []
for (const withS3 of onlyChurn ? [] : [false, true]) {
  for (const [fraction, seed] of [[0.25, 1], [0.5, 2]] as const) {
    const s3 = withS3 ? await startS3rver({ bucket: 'chord-peer-chaos' }) : undefined
    if (s3 !== undefined) {
      // s3rver's fixed credentials (test/utils/s3-fixture.ts); the daemons inherit them.
      process.env.AWS_ACCESS_KEY_ID = 'S3RVER'
      process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER'
    }
    try {
      const r = await trial(fraction, files, seed, s3)
      console.log(JSON.stringify(r))
      rows.push(r)
    } finally {
      await s3?.stop()
    }
  }
}
const s = (ms: number): string => (ms / 1000).toFixed(1)
const out = `# Chaos benchmark results

Command: \`node --import tsx --import ./src/polyfill.ts bench/chaos.ts${quick ? ' --quick' : ''}\` (after \`npm run build\`)
Date: ${new Date().toISOString()}; whole run ${s(performance.now() - t0)} s
Machine: ${machine()}
Default timers (stabilize 1 s, check_predecessor 2 s, replica pass 10 s or on a ring change), k = ${K},
${FILE_BYTES / 1024} KiB files put through random nodes; S3: s3rver on 127.0.0.1, every upload done before
the kill. What each column measures: BENCHMARKS.md, "Partitions (issue 13)".

## Churn under put/get load (${NODES} processes, the 3 supernodes stay)

${churnTable(churnRows).join('\n')}

## Mass failure: SIGKILL of a share of ${NODES} processes at once

| killed | S3 | supernodes among them | ring --check passes everywhere | files that can come back at 3 copies | lost: model / measured |
|---|---|---|---|---|---|
${rows.map(r => `| ${r.killed} of ${r.of} | ${r.s3 ? 'yes' : 'no'} | ${r.supernodesKilled} of ${SUPERNODES} | ` +
  `${s(r.ringMs)} s | ${s(r.copiesMs)} s | ` +
  `${r.lostModel} / ${r.lost} of ${r.files} |`).join('\n')}
`
console.log(out)
if (!quick && !onlyChurn) await writeFile(new URL('./chaos-results.md', import.meta.url), out)
process.exit(0)
