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
// `ring --check` samples; leader changes; why puts failed.
// Partition: two network namespaces (root and `ip netns` needed; skipped visibly otherwise), the link between them
// down for `--split` seconds (default 30), then up: time to one ring, one leader and one version of every name;
// moments with two acting leaders; whether the minority admitted a joiner.
// `--churn`, `--mass`, `--partition` run only those parts; each part rewrites its own section of the results file.
import '../src/polyfill.js'
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Processes, type Daemon } from '../harness/processes.js'
import { pseudoRandom, collect } from '../harness/bytes.js'
import { waitFor } from '../src/testnet.js'
import { sleep } from '../src/lifecycle.js'
import { Prng } from '../sim/prng.js'
import { DAEMON_NODE_FLAGS } from './lib/children.js'
import { startS3rver, type S3Fixture } from '../test/utils/s3-fixture.js'
import { auth } from './lib/http.js'
import { machine } from './lib/report.js'
import { compareVersions } from '../src/files/record.js'
import type { FileJson, LeaderJson, LocateJson, PutJson, RingJson, StatusJson } from '../src/api/types.js'

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
  /** Why each failed put failed (status and message, or the client's error), the first 20. */
  putErrors: string[]
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
      putErrors: [], lost: 0, ringChecks: 0, ringOk: 0, leaderChanges: 0
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
    const failedPut = (why: string): void => {
      row.putsFailed++
      if (row.putErrors.length < 20) row.putErrors.push(`${((performance.now() - start) / 1000).toFixed(1)} s: ${why}`)
    }
    const start = performance.now()
    const putter = (async () => {
      for (let i = 0; performance.now() < until; i++) {
        const via = entry()
        row.puts++
        try {
          const res = await fetch(`${via.apiUrl}/api/files/churn-${i}.txt`, {
            method: 'PUT', headers: auth(via), body: churnBody(i), signal: AbortSignal.timeout(20_000)
          })
          if (res.status === 201) acked.push(i)
          else failedPut(`${res.status} ${(await res.text()).slice(0, 200)}`)
        } catch (err) {
          failedPut(`${(err as Error).name}: ${(err as Error).message}`)
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
        console.log(`  ${((performance.now() - start) / 1000).toFixed(1)} s: SIGKILL ${victim.peerId}`)
        await procs.kill(victim, 'SIGKILL')
      } else {
        console.log(`  ${((performance.now() - start) / 1000).toFixed(1)} s: a peer joins`)
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

// ---- a partition between network namespaces --------------------------------------------------------------

/**
 * Two network namespaces joined by a bridge in this one (all links are veth pairs inside this machine; the
 * addresses are from 198.18.0.0/15, the range set aside for benchmarks): side A is 198.18.0.1, side B
 * 198.18.0.2; every daemon of a side listens there on its own port. `cut` takes the bridge's ends of both links
 * down, so packets between the sides are dropped silently (TCP times out, as across a failed switch) while each
 * side still reaches itself; `heal` brings them up. Each side also has a link of its own to this namespace
 * (198.18.1.1 and 198.18.2.1) on which its daemons serve the HTTP API, so the benchmark polls both sides
 * throughout. Needs root (`ip netns`); `available` says whether this machine lets us.
 */
class Namespaces {
  readonly tag = `cp${process.pid % 100_000}`
  readonly sides = [
    { ns: `${this.tag}a`, host: '198.18.0.1', api: '198.18.1.1', apiNet: '198.18.1.254/24' },
    { ns: `${this.tag}b`, host: '198.18.0.2', api: '198.18.2.1', apiNet: '198.18.2.254/24' }
  ] as const

  private ip (...args: string[]): void {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  }

  static available (): boolean {
    try {
      execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' })
      return process.getuid?.() === 0
    } catch {
      return false
    }
  }

  /** Removes the namespaces also when the run is interrupted (Ctrl-C, a kill) or exits early. */
  private readonly atExit = (): void => { this.down() }
  private readonly onSignal = (): void => { process.exit(130) }

  up (): void {
    process.once('exit', this.atExit)
    process.once('SIGINT', this.onSignal)
    process.once('SIGTERM', this.onSignal)
    const br = `${this.tag}br`
    this.ip('link', 'add', br, 'type', 'bridge')
    this.ip('link', 'set', br, 'up')
    for (const [i, side] of this.sides.entries()) {
      const [data, dataOut, api, apiOut] = [`${this.tag}d${i}`, `${this.tag}D${i}`, `${this.tag}c${i}`, `${this.tag}C${i}`]
      this.ip('netns', 'add', side.ns)
      this.ip('-n', side.ns, 'link', 'set', 'lo', 'up')
      this.ip('link', 'add', data, 'type', 'veth', 'peer', 'name', dataOut)
      this.ip('link', 'set', data, 'netns', side.ns)
      this.ip('link', 'set', dataOut, 'master', br)
      this.ip('link', 'set', dataOut, 'up')
      this.ip('-n', side.ns, 'addr', 'add', `${side.host}/24`, 'dev', data)
      this.ip('-n', side.ns, 'link', 'set', data, 'up')
      this.ip('link', 'add', api, 'type', 'veth', 'peer', 'name', apiOut)
      this.ip('link', 'set', api, 'netns', side.ns)
      this.ip('-n', side.ns, 'addr', 'add', `${side.api}/24`, 'dev', api)
      this.ip('-n', side.ns, 'link', 'set', api, 'up')
      this.ip('addr', 'add', side.apiNet, 'dev', apiOut)
      this.ip('link', 'set', apiOut, 'up')
    }
  }

  cut (): void {
    for (const i of this.sides.keys()) this.ip('link', 'set', `${this.tag}D${i}`, 'down')
  }

  heal (): void {
    for (const i of this.sides.keys()) this.ip('link', 'set', `${this.tag}D${i}`, 'up')
  }

  /** Remove both namespaces (their ends of the veth pairs go with them, and so do ours) and the bridge. */
  down (): void {
    process.off('exit', this.atExit)
    process.off('SIGINT', this.onSignal)
    process.off('SIGTERM', this.onSignal)
    const quietly = (...args: string[]): void => { try { this.ip(...args) } catch { /* already gone */ } }
    for (const side of this.sides) quietly('netns', 'del', side.ns)
    quietly('link', 'del', `${this.tag}br`)
  }

  /** Daemon options that run it inside side `i`. */
  options (i: 0 | 1): { wrap: string[], host: string, apiHost: string, nodeFlags: string[], timeoutMs: number } {
    const side = this.sides[i]
    return { wrap: ['ip', 'netns', 'exec', side.ns], host: side.host, apiHost: side.api, nodeFlags: DAEMON_NODE_FLAGS, timeoutMs: 60_000 }
  }
}

interface PartitionRow {
  seconds: number
  /** The side the leader was on when the link went down. */
  leaderSide: 'majority' | 'minority'
  sideRingsMs: number
  ringMs: number
  viewMs: number
  filesMs: number
  names: number
  /** Names written on both sides during the split, and of them those that ended at the newer version. */
  both: number
  bothNewest: number
  /** Names that read other than their newest version (not counting a both-sides name that kept the other side's). */
  wrong: number
  lost: number
  minorityAdmitted: boolean
  polls: number
  doubleLeader: number
}

/**
 * 16 processes in two network namespaces: side A holds 2 supernodes and 6 peers, side B 1 supernode and 7 peers.
 * 32 names are written and at 3 copies; then the link between the sides goes down for `seconds`. During the split
 * each side writes 8 new names, 8 names are written on both sides (new on each, with different content), every
 * old name is updated by its owner (on its side), and a new peer tries to join through side B's supernode. After
 * the heal: time until `ring --check` passes from every node with all 16 in the walk; until one acting leader that
 * every supernode follows lists all 16 in its view; until every name is at one version on 3 holders and reads the
 * same from a random node. Throughout, the 3 supernodes' /api/leader is polled as fast as they answer: a round in
 * which two say they act counts a moment with two acting leaders.
 */
async function partition (seconds: number, seed: number): Promise<PartitionRow> {
  const procs = new Processes()
  const net = new Namespaces()
  const rng = new Prng(seed)
  let polling = true
  let started: Daemon[] = []
  try {
    net.up()
    const [A, B] = [net.options(0), net.options(1)]
    const boot = await procs.daemon(['--bootstrap', '--k', String(K)], A)
    const sideA = [boot, await procs.supernode(boot, [], A)]
    const sideB = [await procs.supernode(boot, [], B)]
    const join = async (side: typeof A): Promise<Daemon> => await procs.daemon(['--connect', boot.multiaddr], side)
    sideA.push(...await Promise.all(Array.from({ length: 6 }, async () => join(A))))
    sideB.push(...await Promise.all(Array.from({ length: 7 }, async () => join(B))))
    const nodes = [...sideA, ...sideB]
    started = nodes
    const supers = [sideA[0], sideA[1], sideB[0]]
    await waitFor(async () => (await Promise.all(nodes.map(async n => ringOk(n, NODES)))).every(Boolean),
      { timeoutMs: 120_000, intervalMs: 500, what: `a ring of ${NODES} across both namespaces` })
    const leaders = async (): Promise<Array<LeaderJson | undefined>> =>
      Promise.all(supers.map(async n => get<LeaderJson>(n, '/api/leader')))
    await waitFor(async () => (await leaders()).filter(l => l?.acting === true && l.role === 'leader').length === 1,
      { timeoutMs: 30_000, what: 'an acting leader' })

    const t0 = performance.now()
    let polls = 0
    let doubleLeader = 0
    const poller = (async () => {
      while (polling) {
        const asked = performance.now()
        const ls = await leaders()
        const acting = ls.filter(l => l?.acting === true && l.role === 'leader')
        polls++
        if (acting.length > 1) {
          doubleLeader++
          const when = `${(asked - t0).toFixed(0)}–${(performance.now() - t0).toFixed(0)} ms`
          console.log(`  two acting leaders in one poll (${when}): ` +
            ls.map((l, i) => `${supers[i].peerId.slice(-6)} ${l?.role ?? '?'} epoch ${l?.epoch ?? '?'} acting ${String(l?.acting)}`)
              .join('; '))
        }
        await sleep(5)
      }
    })()

    /** Every name's newest version and body, and the bodies of the versions it replaced. */
    const expected = new Map<string, { body: Buffer, version: FileJson['version'], older: Buffer[] }>()
    const owner = new Map<string, Daemon>()
    const put = async (via: Daemon, name: string, text: string): Promise<FileJson['version']> => {
      const body = Buffer.from(text.repeat(64))
      const res = await fetch(`${via.apiUrl}/api/files/${name}`,
        { method: 'PUT', headers: auth(via), body, signal: AbortSignal.timeout(20_000) })
      if (res.status !== 201) throw new Error(`put ${name} through ${via.peerId}: ${res.status} ${await res.text()}`)
      const version = (await res.json() as PutJson).file.version
      const before = expected.get(name)
      if (before === undefined) expected.set(name, { body, version, older: [] })
      else if (compareVersions(version, before.version) > 0) expected.set(name, { body, version, older: [...before.older, before.body] })
      else before.older.push(body)
      return version
    }
    const olds = Array.from({ length: 32 }, (_, i) => `old-${i}.txt`)
    for (const name of olds) {
      const via = nodes[rng.int(nodes.length)]
      owner.set(name, via)
      await put(via, name, `${name} first version `)
    }
    await waitFor(async () => {
      for (const name of olds) {
        const loc = await get<LocateJson>(boot, `/api/locate/${name}`)
        if (loc === undefined || loc.holders.filter(h => h.has).length !== K) return false
      }
      return true
    }, { timeoutMs: 60_000, intervalMs: 500, what: 'every name at 3 copies before the split' })

    const leaderBefore = (await get<LeaderJson>(boot, '/api/leader'))?.leader?.peerId
    const leaderSide = sideB.some(n => n.peerId === leaderBefore) ? 'minority' : 'majority'
    const cut = performance.now()
    console.log(`  cut at ${(cut - t0).toFixed(0)} ms`)
    net.cut()
    await waitFor(async () => (await Promise.all([
      ...sideA.map(async n => ringOk(n, sideA.length)), ...sideB.map(async n => ringOk(n, sideB.length))
    ])).every(Boolean), { timeoutMs: 60_000, intervalMs: 250, what: 'a ring on each side' })
    const sideRingsMs = performance.now() - cut

    const pick = (side: Daemon[]): Daemon => side[rng.int(side.length)]
    for (let i = 0; i < 8; i++) {
      await put(pick(sideA), `a-new-${i}.txt`, `a-new-${i} written on side A `)
      await put(pick(sideB), `b-new-${i}.txt`, `b-new-${i} written on side B `)
      const [first, second] = i % 2 === 0 ? [sideA, sideB] : [sideB, sideA]
      await put(pick(first), `both-${i}.txt`, `both-${i} written first, on side ${first === sideA ? 'A' : 'B'} `)
      await put(pick(second), `both-${i}.txt`, `both-${i} written second, on side ${second === sideA ? 'A' : 'B'} `)
    }
    for (const name of olds) await put(owner.get(name)!, name, `${name} updated by its owner during the split `)

    // The minority side admits no one: a new peer that reaches only side B's supernode.
    const joiner = await procs.daemon(['--connect', sideB[0].multiaddr, '--join-timeout', '5'], B).then(
      async d => { await procs.kill(d, 'SIGKILL'); return true },
      () => false)
    const left = seconds * 1000 - (performance.now() - cut)
    if (left > 0) await sleep(left)

    const healed = performance.now()
    console.log(`  healed at ${(healed - t0).toFixed(0)} ms`)
    net.heal()
    await waitFor(async () => (await Promise.all(nodes.map(async n => ringOk(n, NODES)))).every(Boolean),
      { timeoutMs: 120_000, intervalMs: 250, what: 'one ring after the heal' })
    const ringMs = performance.now() - healed
    await waitFor(async () => {
      const ls = await leaders()
      const acting = ls.filter(l => l?.acting === true && l.role === 'leader')
      return acting.length === 1 && acting[0]!.view.members === NODES &&
        ls.every(l => l?.leader?.peerId === acting[0]!.leader?.peerId)
    }, { timeoutMs: 120_000, intervalMs: 250, what: 'one leader that every supernode follows, whose view lists all 16' })
    const viewMs = performance.now() - healed
    await waitFor(async () => {
      for (const name of expected.keys()) {
        const loc = await get<LocateJson>(pick(nodes), `/api/locate/${name}`)
        if (loc?.file === undefined || loc.holders.filter(h => h.has).length !== K) return false
        if (loc.holders.some(h => h.version !== undefined && compareVersions(h.version, loc.file!.version) !== 0)) return false
      }
      return true
    }, { timeoutMs: 120_000, intervalMs: 250, what: 'every name at one version on 3 holders' })
    const filesMs = performance.now() - healed
    polling = false
    await poller

    let wrong = 0
    let lost = 0
    let bothNewest = 0
    for (const [name, { body, older }] of expected) {
      const answers = await Promise.all(nodes.map(async via => {
        const res = await fetch(`${via.apiUrl}/api/files/${name}`, { headers: auth(via) }).catch(() => undefined)
        return res?.status === 200 ? Buffer.from(await res.arrayBuffer()) : undefined
      }))
      if (answers.some(a => a === undefined)) { lost++; continue }
      if (!answers.every(a => a!.equals(answers[0]!))) throw new Error(`${name}: the nodes read different bytes`)
      if (answers[0]!.equals(body)) {
        if (name.startsWith('both-')) bothNewest++
      } else if (!name.startsWith('both-') || !older.some(o => o.equals(answers[0]!))) {
        wrong++ // a lost update, or bytes nobody wrote
      }
    }
    return {
      seconds, leaderSide, sideRingsMs, ringMs, viewMs, filesMs, names: expected.size, both: 8, bothNewest, wrong, lost,
      minorityAdmitted: joiner, polls, doubleLeader
    }
  } finally {
    polling = false
    // CHAOS_LOG_DIR=<dir> keeps every daemon's output there (with DEBUG=chord-peer:* for the ring's debug lines).
    const keep = process.env.CHAOS_LOG_DIR
    if (keep !== undefined) {
      await mkdir(keep, { recursive: true })
      for (const [i, d] of started.entries()) {
        await writeFile(join(keep, `${seed}-${i < 8 ? 'A' : 'B'}${i}-${d.peerId.slice(-6)}.log`), d.output())
      }
    }
    await procs.stopAll()
    net.down()
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

function partitionTable (rows: PartitionRow[]): string[] {
  const sec = (ms: number): string => (ms / 1000).toFixed(1)
  return [
    '| split for | leader was on | a ring on each side | one ring after the heal | one leader, full view | ' +
      'every name at one version | names both sides wrote: newer version kept | wrong / lost names | ' +
      'minority admitted a joiner | moments with two acting leaders |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(r => `| ${r.seconds} s | ${r.leaderSide} side | ${sec(r.sideRingsMs)} s | ${sec(r.ringMs)} s | ${sec(r.viewMs)} s | ` +
      `${sec(r.filesMs)} s | ${r.bothNewest} of ${r.both} | ${r.wrong} / ${r.lost} of ${r.names} | ` +
      `${r.minorityAdmitted ? 'yes' : 'no'} | ${r.doubleLeader} in ${r.polls} polls |`)
  ]
}

/** Replace the `## title` section of the results file with `body` (the other sections stay as the last run left them). */
async function writeSection (file: URL, title: string, body: string): Promise<void> {
  const old = await readFile(file, 'utf8').catch(() => '# Chaos benchmark results\n')
  const sections = old.split(/^(?=## )/m)
  const at = sections.findIndex(part => part.startsWith(`## ${title}`))
  const part = `## ${title}\n\n${body.trimEnd()}\n\n`
  if (at === -1) sections.push(part)
  else sections[at] = part
  await writeFile(file, sections.join(''))
}

const quick = process.argv.includes('--quick')
const files = quick ? 32 : 128
const t0 = performance.now()
const minutes = Number(process.argv[process.argv.indexOf('--minutes') + 1]) || (quick ? 0.5 : 5)
const splitS = Number(process.argv[process.argv.indexOf('--split') + 1]) || (quick ? 15 : 30)
const chosen = ['--churn', '--mass', '--partition'].filter(flag => process.argv.includes(flag))
const runs = (part: string): boolean => chosen.length === 0 || chosen.includes(part)
const results = new URL('./chaos-results.md', import.meta.url)
const s = (ms: number): string => (ms / 1000).toFixed(1)
const stamp = (part: string, ms: number): string =>
  `Command: \`node --import tsx --import ./src/polyfill.ts bench/chaos.ts ${part}${quick ? ' --quick' : ''}` +
  `${part === '--churn' ? ` --minutes ${minutes}` : part === '--partition' ? ` --split ${splitS}` : ''}\` ` +
  '(after `npm run build`; the partition as root)\n' +
  `Date: ${new Date().toISOString()}; this part ${s(ms)} s\nMachine: ${machine()}\n` +
  'Default timers (stabilize 1 s, check_predecessor 2 s, replica pass 10 s or on a ring change), k = 3. ' +
  'What each column measures: BENCHMARKS.md, "Partitions (issue 13)".\n'

if (runs('--churn')) {
  const t = performance.now()
  const churnRows: ChurnRow[] = []
  for (const [everyS, seed] of [[10, 11], [5, 12], [2, 13]] as const) {
    const r = await churn(everyS, minutes, seed)
    console.log(JSON.stringify(r))
    churnRows.push(r)
  }
  const body = `${stamp('--churn', performance.now() - t)}\n${churnTable(churnRows).join('\n')}\n\nWhy puts failed:\n\n` +
    churnRows.map(r => `- one event every ${r.everyS} s: ${r.putErrors.length === 0 ? 'none failed' : r.putErrors.join('; ')}`).join('\n')
  console.log(body)
  if (!quick) await writeSection(results, `Churn under put/get load (${NODES} processes, the 3 supernodes stay)`, body)
}

if (runs('--mass')) {
  const t = performance.now()
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
  const body = `${stamp('--mass', performance.now() - t)}
${FILE_BYTES / 1024} KiB files put through random nodes; S3: s3rver on 127.0.0.1, every upload done before the kill.

| killed | S3 | supernodes among them | ring --check passes everywhere | files that can come back at 3 copies | lost: model / measured |
|---|---|---|---|---|---|
${rows.map(r => `| ${r.killed} of ${r.of} | ${r.s3 ? 'yes' : 'no'} | ${r.supernodesKilled} of ${SUPERNODES} | ` +
  `${s(r.ringMs)} s | ${s(r.copiesMs)} s | ` +
  `${r.lostModel} / ${r.lost} of ${r.files} |`).join('\n')}`
  console.log(body)
  if (!quick) await writeSection(results, `Mass failure: SIGKILL of a share of ${NODES} processes at once`, body)
}

if (runs('--partition')) {
  if (!Namespaces.available()) {
    console.log('partition: skipped, `ip netns` needs root on Linux')
  } else {
    const t = performance.now()
    const rows: PartitionRow[] = []
    for (const seed of quick ? [21] : [21, 22, 23]) {
      const r = await partition(splitS, seed)
      console.log(JSON.stringify(r))
      rows.push(r)
    }
    const body = `${stamp('--partition', performance.now() - t)}
Two network namespaces joined by a bridge; the link goes down for the time in the first column (packets dropped
silently). Side A: 2 supernodes and 6 peers; side B: 1 supernode and 7 peers.

${partitionTable(rows).join('\n')}`
    console.log(body)
    if (!quick) await writeSection(results, 'Partition between network namespaces', body)
  }
}
console.log(`whole run ${s(performance.now() - t0)} s`)
process.exit(0)
