// Floods (issue 10): what a hostile member, and an outsider, can make a node hold and how well it keeps answering
// its API meanwhile. Every flood, and the idle baseline, runs against a victim of its own, fresh: a real
// `chord-peer` daemon (bin/chord-peer.js, the compiled dist/ tree: `npm run build` first) with the daemon's node
// flags, a supernode founding a ring, k = 1, holding a few files written through its HTTP API. So a row's RSS is
// the node's own (no tsx) and that flood's alone. In this process a hostile member joins the victim's ring
// (createPeer: an admitted node whose libp2p host opens raw streams with the project's codecs), and an outsider
// stands by (a bare libp2p host of src/net/host.ts, never admitted). Each flood runs for DURATION_MS; every row
// gives the victim's resident set before it, its peak during it, and the p99 and max latency of
// `GET /api/status`, asked one after another throughout by a process of its own (lib/poll-status.ts).
// Run when `uptime` shows a load average below 1.5 (other benchmarks skew the figures):
//   npm run build && node --import tsx --import ./src/polyfill.ts bench/floods.ts [--quick] [--only <word>] [--seconds <n>]
// --only runs the baseline and the floods whose name contains the word; --seconds sets how long each runs.
// Results go to stdout and, unless --quick, to bench/floods-results.md; BENCHMARKS.md says how to read them.
import '../src/polyfill.js'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { Processes, type Daemon } from '../harness/processes.js'
import { ChordRequest, ChordResponse } from '../protocols/chord.js'
import { IndexRequest, IndexResponse, StoreHeader } from '../protocols/files.js'
import { MembershipRequest, MembershipResponse } from '../protocols/membership.js'
import { CHORD_PROTOCOL } from '../src/chord/messenger.js'
import { DEFAULT_LIMITS as CHORD_LIMITS } from '../src/chord/service.js'
import { FETCH_PROTOCOL, MAX_FETCH_REQUEST_BYTES } from '../src/files/fetch.js'
import { FRAME_BYTES, MAX_HEADER_BYTES } from '../src/files/frames.js'
import { sha256Hex } from '../src/files/hashing.js'
import { INDEX_LIMITS, INDEX_PROTOCOL } from '../src/files/index-protocol.js'
import { STORE_PROTOCOL } from '../src/files/store.js'
import { recordToWire } from '../src/files/wire.js'
import { MEMBERSHIP_LIMITS, MEMBERSHIP_PROTOCOL } from '../src/membership/client.js'
import { createHost, type Host } from '../src/net/host.js'
import { newKey } from '../src/net/identity.js'
import { request, RpcClient, type Codec, type RpcLimits } from '../src/net/rpc.js'
import { createPeer, type Peer } from '../src/peer.js'
import { placementOf } from '../sim/oracle.js'
import { DAEMON_NODE_FLAGS, makeTempDir, message, removeTempDir, ROOT, runMain, spawnChild, stopChild } from './lib/children.js'
import { getJson, putFile } from './lib/http.js'
import { measure, memoryOf } from './lib/measure.js'
import { codeVersion, machine, MB } from './lib/report.js'
import { fmt, summarize } from './lib/stats.js'
import type { StatusJson } from '../src/api/types.js'
import type { Stream } from '@libp2p/interface'

const argv = process.argv.slice(2)
const flag = (name: string): string | undefined => argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined
const QUICK = argv.includes('--quick')
const ONLY = flag('--only')
/** How long each flood runs. */
const DURATION_MS = flag('--seconds') !== undefined ? Number(flag('--seconds')) * 1000 : QUICK ? 3_000 : 10_000
/** Files the victim holds (VERIFY makes it hash them whole). */
const FILES = 4
const FILE_BYTES = 8 * 1024 * 1024
/** Concurrent requests of a request flood. */
const WORKERS = 128
/** Peak RSS target of the victim, bytes (issue 10). */
const TARGET_RSS = 300 * MB
/** The API must answer within this. */
const TARGET_API_MS = 1_000
const LISTEN = ['/ip4/127.0.0.1/tcp/0']
/** The process that times `GET /api/status` (apart from this one, which floods). */
const POLLER = join(ROOT, 'bench', 'lib', 'poll-status.ts')

