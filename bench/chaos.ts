// Chaos benchmark, between `chord-peer` processes on 127.0.0.1 (the compiled daemon: `npm run build` first).
// Mass failure: 16 processes (3 supernodes, 13 peers, k = 3) hold small files; 25 % or 50 % of the processes get
// SIGKILL at once, without and with the S3 tier (s3rver on 127.0.0.1). Measured: the time until `ring --check`
// passes from every survivor (its walk closed, every survivor in it, no problem), the time until every file that
// can come back is at 3 copies again (without S3: those with a live holder; with S3: all), and the files lost
// against the model (a file is lost exactly when all its holders died and there is no S3). Run:
//   npm run build && node --import tsx --import ./src/polyfill.ts bench/chaos.ts [--quick]
// Results go to stdout and, unless --quick, to bench/chaos-results.md; how to read them is in BENCHMARKS.md.
// Not here yet: churn under load and partitions between processes (issue 13).
import '../src/polyfill.js'
import { writeFile } from 'node:fs/promises'
import { Processes, type Daemon } from '../harness/processes.js'
import { pseudoRandom, collect } from '../harness/bytes.js'
import { waitFor } from '../src/testnet.js'
import { Prng } from '../sim/prng.js'
import { DAEMON_NODE_FLAGS } from './lib/children.js'
import { startS3rver, type S3Fixture } from '../test/utils/s3-fixture.js'
import { auth } from './lib/http.js'
import { machine } from './lib/report.js'
import type { LocateJson, PutJson, RingJson, StatusJson } from '../src/api/types.js'

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

const quick = process.argv.includes('--quick')
const files = quick ? 32 : 128
const t0 = performance.now()
const rows: Row[] = []
for (const withS3 of [false, true]) {
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

## Mass failure: SIGKILL of a share of ${NODES} processes at once

| killed | S3 | supernodes among them | ring --check passes everywhere | files that can come back at 3 copies | lost: model / measured |
|---|---|---|---|---|---|
${rows.map(r => `| ${r.killed} of ${r.of} | ${r.s3 ? 'yes' : 'no'} | ${r.supernodesKilled} of ${SUPERNODES} | ` +
  `${s(r.ringMs)} s | ${s(r.copiesMs)} s | ` +
  `${r.lostModel} / ${r.lost} of ${r.files} |`).join('\n')}
`
console.log(out)
if (!quick) await writeFile(new URL('./chaos-results.md', import.meta.url), out)
process.exit(0)
