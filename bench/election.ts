// Election benchmark: `node --import tsx --import ./src/polyfill.ts bench/election.ts [--quick]` (after
// `npm run build`: part 3 starts the compiled daemon). It measures, for 3, 5 and 9 supernodes:
//   1. the pure core on the simulated network (sim/election.ts, 1–5 ms per message): ELECTION and ELECTED
//      messages and virtual time to an acting leader, when every supernode starts at once and when only the
//      smallest or the largest id starts, and on the worst-case (descending) ring, against the Chang-Roberts bounds;
//   2. real libp2p supernodes in one process (createTestnet): the leader is crashed (stopped without leaving);
//      time until a new leader acts, and the messages the survivors sent for that election;
//   3. `chord-peer` processes with the default timers (3 supernodes only): SIGKILL of the leader → the time
//      until both survivors' `GET /api/leader` name the same new acting leader (polled every 20 ms);
//   4. the same 3 processes under a CPU hog (32 busy-looping processes on the machine's cores): elections while
//      the leader lives, and how often the supernodes name different leaders; and with every supernode process
//      stopped for up to 0.9 s at a time (SIGSTOP), a process the scheduler starves. `--starved [seconds]
//      [--hogs n | --stalls]` runs only this part and prints it.
// Results go to stdout and, unless --quick, to bench/election-results.md; how to read them is in BENCHMARKS.md.
import '../src/polyfill.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { createTestnet, waitFor } from '../src/testnet.js'
import { sleep } from '../src/lifecycle.js'
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

// ---- 4. a starved machine -------------------------------------------------------------------------------------

interface StarvedRow {
  seconds: number
  /** What starved the supernodes. */
  hog: string
  /** 1-minute load average at the end of the hog. */
  load: number
  /** Elections while the first leader lived: epochs seen past the first. */
  reelections: number
  /** Polls (every POLL_MS, of all three) in which the supernodes named different leaders, or one named none. */
  split: number
  polls: number
  /** The longest run of such polls, ms. */
  longestSplitMs: number
}

const POLL_MS = 200
/** Busy-looping processes of the hog (`--hogs n` with `--starved`). */
const HOGS = 32

/** Longest a stalled supernode is stopped, and the pause between two of its stalls, ms. */
const STALL_MS = { min: 200, max: 900 }
const BETWEEN_STALLS_MS = { min: 300, max: 2_000 }

/**
 * Three supernode processes, then for `seconds` either `hogs` busy-looping processes or (`stalls`) every
 * supernode stopped (SIGSTOP) for 200–900 ms at a time, 0.3–2 s apart: a process the scheduler starves. Every
 * POLL_MS each supernode is asked `GET /api/leader`; counted are the epochs past the one before the hog
 * (elections while the leader lived) and the polls in which they did not all name one leader.
 */
