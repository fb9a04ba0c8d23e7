// Election benchmark: `node --import tsx --import ./src/polyfill.ts bench/election.ts [--quick]` (after
// `npm run build`: part 3 starts the compiled daemon). It measures, for 3, 5 and 9 supernodes:
//   1. the pure core on the simulated network (sim/election.ts, 1–5 ms per message): ELECTION and ELECTED
//      messages and virtual time to an acting leader, when every supernode starts at once and when only the
//      smallest or the largest id starts, and on the worst-case (descending) ring, against the Chang-Roberts bounds;
//   2. real libp2p supernodes in one process (createTestnet): the leader is crashed (stopped without leaving);
//      time until a new leader acts, and the messages the survivors sent for that election;
//   3. `chord-peer` processes with the default timers (3 supernodes only): SIGKILL of the leader → the time
//      until both survivors' `GET /api/leader` name the same new acting leader (polled every 20 ms).
// Results go to stdout and, unless --quick, to bench/election-results.md; how to read them is in BENCHMARKS.md.
import '../src/polyfill.js'
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createTestnet, waitFor } from '../src/testnet.js'
import { DEFAULT_ELECTION_CONFIG, type ElectionMessageType } from '../src/election/chang-roberts.js'
import { TICK_MS } from '../src/election/service.js'
import { Processes, type Daemon } from '../harness/processes.js'
import { measureElection } from '../sim/election.js'
import { machine } from './lib/report.js'
import { median } from './lib/stats.js'
import type { LeaderJson } from '../src/api/types.js'
import type { Peer } from '../src/peer.js'
import { auth } from './lib/http.js'

const RESULTS = fileURLToPath(new URL('./election-results.md', import.meta.url))
const SIZES = [3, 5, 9]

// ---- 1. simulated ---------------------------------------------------------------------------------------------

interface SimRow { n: number, start: string, ring: string, election: number, elected: number, agreedMs: number, actingMs: number }

function simulate (n: number, starters: 'all' | 'smallest' | 'largest', ring: 'ascending' | 'descending' = 'ascending'): SimRow {
  const c = measureElection(n, { starters, ring })
  return { n, start: starters, ring, election: c.election, elected: c.elected, agreedMs: c.agreedMs, actingMs: c.actingMs }
}

// ---- 2. libp2p in one process ------------------------------------------------------------------------------------

interface LiveRow { n: number, failoverMs: number[], election: number[], elected: number[] }

const sent = (p: Peer, type: ElectionMessageType): number => p.election!.counts().sent[type]

async function inProcess (n: number, runs: number): Promise<LiveRow> {
  const row: LiveRow = { n, failoverMs: [], election: [], elected: [] }
  for (let r = 0; r < runs; r++) {
    const net = await createTestnet({ supernodes: n })
    try {
      const supers = (): Peer[] => net.nodes.filter(p => p.role === 'supernode')
      const acting = (): Peer[] => supers().filter(p => p.election!.acting())
      const allFollow = (): boolean => supers().every(p => p.election!.leader()?.address === acting()[0].peerId)
      await waitFor(() => acting().length === 1 && allFollow(), { timeoutMs: 20_000, what: 'one leader' })
      const leader = acting()[0]
      const survivors = supers().filter(p => p !== leader)
      const before = survivors.map(p => [sent(p, 'ELECTION'), sent(p, 'ELECTED')])
      const returned = new Map(survivors.map(p => [p, p.election!.counts().received.ELECTED]))
      const t0 = performance.now()
      await net.remove(leader, { leave: false })
      await waitFor(() => acting().length === 1, { timeoutMs: 10_000, intervalMs: 5, what: 'a new leader' })
      row.failoverMs.push(performance.now() - t0)
      await waitFor(allFollow, { timeoutMs: 5_000, what: 'agreement' })
      // The followers may follow the winner's heartbeats before its ELECTED has gone round: count once it is
      // back at the winner, where it stops.
      const winner = acting()[0]
      const back = (): boolean => winner.election!.counts().received.ELECTED > (returned.get(winner) ?? 0)
      await waitFor(back, { timeoutMs: 5_000, what: 'the ELECTED message back at the winner' })
      row.election.push(supers().reduce((a, p, i) => a + sent(p, 'ELECTION') - before[i][0], 0))
      row.elected.push(supers().reduce((a, p, i) => a + sent(p, 'ELECTED') - before[i][1], 0))
    } finally {
      await net.stop()
    }
  }
  return row
}

// ---- 3. processes ---------------------------------------------------------------------------------------------