/** What one flood runs against: its fresh victim, the hostile member of the victim's ring and the outsider. */
interface Setup {
  victim: Daemon
  addr: Multiaddr
  hostile: Peer
  outsider: Host
  /** Keys of the files the victim holds (it owns them: k = 1). */
  keys: Array<Uint8Array<ArrayBuffer>>
}
interface Flood { name: string, from: 'member' | 'outsider' | '–', run: (s: Setup) => Promise<string> }
interface Row {
  flood: string
  from: Flood['from']
  before: number
  peak: number
  /** CPU seconds the victim, and this process (the flooders), used during the flood. */
  cpu: number
  flooderCpu: number
  p99: number
  max: number
  failedApi: number
  note: string
}

/** Empty-message defaults of a protons type (every field), to spread a request's own fields over. */
const blank = <T>(codec: { decode: (b: Uint8Array) => T }): T => codec.decode(new Uint8Array(0))

const varint = (n: number): number[] => {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return out
}
const frame = (body: Uint8Array): Uint8Array => Uint8Array.from([...varint(body.length), ...body])
/** A frame's length prefix for `length` bytes and all but the last of them: a frame the reader waits to finish. */
const partial = (length: number): Uint8Array => Uint8Array.from([...varint(length), ...new Uint8Array(length - 1).fill(7)])
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/**
 * Open `count` streams of `protocol` from `host` and send `bytes()` on each, adding them to `held`; how many
 * could not be opened (libp2p's limit of inbound streams per connection and protocol refuses the rest).
 */
async function hold (
  host: Host | Peer['host'], to: Multiaddr, protocol: string, count: number, bytes: () => Uint8Array, held: Stream[]
): Promise<string> {
  let refused = 0
  for (let i = 0; i < count; i++) {
    let stream: Stream
    try {
      stream = await host.dialProtocol(to, protocol, { signal: AbortSignal.timeout(5_000) })
    } catch {
      refused++
      continue
    }
    held.push(stream)
    try {
      if (!stream.send(bytes())) await stream.onDrain({ signal: AbortSignal.timeout(1_000) }).catch(() => {})
    } catch { /* reset by the victim already */ }
  }
  return `${count} ${protocol.split('/')[2]}${refused > 0 ? ` (${refused} not opened)` : ''}`
}

/** After `ms`: how many of `held` the victim reset and how many it still held open; then every one is aborted. */
async function release (held: Stream[], ms: number): Promise<string> {
  await sleep(ms)
  const reset = held.filter(s => s.status === 'reset').length
  const open = held.filter(s => s.status === 'open').length
  const other = held.length - reset - open
  for (const s of held) if (s.status === 'open') s.abort(new Error('flood over'))
  return `of ${held.length} opened, ${reset} reset by the victim, ${open} held open to the end` +
    (other > 0 ? `, ${other} ended otherwise (${[...new Set(held.map(s => s.status))].join(', ')})` : '')
}

/**
 * `WORKERS` loops of `ask` until `ms` passed: answered; reset (the stream opened, the victim reset it); not
 * opened (no stream: the victim closed the connection or refused a new one; RpcClient says "cannot open"); other
 * failures. And how many connections `host` opened to the victim meanwhile.
 */
async function flood (host: Host | Peer['host'], ms: number, ask: () => Promise<unknown>): Promise<string> {
  const deadline = Date.now() + ms
  let answered = 0
  let refused = 0
  let notOpened = 0
  let other = 0
  let connections = 0
  const counted = (): void => { connections++ }
  host.addEventListener('connection:open', counted)
  try {
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      while (Date.now() < deadline) {
        try {
          await ask()
          answered++
        } catch (err) {
          if ((err as Error).name !== 'UnreachableError') other++
          else if ((err as Error).message.startsWith('cannot open')) notOpened++
          else refused++
        }
      }
    }))
  } finally {
    host.removeEventListener('connection:open', counted)
  }
  return `${answered} answered, ${refused} reset, ${notOpened} not opened` + (other > 0 ? `, ${other} other failures` : '') +
    `; ${connections} new connections`
}

const storeHeader = (name: string, writer: string): Uint8Array => {
  const now = Date.now()
  const record = {
    name, key: sha256Hex(name), size: 0, hash: '', chunkSize: 1 << 20, chunkHashes: [], tombstone: false, contentType: '',
    version: { time: now, counter: 0, writer }, created: now, modified: now, signature: ''
  }
  return frame(StoreHeader.encode({ record: recordToWire(record), chain: [] }))
}
let n = 0
const headerAndFrame = (s: Setup) => (): Uint8Array =>
  Uint8Array.from([...storeHeader(`partial-${n++}`, s.hostile.peerId), ...partial(FRAME_BYTES)])