async function starved (seconds: number, hogs: number, stalls = false): Promise<StarvedRow> {
  const procs = new Processes()
  const busy: ChildProcess[] = []
  try {
    const first = await procs.daemon(['--bootstrap', '--k', '3'])
    const all = [first]
    for (let i = 0; i < 2; i++) all.push(await procs.supernode(first))
    await waitFor(async () => await agreed(all) !== undefined, { timeoutMs: 20_000, intervalMs: 50, what: 'one leader' })
    const epoch0 = Math.max(...(await Promise.all(all.map(leaderOf))).map(v => v?.epoch ?? 0))
    const until = performance.now() + seconds * 1000
    const stalling = !stalls
      ? Promise.resolve()
      : Promise.all(all.map(async d => {
        const between = (r: { min: number, max: number }): number => r.min + Math.random() * (r.max - r.min)
        while (performance.now() < until) {
          await sleep(between(BETWEEN_STALLS_MS))
          d.proc.kill('SIGSTOP')
          await sleep(between(STALL_MS))
          d.proc.kill('SIGCONT')
        }
      }))
    for (let i = 0; i < (stalls ? 0 : hogs); i++) {
      const loop = `const end = Date.now() + ${seconds * 1000}; while (Date.now() < end) {}`
      busy.push(spawn(process.execPath, ['-e', loop], { stdio: 'ignore' }))
    }
    let polls = 0
    let split = 0
    let maxEpoch = epoch0
    let splitSince: number | undefined
    let longestSplitMs = 0
    while (performance.now() < until) {
      const t = performance.now()
      const views = await Promise.all(all.map(leaderOf))
      polls++
      for (const v of views) if (v !== undefined) maxEpoch = Math.max(maxEpoch, v.epoch)
      const named = new Set(views.map(v => v?.leader?.peerId))
      if (named.size !== 1 || named.has(undefined)) {
        split++
        splitSince ??= t
        longestSplitMs = Math.max(longestSplitMs, performance.now() - splitSince)
      } else {
        splitSince = undefined
      }
      await sleep(Math.max(0, POLL_MS - (performance.now() - t)))
    }
    await stalling
    const load = loadavg()[0]
    const hog = stalls
      ? `each supernode stopped ${STALL_MS.min}–${STALL_MS.max} ms every ${BETWEEN_STALLS_MS.min / 1000}–${BETWEEN_STALLS_MS.max / 1000} s`
      : `${hogs} busy processes`
    return { seconds, hog, load, reelections: maxEpoch - epoch0, split, polls, longestSplitMs }
  } finally {
    for (const b of busy) b.kill('SIGKILL')
    await procs.stopAll()
  }
}

// ---- report ---------------------------------------------------------------------------------------------------

const ms = (x: number): string => x.toFixed(0)

/** The Chang-Roberts bound a simulated row is checked against. */
function bound (r: SimRow): string {
  if (r.ring === 'descending') return `= n(n + 1)/2 = ${r.n * (r.n + 1) / 2}`
  return r.start === 'largest' ? `= n = ${r.n}` : `= 2n − 1 = ${2 * r.n - 1}`
}

/** `--starved` alone: part 4 only, printed (to compare two builds of the daemon). */
async function starvedOnly (): Promise<void> {
  const seconds = Number(process.argv[process.argv.indexOf('--starved') + 1] ?? 60) || 60
  const hogs = process.argv.includes('--hogs') ? Number(process.argv[process.argv.indexOf('--hogs') + 1]) : HOGS
  const r = await starved(seconds, hogs, process.argv.includes('--stalls'))
  console.log(starvedTable([r]).join('\n'))
}

function starvedTable (rows: StarvedRow[]): string[] {
  return [
    '| hog | load (1 min) at end | elections while the leader lived | polls naming different leaders | longest such run |',
    '|---|---|---|---|---|',
    ...rows.map(r => `| ${r.hog}, ${r.seconds} s | ${r.load.toFixed(1)} | ${r.reelections} | ` +
      `${r.split} of ${r.polls} | ${ms(r.longestSplitMs)} ms |`)
  ]
}

async function main (): Promise<void> {
  if (process.argv.includes('--starved')) return await starvedOnly()
  const quick = process.argv.includes('--quick')
  const runs = quick ? 1 : 5
  const t0 = performance.now()
  const starts = ['all', 'smallest', 'largest'] as const
  const simRows = SIZES.flatMap(n => [...starts.map(s => simulate(n, s)), simulate(n, 'all', 'descending')])
  const liveRows: LiveRow[] = []
  for (const n of SIZES) liveRows.push(await inProcess(n, runs))
  const procMs = await processes(runs)
  const starvedRows = [await starved(quick ? 20 : 60, HOGS), await starved(quick ? 20 : 60, 0, true)]
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
    '',
    '## 4. A starved machine: 3 supernode processes under a CPU hog',
    '',
    `Every ${POLL_MS} ms each supernode is asked \`GET /api/leader\`; the leader lives throughout.`,
    '',
    ...starvedTable(starvedRows),
    ''
  ]
  const text = lines.join('\n')
  console.log(text)
  if (!quick) await writeFile(RESULTS, text)
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1) })
