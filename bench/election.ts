// Election benchmark: `node --import tsx --import ./src/polyfill.ts bench/election.ts [--quick]` (after
// `npm run build`: part 3 starts the compiled daemon). It measures, for 3, 5 and 9 supernodes:
//   1. the pure core on the simulated network (sim/election.ts, 1–5 ms per message): ELECTION and ELECTED
//      messages and virtual time to an acting leader, when every supernode starts at once and when only the
//      smallest or the largest id starts, and on the worst-case (descending) ring, against the Chang-Roberts bounds;
//   2. real libp2p supernodes in one process (createTestnet): the leader is crashed (stopped without leaving);
//      time until a new leader acts, and the messages the survivors sent for that election;
//   3. `chord-peer` processes with the default timers (3 supernodes only): SIGKILL of the leader → the time
//      until both survivors' `GET /api/leader` name the same new acting leader (polled every 20 ms).
// Results go to stdout and, unless --quick, to bench/election-results.md.
import '../src/polyfill.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestnet, waitFor } from '../src/testnet.js'
import { DEFAULT_ELECTION_CONFIG } from '../src/election/chang-roberts.js'
import { measureElection } from '../sim/election.js'
import { median } from './stats.js'
import type { LeaderJson } from '../src/api/types.js'
import type { Peer } from '../src/peer.js'

const RESULTS = fileURLToPath(new URL('./election-results.md', import.meta.url))
const BIN = fileURLToPath(new URL('../bin/chord-peer.js', import.meta.url))
const SIZES = [3, 5, 9]

// ---- 1. simulated ---------------------------------------------------------------------------------------------

interface SimRow { n: number, start: string, ring: string, election: number, elected: number, agreedMs: number, actingMs: number }

function simulate (n: number, starters: 'all' | 'smallest' | 'largest', ring: 'ascending' | 'descending' = 'ascending'): SimRow {
  const c = measureElection(n, { starters, ring })
  return { n, start: starters, ring, election: c.election, elected: c.elected, agreedMs: c.agreedMs, actingMs: c.actingMs }
}

// ---- 2. libp2p in one process ------------------------------------------------------------------------------------

interface LiveRow { n: number, failoverMs: number[], election: number[], elected: number[] }

const sent = (p: Peer, type: string): number => p.election!.counts.sent.get(type) ?? 0

async function inProcess (n: number, runs: number): Promise<LiveRow> {
  const row: LiveRow = { n, failoverMs: [], election: [], elected: [] }
  for (let r = 0; r < runs; r++) {
    const net = await createTestnet({ supernodes: n })
    try {
      const supers = (): Peer[] => net.nodes.filter(p => p.role === 'supernode')
      const acting = (): Peer[] => supers().filter(p => p.election!.acting())
      await waitFor(() => acting().length === 1 && supers().every(p => p.election!.leader()?.address === acting()[0].peerId), { timeoutMs: 20_000, what: 'one leader' })
      const leader = acting()[0]
      const before = supers().filter(p => p !== leader).map(p => [sent(p, 'ELECTION'), sent(p, 'ELECTED')])
      const t0 = performance.now()
      await net.remove(leader, { leave: false })
      await waitFor(() => acting().length === 1, { timeoutMs: 10_000, intervalMs: 5, what: 'a new leader' })
      row.failoverMs.push(performance.now() - t0)
      await waitFor(() => supers().every(p => p.election!.leader()?.address === acting()[0].peerId), { timeoutMs: 5_000, what: 'agreement' })
      row.election.push(supers().reduce((a, p, i) => a + sent(p, 'ELECTION') - before[i][0], 0))
      row.elected.push(supers().reduce((a, p, i) => a + sent(p, 'ELECTED') - before[i][1], 0))
    } finally {
      await net.stop()
    }
  }
  return row
}

// ---- 3. processes ---------------------------------------------------------------------------------------------

interface Daemon { proc: ChildProcess, dir: string, api: string, maddr: string, peerId: string }

async function daemon (args: string[], dirs: string[], procs: ChildProcess[]): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), 'chord-peer-election-'))
  dirs.push(dir)
  const proc = spawn(process.execPath, [BIN, ...args, '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  procs.push(proc)
  let out = ''
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString() })
  await waitFor(() => /\/p2p\/\w+/.test(out) && /http:\/\/127\.0\.0\.1:\d+/.test(out), { timeoutMs: 20_000, what: 'a daemon' })
  const maddr = /\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\w+/.exec(out)![0]
  return { proc, dir, api: (await readFile(join(dir, 'api'), 'utf8')).trim(), maddr, peerId: maddr.split('/p2p/')[1] }
}

async function leaderOf (d: Daemon): Promise<LeaderJson | undefined> {
  try {
    const res = await fetch(`${d.api}/api/leader`, { signal: AbortSignal.timeout(1_000) })
    return res.ok ? await res.json() as LeaderJson : undefined
  } catch {
    return undefined
  }
}

async function agreed (ds: Daemon[]): Promise<string | undefined> {
  const views = await Promise.all(ds.map(leaderOf))
  const set = new Set(views.map(v => (v?.acting === true ? v.leader?.peerId : undefined)))
  return set.size === 1 && !set.has(undefined) ? [...set][0] : undefined
}