/** A request flood of the index protocol from the hostile member, on pooled streams as a node asks. */
const indexFlood = (fields: (s: Setup, i: number) => Partial<IndexRequest>) => async (s: Setup): Promise<string> => {
  const index = new RpcClient<IndexRequest, IndexResponse>({
    host: s.hostile.host,
    protocol: INDEX_PROTOCOL,
    request: IndexRequest,
    response: IndexResponse,
    limits: INDEX_LIMITS,
    maxIdlePerPeer: WORKERS
  })
  const target = [s.addr]
  let i = 0
  try {
    return await flood(s.hostile.host, DURATION_MS, async () => await index.request(target, { ...blank(IndexRequest), ...fields(s, i++) }))
  } finally {
    index.close()
  }
}

const once = <Req, Res>(s: Setup, protocol: string, req: Req, codecs: { request: Codec<Req>, response: Codec<Res> }, limits: RpcLimits) =>
  async (): Promise<Res> => await request(s.outsider, [s.addr], protocol, req, codecs, limits)

const FLOODS: Flood[] = [
  { name: 'idle (the baseline)', from: '–', run: async () => { await sleep(DURATION_MS); return 'no flood' } },
  {
    name: 'partial frames just under the limits: 32 store (a data frame), 32 fetch, 64 index streams, one connection',
    from: 'member',
    run: async s => {
      const held: Stream[] = []
      const notes = [
        await hold(s.hostile.host, s.addr, STORE_PROTOCOL, 32, headerAndFrame(s), held),
        await hold(s.hostile.host, s.addr, FETCH_PROTOCOL, 32, () => partial(MAX_FETCH_REQUEST_BYTES), held),
        await hold(s.hostile.host, s.addr, INDEX_PROTOCOL, 64, () => partial(INDEX_LIMITS.maxRequestBytes!), held)
      ]
      return `${notes.join('; ')}; ${await release(held, DURATION_MS)}`
    }
  },
  {
    name: '128 store streams, each a header just under MAX_HEADER_BYTES (64 KiB)',
    from: 'member',
    run: async s => {
      const held: Stream[] = []
      const note = await hold(s.hostile.host, s.addr, STORE_PROTOCOL, 128, () => partial(MAX_HEADER_BYTES), held)
      return `${note}; ${await release(held, DURATION_MS)}`
    }
  },
  {
    name: '128 store streams, each a header and a data frame just under FRAME_BYTES',
    from: 'member',
    run: async s => {
      const held: Stream[] = []
      const note = await hold(s.hostile.host, s.addr, STORE_PROTOCOL, 128, headerAndFrame(s), held)
      return `${note}; ${await release(held, DURATION_MS)}`
    }
  },
  {
    name: `VERIFY flood (${WORKERS} at a time, the victim's ${FILES} files of ${FILE_BYTES / 2 ** 20} MiB)`,
    from: 'member',
    run: indexFlood((s, i) => ({ type: IndexRequest.Type.VERIFY, key: s.keys[i % s.keys.length] }))
  },
  {
    name: `DIGEST flood (${WORKERS} at a time, the whole ring)`,
    from: 'member',
    run: indexFlood(() => ({ type: IndexRequest.Type.DIGEST, after: new Uint8Array(32), upto: new Uint8Array(32) }))
  },
  {
    name: `LIST flood (${WORKERS} at a time, 1 000 records asked)`,
    from: 'member',
    run: indexFlood(() => ({ type: IndexRequest.Type.LIST, upto: new Uint8Array(32).fill(0xff), limit: 1000 }))
  },
  {
    name: `fake LEAVE lists (64 peers × 16 addrs each, ${WORKERS} at a time)`,
    from: 'outsider',
    run: async s => {
      const fakes = await Promise.all(Array.from({ length: 64 }, async () => peerIdFromPrivateKey(await newKey())))
      const addrs = Array.from({ length: 16 }, (_, i) => multiaddr(`/ip4/10.0.${i}.1/tcp/4001`).bytes as Uint8Array<ArrayBuffer>)
      const leave: ChordRequest = {
        ...blank(ChordRequest),
        type: ChordRequest.Type.LEAVE,
        successors: fakes.map(p => ({ peerId: p.toMultihash().bytes as Uint8Array<ArrayBuffer>, addrs, cert: new Uint8Array(0) }))
      }
      const codecs = { request: ChordRequest, response: ChordResponse }
      return await flood(s.outsider, DURATION_MS, once(s, CHORD_PROTOCOL, leave, codecs, CHORD_LIMITS))
    }
  },
  {
    name: 'chord and store streams (64 KiB each), 64 at a time',
    from: 'outsider',
    run: async s => {
      const deadline = Date.now() + DURATION_MS
      let opened = 0
      let reset = 0
      while (Date.now() < deadline) {
        const held: Stream[] = []
        await hold(s.outsider, s.addr, CHORD_PROTOCOL, 32, () => partial(CHORD_LIMITS.maxMessageBytes), held)
        await hold(s.outsider, s.addr, STORE_PROTOCOL, 32, () => partial(MAX_HEADER_BYTES), held)
        await sleep(200)
        opened += held.length
        reset += held.filter(st => st.status === 'reset').length
        for (const st of held) if (st.status === 'open') st.abort(new Error('next wave'))
      }
      return `${opened} streams opened, ${reset} reset by the victim within 200 ms`
    }
  },
  {
    name: `JOIN flood (${WORKERS} at a time)`,
    from: 'outsider',
    run: async s => {
      const joinRequest: MembershipRequest = {
        ...blank(MembershipRequest),
        type: MembershipRequest.Type.JOIN,
        peerId: s.outsider.peerId.toMultihash().bytes as Uint8Array<ArrayBuffer>
      }
      const statuses = new Map<string, number>()
      const codecs = { request: MembershipRequest, response: MembershipResponse }
      const note = await flood(s.outsider, DURATION_MS, async () => {
        const res = await once(s, MEMBERSHIP_PROTOCOL, joinRequest, codecs, MEMBERSHIP_LIMITS)()
        const status = String(res.status)
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
      })
      return `${note} (${[...statuses].map(([st, c]) => `${c} ${st}`).join(', ')})`
    }
  }
]

