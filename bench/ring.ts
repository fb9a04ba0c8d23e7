// Ring benchmark on real libp2p peers on 127.0.0.1, all in this one process:
// 1. lookup hops (mean, p50, p99, max) over random keys on a converged ring (ring correct and every finger equal to
//    the sorted-id oracle), against ½·log2 N; every owner is checked against the oracle;
// 2. lookup latency (wall time of findOwner, warm connections, sequential lookups from random nodes) next to a
//    libp2p ping and a single chord GET_STATE / FIND_SUCCESSOR rpc between two of the same peers;
// 3. time for a new peer to join a converged ring running the default maintenance intervals: admitted
//    (createPeer returned), ring correct again, own finger table complete.
// All peers share one event loop on one core: CPU contention is part of every figure (see `idleCpu`).
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { ChordMessenger } from '../src/chord/messenger.js'
import { DEFAULT_LIMITS } from '../src/chord/service.js'
import { DEFAULT_SETTINGS, type Peer } from '../src/peer.js'
import { createTestnet, waitFor, type Testnet } from '../src/testnet.js'
import { randomKeys, trueOwner } from '../sim/oracle.js'
import { fmt, idleCpuPercent, median, prng, summarize, timed, type Summary } from './lib/stats.js'

export interface RingBenchOptions {
  quick?: boolean
  /** Progress lines (default: stderr). */
  log?: (line: string) => void
}

export interface HopsResult {
  peers: number
  keys: number
  hops: Summary
  wrong: number
  /** Seconds to start the peers, to reach a correct ring, to get every finger right. */
  buildS: number
  ringS: number
  fingersS: number
  fingerRounds: number
  idleCpu: number
  /** Wall time of the (cold-connection) lookups, s, and connections in the process after them. */
  lookupsS: number
  connections: number
}

export interface LatencyResult {
  peers: number
  lookups: number
  hops: Summary
  lookupMs: Summary
  wrong: number
  /** Connections open in the whole process before and after the measured pass (equal: no dial was timed). */
  connectionsBefore: number
  connectionsAfter: number
  /** Event-loop delay during the measured pass, ms (all peers share the loop). */
  loopDelayP99Ms: number
  loopDelayMaxMs: number
  pingMs: Summary
  getStateMs: Summary
  findSuccessorMs: Summary
  idleCpu: number
}

export interface JoinTrial { admittedMs: number, ringMs: number, fingersMs: number }

export interface JoinResult {
  peers: number
  trials: JoinTrial[]
}

export interface RingBenchResult {
  quick: boolean
  hops: HopsResult
  latency: LatencyResult
  join: JoinResult
}

const DEFAULT_INTERVALS = {
  stabilizeIntervalMs: DEFAULT_SETTINGS.stabilizeIntervalMs,
  fixFingersIntervalMs: DEFAULT_SETTINGS.fixFingersIntervalMs,
  checkPredecessorIntervalMs: DEFAULT_SETTINGS.checkPredecessorIntervalMs
}

const SIZES = {
  full: { hopsPeers: 64, hopsKeys: 2_000, latencyPeers: 32, lookups: 2_000, baselineSamples: 500, joinTrials: 7 },
  quick: { hopsPeers: 16, hopsKeys: 200, latencyPeers: 16, lookups: 200, baselineSamples: 100, joinTrials: 2 }
}

export async function runRingBench (options: RingBenchOptions = {}): Promise<RingBenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'))
  const size = options.quick === true ? SIZES.quick : SIZES.full
  log(`ring bench: hops at ${size.hopsPeers} peers, ${size.hopsKeys} keys`)
  const hops = await benchHops(size.hopsPeers, size.hopsKeys, log)
  log(`ring bench: latency and joins at ${size.latencyPeers} peers`)
  const { latency, join } = await withRing(size.latencyPeers, log, async (net) => {
    await converge(net, log)
    const latency = await benchLatency(net, size.lookups, size.baselineSamples, log)
    const join = await benchJoins(net, size.joinTrials, log)
    return { latency, join }
  })
  return { quick: options.quick === true, hops, latency, join }
}

// ---- rings --------------------------------------------------------------------------------------------------

/** Joins in flight at once while a ring is built; the ring is driven to correctness after each batch. */
const JOIN_BATCH = 8

/**
 * Start a ring of `peers` real peers at the default maintenance intervals, run `fn`, always stop every peer.
 * The ring is built in batches of JOIN_BATCH joins, each followed by stabilize rounds until the ring is correct:
 * joining all peers at once leaves long chains of wrong successors that stabilize repairs one node per round.
 */