async function processes (runs: number): Promise<number[]> {
  const out: number[] = []
  for (let r = 0; r < runs; r++) {
    const dirs: string[] = []
    const procs: ChildProcess[] = []
    try {
      const first = await daemon(['--bootstrap', '--k', '3'], dirs, procs)
      const all = [first, await daemon(['--bootstrap', '--connect', first.maddr], dirs, procs), await daemon(['--bootstrap', '--connect', first.maddr], dirs, procs)]
      let leader = ''
      await waitFor(async () => (leader = await agreed(all) ?? '') !== '', { timeoutMs: 20_000, intervalMs: 50, what: 'one leader' })
      const victim = all.find(d => d.peerId === leader)!
      const rest = all.filter(d => d !== victim)
      const t0 = performance.now()
      victim.proc.kill('SIGKILL')
      await waitFor(async () => { const l = await agreed(rest); return l !== undefined && l !== leader }, { timeoutMs: 10_000, intervalMs: 20, what: 'a new leader' })
      out.push(performance.now() - t0)
    } finally {
      for (const p of procs) p.kill('SIGKILL')
      await Promise.all(procs.map(async p => p.exitCode !== null || p.signalCode !== null ? undefined : new Promise(resolve => p.once('exit', resolve))))
      await Promise.all(dirs.map(async d => rm(d, { recursive: true, force: true })))
    }
  }
  return out
}

// ---- report ---------------------------------------------------------------------------------------------------

const ms = (x: number): string => x.toFixed(0)

async function main (): Promise<void> {
  const quick = process.argv.includes('--quick')
  const t0 = performance.now()
  const simRows = SIZES.flatMap(n => [...(['all', 'smallest', 'largest'] as const).map(s => simulate(n, s)), simulate(n, 'all', 'descending')])
  const liveRows: LiveRow[] = []
  for (const n of SIZES) liveRows.push(await inProcess(n, quick ? 1 : 5))
  const procMs = await processes(quick ? 1 : 5)
  const c = DEFAULT_ELECTION_CONFIG
  const lines = [
    '# Election benchmark results',
    '',
    'Command: `node --import tsx --import ./src/polyfill.ts bench/election.ts` (after `npm run build`)',
    `Date: ${new Date().toISOString()}; whole run ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    `Machine: nproc ${availableParallelism()} (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
    `Timers (defaults): heartbeat ${c.heartbeatIntervalMs} ms, leader timeout ${c.leaderTimeoutMs} ms, lease ${c.leaseMs} ms, promise ${c.promiseMs} ms, election timeout ${c.electionTimeoutMs} ms, boot quiet period = promise; core tick 50 ms.`,
    'Targets (issue): failover < 3 s; never two acting leaders.',
    '',
    '## 1. Pure core on the simulated network (1–5 ms per message)',
    '',
    'Chang-Roberts bounds for n nodes: one initiator n … 2n − 1 ELECTION messages; all initiating at once 2n − 1 …',
    'n(n + 1)/2, the worst case needing ids in decreasing ring order. Production orders the ring by increasing id,',
    'so it never costs more than 2n − 1; the descending rows run the same core on the worst-case ring. ELECTED is',
    'always n. A freshly started node acks nobody and does not count itself for `bootQuietMs` (800 ms): it cannot',
    'know what it promised before a restart, hence the time to an acting leader.',
    '',
    '| n | ring | who starts | ELECTION | bound | ELECTED | virtual ms until all follow / until it acts |',
    '|---|---|---|---|---|---|---|',
    ...simRows.map(r => `| ${r.n} | ${r.ring} | ${r.start} | ${r.election} | ${r.ring === 'descending' ? `= n(n + 1)/2 = ${r.n * (r.n + 1) / 2}` : r.start === 'largest' ? `= n = ${r.n}` : `= 2n − 1 = ${2 * r.n - 1}`} | ${r.elected} | ${ms(r.agreedMs)} / ${ms(r.actingMs)} |`),
    '',
    '## 2. Failover, real libp2p supernodes in one process (leader stopped without leaving)',
    '',
    `${quick ? 1 : 5} runs each. Messages: what the survivors sent for the new election, the failed sends to the dead`,
    'leader included; n − 1 live nodes elect, so the bound is 2(n − 1) − 1 ELECTION plus one failed send to the dead hop.',
    '',
    '| n | failover ms, median (min–max) | ELECTION, median | ELECTED, median | ELECTION bound |',
    '|---|---|---|---|---|',
    ...liveRows.map(r => `| ${r.n} | ${ms(median(r.failoverMs))} (${ms(Math.min(...r.failoverMs))}–${ms(Math.max(...r.failoverMs))}) | ${median(r.election)} | ${median(r.elected)} | ${2 * (r.n - 1)} |`),
    '',
    '## 3. Failover between `chord-peer` processes, 3 supernodes, SIGKILL of the leader',
    '',
    `Until both survivors answer \`GET /api/leader\` with the same new acting leader: ${procMs.map(ms).join(', ')} ms (median ${ms(median(procMs))} ms; target < 3 000 ms).`,
    ''
  ]
  const text = lines.join('\n')
  console.log(text)
  if (!quick) await writeFile(RESULTS, text)
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1) })