/** The victims' daemons still running, killed however this process exits. */
const live = new Set<Daemon>()
process.on('exit', () => { for (const d of live) d.proc.kill('SIGKILL') })

/**
 * A fresh victim daemon, the hostile member joined to its ring, the outsider, and the victim's files (names it
 * owns with the hostile member in the ring, so VERIFY of them makes it hash each whole); `check` also makes sure
 * the members-only gate is on (an outsider's chord PING must be reset).
 */
async function setUp (processes: Processes, dir: string, check: boolean): Promise<Setup> {
  const victim = await processes.daemon(['--bootstrap', '--k', '1'], { nodeFlags: DAEMON_NODE_FLAGS, dataDir: dir, timeoutMs: 60_000 })
  live.add(victim)
  const addr = multiaddr(victim.multiaddr)
  const hostile = await createPeer({ connect: [victim.multiaddr], listen: LISTEN, api: false })
  const outsider = await createHost({ privateKey: await newKey(), listen: LISTEN })
  const status = await getJson<StatusJson>(victim, '/api/status')
  const ids = [BigInt('0x' + status.node.id), hostile.chord.self.id]
  const names: string[] = []
  for (let i = 0; names.length < FILES; i++) {
    if (placementOf(ids, sha256Hex(`held-${i}`), 1)[0] === ids[0]) names.push(`held-${i}`)
  }
  for (const name of names) await putFile(victim, name, FILE_BYTES)
  const setup: Setup = { victim, addr, hostile, outsider, keys: names.map(name => Uint8Array.from(Buffer.from(sha256Hex(name), 'hex'))) }
  if (check) {
    const ping = { ...blank(ChordRequest), type: ChordRequest.Type.PING }
    const gated = await request(outsider, [addr], CHORD_PROTOCOL, ping, { request: ChordRequest, response: ChordResponse }, CHORD_LIMITS)
      .then(() => false, () => true)
    if (!gated) throw new Error('an outsider\'s chord PING was answered: the members-only gate is not wired (src/peer.ts)')
  }
  return setup
}

async function tearDown (processes: Processes, s: Setup | undefined): Promise<void> {
  await Promise.resolve(s?.outsider.stop()).catch(() => {})
  await s?.hostile.stop({ leave: false }).catch(() => {})
  if (s !== undefined) live.delete(s.victim)
  await processes.stopAll()
}