async function withRing<T> (peers: number, log: (line: string) => void, fn: (net: Testnet) => Promise<T>): Promise<T> {
  const t0 = performance.now()
  const net = await createTestnet({ supernodes: 1, peers: 0, ...DEFAULT_INTERVALS })
  try {
    const rounds: number[] = []
    while (net.nodes.length < peers) {
      await addPeers(net, Math.min(JOIN_BATCH, peers - net.nodes.length))
      rounds.push(await stabilizeUntilCorrect(net, Date.now() + 60_000))
    }
    log(`  built ${peers} peers in ${fmt((performance.now() - t0) / 1000)} s (stabilize rounds after each batch: ${rounds.join(' ')})`)
    return await fn(net)
  } finally {
    await net.stop()
  }
}

/** Join `count` peers at once; waits for every join to settle so none is left running after a failure. */
async function addPeers (net: Testnet, count: number): Promise<void> {
  const settled = await Promise.allSettled(Array.from({ length: count }, async () => net.add()))
  const failed = settled.find(s => s.status === 'rejected')
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
}

/** Stabilize rounds on every node (all at once) until the ring is correct; returns the number of rounds. */
async function stabilizeUntilCorrect (net: Testnet, deadline: number): Promise<number> {
  let rounds = 0
  while (!net.ringCorrect()) {
    if (Date.now() > deadline) throw new Error(`the ring of ${net.nodes.length} did not converge before the deadline`)
    await Promise.all(net.nodes.map(async p => p.chord.stabilizeNow().catch(() => {})))
    rounds++
  }
  return rounds
}

