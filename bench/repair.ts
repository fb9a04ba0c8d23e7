// Repair time: a ring of 6 nodes with the default timers (stabilize 1 s, check_predecessor 2 s, replica pass 10 s
// or on a ring change) holds D bytes at k = 3; one holder crashes and we time until every file is back at 3 copies
// on the right nodes. Two setups: six `chord-peer` processes (run like `npm start`: the compiled daemon, so
// `npm run build` first) where the holder gets SIGKILL, and six peers in one process where it is stopped without
// leaving. Run:
//   npm run build && node --import tsx --import ./src/polyfill.ts bench/repair.ts [--quick]
// Results go to stdout and, unless --quick, to bench/repair-results.md; how to read them is in BENCHMARKS.md.
import '../src/polyfill.js'
import { writeFile } from 'node:fs/promises'
import { sha256Hex } from '../src/files/hashing.js'
import { createTestnet, waitFor, type Testnet } from '../src/testnet.js'
import { collect, pseudoRandom } from '../harness/bytes.js'
import { Processes, type Daemon } from '../harness/processes.js'
import { placementOf } from '../sim/oracle.js'
import { DAEMON_NODE_FLAGS } from './lib/children.js'
import { machine } from './lib/report.js'
import type { LocateJson, PutJson } from '../src/api/types.js'
import type { Peer } from '../src/peer.js'
import { auth } from './lib/http.js'

const FILE_BYTES = 4 * 1024 * 1024
const DEFAULTS = { stabilizeIntervalMs: 1_000, fixFingersIntervalMs: 500, checkPredecessorIntervalMs: 2_000, replicationIntervalMs: 10_000 }

const placement = (nodes: readonly Peer[], key: string, k: number): bigint[] => placementOf(nodes.map(p => p.chord.self.id), key, k)

async function copiesRestored (net: Testnet, files: Map<string, string>): Promise<boolean> {
  for (const [name, hash] of files) {
    for (const id of placement(net.nodes, sha256Hex(name), 3)) {
      const p = net.nodes.find(n => n.chord.self.id === id)!
      if ((await p.files.ctx.records.get(sha256Hex(name)))?.hash !== hash) return false
    }
  }
  return true
}

async function trial (totalBytes: number): Promise<{ bytes: number, victimBytes: number, ms: number }> {
  const net = await createTestnet({ peers: 5, k: 3, ...DEFAULTS })
  try {
    await net.waitForRing({ timeoutMs: 60_000 })
    const files = new Map<string, string>()
    for (let i = 0; i < totalBytes / FILE_BYTES; i++) {
      const r = await net.nodes[0].files.put(`repair-${i}`, pseudoRandom(FILE_BYTES, i + 1))
      files.set(`repair-${i}`, r.record.hash)
    }
    await waitFor(async () => copiesRestored(net, files), { timeoutMs: 120_000, what: 'initial placement' })
    const victim = net.nodes[2]
    let victimBytes = 0
    for await (const b of victim.files.ctx.blobs.list()) victimBytes += b.size
    const t0 = performance.now()
    await net.remove(victim, { leave: false })
    await waitFor(async () => copiesRestored(net, files), { timeoutMs: 300_000, intervalMs: 100, what: 'copies back at k = 3' })
    return { bytes: totalBytes, victimBytes, ms: performance.now() - t0 }
  } finally {
    await net.stop()
  }
}

/** Every file at 3 copies of its newest version on its placement, none of them on `dead`, as locate reports it. */
async function locatedAtThree (via: Daemon, files: Map<string, string>, dead?: string): Promise<boolean> {
  for (const [name, hash] of files) {
    const res = await fetch(`${via.apiUrl}/api/locate/${encodeURIComponent(name)}`, { headers: auth(via) })
    if (!res.ok) return false
    const loc = await res.json() as LocateJson
    if (loc.file?.hash !== hash || loc.holders.length !== 3 || !loc.holders.every(h => h.has && h.node.peerId !== dead)) return false
  }
  return true
}