async function main (): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'index.js'))) {
    throw new Error('the victims run the compiled tree: `npm run build` first')
  }
  const processes = new Processes()
  const rows: Row[] = []
  for (const f of FLOODS) {
    if (ONLY !== undefined && f.from !== '–' && !f.name.includes(ONLY)) continue
    const dir = await makeTempDir('chord-peer-bench-floods-')
    let setup: Setup | undefined
    try {
      setup = await setUp(processes, dir, rows.length === 0)
      const pid = setup.victim.proc.pid!
      await sleep(2_000) // let the join and the writes settle
      const before = memoryOf(pid)?.rss ?? NaN
      const poller = spawnChild('poller', [setup.victim.apiUrl], POLLER, { CHORD_PEER_API_TOKEN: setup.victim.apiToken })
      await message(poller, 'ready', 30_000)
      const s = setup
      const m = await measure([{ name: 'victim', pid }], async () => await f.run(s))
      poller.proc.stdin!.write('stop\n')
      const { latencies, failed: failedApi } = await message<{ latencies: number[], failed: number }>(poller, 'polled', 30_000)
      await stopChild(poller)
      const st = summarize(latencies)
      const { peak, cpu } = m.procs.find(p => p.name === 'victim')!
      const flooderCpu = m.procs.find(p => p.name === 'bench')!.cpu
      const note = m.error !== undefined ? `FAILED: ${m.error.message}` : m.value ?? ''
      rows.push({ flood: f.name, from: f.from, before, peak, cpu, flooderCpu, p99: st.p99, max: st.max, failedApi, note })
      console.log(`${f.name}: ${fmt(before / MB, 0)} → peak ${fmt(peak / MB, 0)} MB, CPU s victim ${fmt(cpu, 1)} / flooder ` +
        `${fmt(flooderCpu, 1)}, status p99 ${fmt(st.p99, 1)} ms, max ${fmt(st.max, 1)} ms; ${note}`)
      if (process.env.FLOODS_DEBUG !== undefined) console.log(setup.victim.output().split('\n').slice(-40).join('\n'))
    } finally {
      await tearDown(processes, setup)
      await removeTempDir(dir)
    }
  }

  const header = [
    '# Flood benchmark results',
    '',
    'Command: `npm run build && node --import tsx --import ./src/polyfill.ts bench/floods.ts`',
    `Date: ${new Date().toISOString()}; ${machine()}; ${codeVersion()}`,
    `Each flood ran ${DURATION_MS / 1000} s against a victim of its own, started fresh: a \`chord-peer\` daemon of the compiled tree ` +
      `(node ${DAEMON_NODE_FLAGS.join(' ')}), a supernode alone in its ring with k = 1 and ${FILES} files of ` +
      `${FILE_BYTES / 2 ** 20} MiB, ` +
      'and the hostile member; `GET /api/status` was asked one after another throughout by a process of its own. RSS is the ' +
      'daemon\'s own; "before" is taken 2 s after its files were written.',
    ''
  ]
  const lines = [
    '| flood | from | RSS before MB | peak RSS MB | CPU s, victim / flooders | `/api/status` p99 / max ms | failed API calls | ' +
      'what happened |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(r => `| ${r.flood} | ${r.from} | ${fmt(r.before / MB, 0)} | ${fmt(r.peak / MB, 0)} | ` +
      `${fmt(r.cpu, 1)} / ${fmt(r.flooderCpu, 1)} | ` +
      `${fmt(r.p99, 1)} / ${fmt(r.max, 1)} | ${r.failedApi} | ${r.note.replace(/\|/g, '/')} |`)
  ]
  const worst = Math.max(...rows.map(r => r.peak))
  const slowest = Math.max(...rows.map(r => r.max))
  const apiMet = slowest < TARGET_API_MS && rows.every(r => r.failedApi === 0)
  const verdict = [
    '',
    `Highest peak RSS ${fmt(worst / MB, 0)} MB: target < ${fmt(TARGET_RSS / MB, 0)} MB ${worst < TARGET_RSS ? 'met' : 'NOT met'}. ` +
      `Slowest \`/api/status\` ${fmt(slowest, 0)} ms: target < ${TARGET_API_MS} ms ${apiMet ? 'met' : 'NOT met'}.`
  ]
  const text = [...header, ...lines, ...verdict].join('\n') + '\n'
  console.log('\n' + text)
  if (!QUICK && ONLY === undefined && flag('--seconds') === undefined) await writeFile(join(ROOT, 'bench', 'floods-results.md'), text)
}

runMain(main, 20 * 60_000)