async function leaderOf (d: Daemon): Promise<LeaderJson | undefined> {
  try {
    const res = await fetch(`${d.apiUrl}/api/leader`, { headers: auth(d), signal: AbortSignal.timeout(1_000) })
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
    const procs = new Processes()
    try {
      const first = await procs.daemon(['--bootstrap', '--k', '3'])
      const all = [first]
      for (let i = 0; i < 2; i++) all.push(await procs.supernode(first))
      let leader = ''
      await waitFor(async () => (leader = await agreed(all) ?? '') !== '', { timeoutMs: 20_000, intervalMs: 50, what: 'one leader' })
      const victim = all.find(d => d.peerId === leader)!
      const rest = all.filter(d => d !== victim)
      const t0 = performance.now()
      victim.proc.kill('SIGKILL')
      const moved = async (): Promise<boolean> => { const l = await agreed(rest); return l !== undefined && l !== leader }
      await waitFor(moved, { timeoutMs: 10_000, intervalMs: 20, what: 'a new leader' })
      out.push(performance.now() - t0)
    } finally {
      await procs.stopAll()
    }
  }
  return out
}

// ---- report ---------------------------------------------------------------------------------------------------

const ms = (x: number): string => x.toFixed(0)

/** The Chang-Roberts bound a simulated row is checked against. */
function bound (r: SimRow): string {
  if (r.ring === 'descending') return `= n(n + 1)/2 = ${r.n * (r.n + 1) / 2}`
  return r.start === 'largest' ? `= n = ${r.n}` : `= 2n − 1 = ${2 * r.n - 1}`
}

async function main (): Promise<void> {
  const quick = process.argv.includes('--quick')
  const runs = quick ? 1 : 5
  const t0 = performance.now()
  const starts = ['all', 'smallest', 'largest'] as const
  const simRows = SIZES.flatMap(n => [...starts.map(s => simulate(n, s)), simulate(n, 'all', 'descending')])
  const liveRows: LiveRow[] = []
  for (const n of SIZES) liveRows.push(await inProcess(n, runs))
  const procMs = await processes(runs)
  const c = DEFAULT_ELECTION_CONFIG
  const range = (xs: number[]): string => `${ms(median(xs))} (${ms(Math.min(...xs))}–${ms(Math.max(...xs))})`
  const lines = [
    '# Election benchmark results',
    '',
    `Command: \`node --import tsx --import ./src/polyfill.ts bench/election.ts${quick ? ' --quick' : ''}\` (after \`npm run build\`)`,
    `Date: ${new Date().toISOString()}; whole run ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    `Machine: ${machine()}`,
    `Timers (defaults): heartbeat ${c.heartbeatIntervalMs} ms, leader timeout ${c.leaderTimeoutMs} ms, lease ${c.leaseMs} ms, ` +
      `promise ${c.promiseMs} ms, election timeout ${c.electionTimeoutMs} ms, boot quiet period = promise; core tick ${TICK_MS} ms.`,
    'Targets (issue): failover < 3 s; never two acting leaders.',
    'What each table measures and how to read it: BENCHMARKS.md, "Supernodes (issue 4)".',
    '',
    '## 1. Pure core on the simulated network (1–5 ms per message)',
    '',
    '| n | ring | who starts | ELECTION | bound | ELECTED | virtual ms until all follow / until it acts |',
    '|---|---|---|---|---|---|---|',
    ...simRows.map(r => `| ${r.n} | ${r.ring} | ${r.start} | ${r.election} | ${bound(r)} | ${r.elected} | ` +
      `${ms(r.agreedMs)} / ${ms(r.actingMs)} |`),
    '',
    '## 2. Failover, real libp2p supernodes in one process (leader stopped without leaving)',
    '',
    `Runs per n: ${runs}. ELECTION and ELECTED: sent by the survivors for the new election, failed sends to the dead leader included.`,
    '',
    '| n | failover ms, median (min–max) | ELECTION, median | ELECTED, median | ELECTION bound, 2(n − 1) − 1 + 1 failed send |',
    '|---|---|---|---|---|',
    ...liveRows.map(r => `| ${r.n} | ${range(r.failoverMs)} | ${median(r.election)} | ${median(r.elected)} | ${2 * (r.n - 1)} |`),
    '',
    '## 3. Failover between `chord-peer` processes, 3 supernodes, SIGKILL of the leader',
    '',
    'Until both survivors answer `GET /api/leader` with the same new acting leader: ' +
      `${procMs.map(ms).join(', ')} ms (median ${ms(median(procMs))} ms; target < 3 000 ms).`,
    ''
  ]
  const text = lines.join('\n')
  console.log(text)
  if (!quick) await writeFile(RESULTS, text)
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1) })