/** The same with `chord-peer` processes started as `npm start` starts them; the holder gets SIGKILL. */
async function processTrial (totalBytes: number): Promise<{ bytes: number, victimBytes: number, ms: number }> {
  const procs = new Processes()
  try {
    const boot = await procs.daemon(['--bootstrap', '--k', '3'], { nodeFlags: DAEMON_NODE_FLAGS })
    const join = async (): Promise<Daemon> => procs.daemon(['--connect', boot.multiaddr], { nodeFlags: DAEMON_NODE_FLAGS })
    const others = await Promise.all(Array.from({ length: 5 }, join))
    const nodes = [boot, ...others]
    const files = new Map<string, string>()
    for (let i = 0; i < totalBytes / FILE_BYTES; i++) {
      const name = `repair-${i}`
      const res = await fetch(`${boot.apiUrl}/api/files/${name}`, {
        method: 'PUT', headers: auth(boot), body: await collect(pseudoRandom(FILE_BYTES, i + 1))
      })
      if (res.status !== 201) throw new Error(`put ${name}: ${res.status} ${await res.text()}`)
      files.set(name, (await res.json() as PutJson).file.hash)
    }
    await waitFor(async () => locatedAtThree(boot, files), { timeoutMs: 120_000, intervalMs: 200, what: 'initial placement' })
    // The victim: the non-bootstrap node holding the most, by locate.
    const held = new Map<string, number>()
    for (const name of files.keys()) {
      const loc = await (await fetch(`${boot.apiUrl}/api/locate/${encodeURIComponent(name)}`, { headers: auth(boot) })).json() as LocateJson
      for (const h of loc.holders) held.set(h.node.peerId, (held.get(h.node.peerId) ?? 0) + FILE_BYTES)
    }
    const victim = nodes.slice(1).sort((a, b) => (held.get(b.peerId) ?? 0) - (held.get(a.peerId) ?? 0))[0]
    const t0 = performance.now()
    await procs.kill(victim, 'SIGKILL')
    const back = { timeoutMs: 300_000, intervalMs: 100, what: 'copies back at k = 3' }
    await waitFor(async () => locatedAtThree(boot, files, victim.peerId), back)
    return { bytes: totalBytes, victimBytes: held.get(victim.peerId) ?? 0, ms: performance.now() - t0 }
  } finally {
    await procs.stopAll()
  }
}

const quick = process.argv.includes('--quick')
const sizes = quick ? [32 * 1024 * 1024] : [64 * 1024 * 1024, 256 * 1024 * 1024]
const rows: string[] = []
const setups = [['6 `chord-peer` processes, SIGKILL', processTrial], ['6 peers in one process, stopped without leaving', trial]] as const
for (const [setup, run] of setups) {
  for (const size of sizes) {
    const r = await run(size)
    const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0)
    const data = `${size / 2 ** 20} MiB in ${size / FILE_BYTES} files`
    const rate = `${mib(r.victimBytes / (r.ms / 1000))} MiB/s`
    const line = `| ${setup} | ${data} | ${mib(r.victimBytes)} MiB | ${(r.ms / 1000).toFixed(2)} s | ${rate} |`
    console.log(line)
    rows.push(line)
  }
}
const out = `# Repair benchmark results

Command: \`node --import tsx --import ./src/polyfill.ts bench/repair.ts${quick ? ' --quick' : ''}\` (after \`npm run build\`)
Date: ${new Date().toISOString()}
Machine: ${machine()}
What each row measures: BENCHMARKS.md, "Files (issue 3)", Repair.

| setup | data in the ring | held by the crashed node | time to 3 copies again | re-replicated per second |
|---|---|---|---|---|
${rows.join('\n')}
`
if (!quick) await writeFile(new URL('./repair-results.md', import.meta.url), out)
console.log(out)