function sortedIds (net: Testnet): bigint[] {
  return net.nodes.map(p => p.chord.self.id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** Does every finger of `peer` point at the true successor of its start? */
function fingersComplete (peer: Peer, ids: readonly bigint[]): boolean {
  return peer.chord.snapshot().fingers.every(f => f.node?.id === trueOwner(ids, f.start))
}

/**
 * Drive the ring to convergence instead of waiting for the timers: stabilize rounds on every node until the ring
 * is correct, then fix_fingers rounds until every finger of every node matches the oracle. Returns the time each
 * phase took and the number of finger rounds.
 */
async function converge (
  net: Testnet, log: (line: string) => void, deadlineMs = 120_000
): Promise<{ ringS: number, fingersS: number, fingerRounds: number }> {
  const deadline = Date.now() + deadlineMs
  const t0 = performance.now()
  await stabilizeUntilCorrect(net, deadline)
  const t1 = performance.now()
  const ids = sortedIds(net)
  let fingerRounds = 0
  while (!net.nodes.every(p => fingersComplete(p, ids))) {
    if (Date.now() > deadline) throw new Error('the finger tables did not converge before the deadline')
    await Promise.all(net.nodes.map(async p => p.chord.fixFingersNow().catch(() => {})))
    fingerRounds++
  }
  const t2 = performance.now()
  log(`  converged: ring ${fmt((t1 - t0) / 1000)} s, fingers ${fmt((t2 - t1) / 1000)} s (${fingerRounds} rounds)`)
  return { ringS: (t1 - t0) / 1000, fingersS: (t2 - t1) / 1000, fingerRounds }
}

// ---- 1. hops --------------------------------------------------------------------------------------------------

async function benchHops (peers: number, keys: number, log: (line: string) => void): Promise<HopsResult> {
  const t0 = performance.now()
  return withRing(peers, log, async (net) => {
    const buildS = (performance.now() - t0) / 1000
    const conv = await converge(net, log)
    const idleCpu = await idleCpuPercent(3_000)
    const run = await runLookups(net, lookupPlan(net, keys, 1))
    log(`  ${keys} lookups in ${fmt(run.totalMs / 1000)} s`)
    const connections = connectionCount(net) / 2
    return { peers, keys, hops: summarize(run.hops), wrong: run.wrong, buildS, ...conv, idleCpu, lookupsS: run.totalMs / 1000, connections }
  })
}

interface PlannedLookup { from: Peer, key: bigint }

/** `count` random keys, each looked up from a random node (both seeded). */
function lookupPlan (net: Testnet, count: number, seed: number): PlannedLookup[] {
  const rand = prng(seed)
  // randomKeys is a 64-bit xorshift: its seed must fit in 64 bits and not be 0, or keys fall outside the ring
  const keySeed = BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n) | 1n
  return [...randomKeys(count, keySeed)].map(key => ({ from: net.nodes[Math.floor(rand() * net.nodes.length)], key }))
}

/** Run the lookups one after another; owners are checked against the oracle. */
async function runLookups (
  net: Testnet, plan: readonly PlannedLookup[]
): Promise<{ hops: number[], ms: number[], wrong: number, totalMs: number }> {
  const ids = sortedIds(net)
  const hops: number[] = []
  const ms: number[] = []
  let wrong = 0
  const t0 = performance.now()
  for (const { from, key } of plan) {
    const r = await timed(async () => from.chord.findOwner(key))
    if (r.value.nodes[0].id !== trueOwner(ids, key)) wrong++
    hops.push(r.value.hops)
    ms.push(r.ms)
  }
  return { hops, ms, wrong, totalMs: performance.now() - t0 }
}

// ---- 2. latency -----------------------------------------------------------------------------------------------

function connectionCount (net: Testnet): number {
  return net.nodes.reduce((n, p) => n + p.host.getConnections().length, 0)
}

async function benchLatency (net: Testnet, lookups: number, samples: number, log: (line: string) => void): Promise<LatencyResult> {
  const plan = lookupPlan(net, lookups, 2)
  const warm = await runLookups(net, plan) // dials every connection the measured pass will use
  log(`  warm pass: ${lookups} lookups in ${fmt(warm.totalMs / 1000)} s`)
  const idleCpu = await idleCpuPercent(3_000)
  const connectionsBefore = connectionCount(net)
  const loop = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()
  const run = await runLookups(net, plan)
  loop.disable()
  const connectionsAfter = connectionCount(net)
  log(`  measured pass: ${lookups} lookups in ${fmt(run.totalMs / 1000)} s`)
  const base = await baselines(net.nodes[1], net.nodes[2], samples)
  return {
    peers: net.nodes.length,
    lookups,
    hops: summarize(run.hops),
    lookupMs: summarize(run.ms),
    wrong: run.wrong,
    connectionsBefore,
    connectionsAfter,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    loopDelayMaxMs: loop.max / 1e6,
    idleCpu,
    ...base
  }
}

/** `samples` timed calls of `fn` after a few untimed warm-up calls. */
async function sample (samples: number, fn: () => Promise<unknown>): Promise<Summary> {
  for (let i = 0; i < 10; i++) await fn()
  const ms: number[] = []
  for (let i = 0; i < samples; i++) ms.push((await timed(fn)).ms)
  return summarize(ms)
}

/** One libp2p ping and one chord rpc (pooled stream, as lookups use) from `a` to `b`, sequentially. */
async function baselines (a: Peer, b: Peer, samples: number): Promise<{ pingMs: Summary, getStateMs: Summary, findSuccessorMs: Summary }> {
  const messenger = new ChordMessenger({ host: a.host, peers: a.chord.peers, limits: DEFAULT_LIMITS, selfAddrs: () => [] })
  const target = b.chord.self
  const peerId = b.host.peerId
  try {
    const pingMs = await sample(samples, async () => a.host.services.ping.ping(peerId))
    const getStateMs = await sample(samples, async () => messenger.getState(target))
    const key = b.chord.self.id - 1n // b owns it when it is not the smallest id; either way one exchange
    const findSuccessorMs = await sample(samples, async () => messenger.findSuccessor(target, key))
    return { pingMs, getStateMs, findSuccessorMs }
  } finally {
    messenger.close()
  }
}

// ---- 3. joins -------------------------------------------------------------------------------------------------

async function benchJoins (net: Testnet, trials: number, log: (line: string) => void): Promise<JoinResult> {
  const peers = net.nodes.length
  const results: JoinTrial[] = []
  for (let i = 0; i < trials; i++) {
    const trial = await joinOnce(net)
    const times = `admitted ${fmt(trial.admittedMs, 0)} ms, ring ${fmt(trial.ringMs, 0)} ms, fingers ${fmt(trial.fingersMs, 0)} ms`
    log(`  join ${i + 1}/${trials}: ${times}`)
    results.push(trial)
  }
  return { peers, trials: results }
}

/**
 * Time one join on a converged ring, then make the peer leave gracefully and re-converge so every trial starts
 * from the same ring size. Polls every 5 ms.
 */
async function joinOnce (net: Testnet): Promise<JoinTrial> {
  const t0 = performance.now()
  const peer = await net.add()
  const admittedMs = performance.now() - t0
  const ids = sortedIds(net)
  let ringMs: number | undefined
  let fingersMs: number | undefined
  try {
    await waitFor(() => {
      const now = performance.now() - t0
      if (ringMs === undefined && net.ringCorrect()) ringMs = now
      if (fingersMs === undefined && fingersComplete(peer, ids)) fingersMs = now
      return ringMs !== undefined && fingersMs !== undefined
    }, { timeoutMs: 60_000, intervalMs: 5, what: 'the new peer to be fully joined' })
  } finally {
    await net.remove(peer, { leave: true })
  }
  await converge(net, () => {})
  return { admittedMs, ringMs: ringMs!, fingersMs: fingersMs! }
}

// ---- report ---------------------------------------------------------------------------------------------------

/** The measured figures against their targets and references. */
export function ringMarkdown (r: RingBenchResult): string {
  const h = r.hops
  const l = r.latency
  const half = 0.5 * Math.log2(h.peers)
  // Chord ToN's path length when the successor list (r entries) is used for routing too.
  const withList = half - 0.5 * Math.log2(DEFAULT_SETTINGS.r) + 1
  const rpc = l.findSuccessorMs.p50
  const admitted = r.join.trials.map(t => t.admittedMs)
  const ring = r.join.trials.map(t => t.ringMs)
  const fingers = r.join.trials.map(t => t.fingersMs)
  const mm = (xs: number[]): string => `${fmt(median(xs), 0)} / ${fmt(Math.max(...xs), 0)}`
  const ok = (pass: boolean): string => (pass ? 'met' : '**missed**')
  const intervals = `${DEFAULT_INTERVALS.stabilizeIntervalMs}/${DEFAULT_INTERVALS.fixFingersIntervalMs}/` +
    `${DEFAULT_INTERVALS.checkPredecessorIntervalMs} ms`
  return [
    '| measure | result | target / reference |',
    '|---|---|---|',
    `| lookup hops, N = ${h.peers}, ${h.keys} keys: mean / p50 / p99 / max | ${fmt(h.hops.mean)} / ${h.hops.p50} / ${h.hops.p99} / ` +
      `${h.hops.max} | ½·log2 N = ${fmt(half)}; ½·log2 N − ½·log2 r + 1 = ${fmt(withList)} (r = ${DEFAULT_SETTINGS.r}); ` +
      `mean ≤ ${fmt(half + 1)}: ${ok(h.hops.mean <= half + 1)} |`,
    `| lookups with a wrong owner (oracle) | ${h.wrong} of ${h.keys} | 0: ${ok(h.wrong === 0)} |`,
    `| lookup latency, N = ${l.peers}, ${l.lookups} warm lookups: p50 / p99 / max ms | ` +
      `${fmt(l.lookupMs.p50)} / ${fmt(l.lookupMs.p99)} / ${fmt(l.lookupMs.max)} | p50 < 10 ms: ${ok(l.lookupMs.p50 < 10)} |`,
    `| hops in those lookups: mean / p99 (wrong owners) | ${fmt(l.hops.mean)} / ${l.hops.p99} (${l.wrong}) | ` +
      `½·log2 N = ${fmt(0.5 * Math.log2(l.peers))} |`,
    `| libp2p ping (new stream each), p50 / p99 ms | ${fmt(l.pingMs.p50)} / ${fmt(l.pingMs.p99)} | |`,
    `| chord GET_STATE rpc (pooled stream), p50 / p99 ms | ${fmt(l.getStateMs.p50)} / ${fmt(l.getStateMs.p99)} | |`,
    `| chord FIND_SUCCESSOR rpc (pooled stream), p50 / p99 ms | ${fmt(l.findSuccessorMs.p50)} / ${fmt(l.findSuccessorMs.p99)} | |`,
    `| lookup p50 ÷ (mean hops × FIND_SUCCESSOR p50) | ${fmt(l.lookupMs.p50 / (l.hops.mean * rpc))} | ≈ 1 if a lookup is its rpcs |`,
    `| join into N = ${r.join.peers} at ${intervals}, ${r.join.trials.length} trials: admitted, median / max ms | ${mm(admitted)} | |`,
    `| … ring correct again (predecessor points at it), median / max ms | ${mm(ring)} | the predecessor's next stabilize |`,
    `| … own finger table complete, median / max ms | ${mm(fingers)} | |`,
    `| idle CPU of the process (all peers, % of one core): N = ${h.peers} / N = ${l.peers} | ` +
      `${fmt(h.idleCpu, 0)} % / ${fmt(l.idleCpu, 0)} % | |`
  ].join('\n')
}

/** How the run went: ring build and convergence, the cold lookups, and the conditions of the latency pass. */
export function ringDetails (r: RingBenchResult): string {
  const h = r.hops
  const l = r.latency
  return [
    '| run detail | value |',
    '|---|---|',
    `| hops ring: peers, built ${JOIN_BATCH} joins at a time with stabilize rounds after each batch, s | ${h.peers}, ${fmt(h.buildS, 1)} |`,
    `| … fix_fingers rounds until every finger equals the oracle, s | ${h.fingerRounds}, ${fmt(h.fingersS, 1)} |`,
    `| hop-count lookups (cold connections): total s, ms each | ${fmt(h.lookupsS, 1)}, ${fmt(h.lookupsS * 1000 / h.keys, 0)} |`,
    `| connections open after them | ${fmt(h.connections, 0)} |`,
    `| connections in the process before / after the measured latency pass | ${l.connectionsBefore} / ${l.connectionsAfter} |`,
    `| event-loop delay in the measured latency pass: p99 / max ms | ${fmt(l.loopDelayP99Ms, 1)} / ${fmt(l.loopDelayMaxMs, 1)} |`
  ].join('\n')
}
