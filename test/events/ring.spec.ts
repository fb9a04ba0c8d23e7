// A ring of real nodes (createTestnet, with the HTTP API): a join, a leave, a leader change, a repair, a crashed
// neighbour and a failing S3 tier each produce their event on the node's `GET /api/events` stream (read with its
// token, parsed by the client's SSE parser) and their line in the daemon's log (startLog over the node's events,
// into a capture).
import assert from 'node:assert/strict'
import { sha256Hex } from '../../src/files/hashing.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { SseParser } from '../../src/client/sse.js'
import { formatLogLine, startLog } from '../../src/log.js'
import { Capture } from '../utils/cli.js'
import { apiFetch } from '../utils/api.js'
import { holdersOf, nameWhere } from '../utils/placement.js'
import { flakyS3, type FlakyS3 } from '../utils/s3-outage.js'
import { waitFor } from '../utils/wait.js'
import { pseudoRandom } from '../../harness/bytes.js'
import type { NodeEventJson, StatusJson } from '../../src/api/types.js'
import type { Peer } from '../../src/peer.js'

/** What one node tells: the events read from its /api/events stream, and its log. */
interface Watch {
  node: Peer
  events: NodeEventJson[]
  log: Capture
  close: () => Promise<void>
}

async function watch (node: Peer): Promise<Watch> {
  const log = new Capture()
  const stopLog = startLog(node.events, { stream: log })
  const controller = new AbortController()
  const events: NodeEventJson[] = []
  const res = await apiFetch(node, '/api/events', { signal: controller.signal })
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
  const parser = new SseParser()
  const reading = (async () => {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      for (const m of parser.push(chunk)) if (m.event !== 'traffic') events.push(JSON.parse(m.data) as NodeEventJson)
    }
  })().catch(() => {})
  return {
    node,
    events,
    log,
    close: async () => {
      stopLog()
      controller.abort()
      await reading
    }
  }
}

/** The first event of `w` that `match` accepts, once it came on the stream; then its line must be in the log. */
async function seen<T extends NodeEventJson['type']> (
  w: Watch, type: T, match: (e: Extract<NodeEventJson, { type: T }>) => boolean, what: string, timeoutMs = 30_000
): Promise<Extract<NodeEventJson, { type: T }>> {
  const find = (): Extract<NodeEventJson, { type: T }> | undefined =>
    w.events.find((e): e is Extract<NodeEventJson, { type: T }> => e.type === type && match(e as Extract<NodeEventJson, { type: T }>))
  await waitFor(() => find() !== undefined, { timeoutMs, what: `${what} on the event stream` })
  const event = find()!
  assert.ok(w.log.text.includes(formatLogLine(event) + '\n'), `its log line:\n${formatLogLine(event)}\nin:\n${w.log.text}`)
  return event
}

/** The log line of `e`: level and type as the daemon prints them. */
function logLevel (w: Watch, e: NodeEventJson): string {
  const line = w.log.text.split('\n').find(l => l === formatLogLine(e)) ?? ''
  return line.slice(25, 30).trim()
}

describe('events: a ring tells what happens', function () {
  this.timeout(120_000)
  let net: Testnet | undefined
  let s3: FlakyS3 | undefined
  const watches: Watch[] = []
  afterEach(async () => {
    for (const w of watches.splice(0)) await w.close()
    await net?.stop()
    await s3?.dispose()
    net = undefined
    s3 = undefined
  })

  async function watchAll (nodes: Peer[]): Promise<Watch[]> {
    const ws = await Promise.all(nodes.map(watch))
    watches.push(...ws)
    return ws
  }

  it('a join and a leave: the leader tells both, and the joiner its own join from before its log began', async () => {
    net = await createTestnet({ api: true })
    const [leader] = await watchAll([net.nodes[0]])
    const peer = await net.add()
    const joined = await seen(leader, 'member.joined', e => e.node.peerId === peer.peerId, 'the join')
    assert.equal(joined.role, 'peer')
    assert.equal(joined.node.id, peer.id)
    assert.equal(logLevel(leader, joined), 'INFO')
    assert.match(joined.message, new RegExp(`peer ${peer.peerId} joined, admitted by this leader`))
    // The joiner's own entry happened inside createPeer, before anyone could subscribe: its log still shows it.
    const [self] = await watchAll([peer])
    const own = await seen(self, 'member.joined', e => e.node.peerId === peer.peerId, 'the joiner\'s own join')
    assert.match(own.message, /^this node \(.*\) joined the ring as a peer, successor /)
    assert.equal(logLevel(self, own), 'INFO')

    await net.remove(peer)
    const left = await seen(leader, 'member.left', e => e.node.peerId === peer.peerId, 'the leave')
    assert.equal(left.how, 'left')
    assert.equal(logLevel(leader, left), 'INFO')
    assert.match(left.message, new RegExp(`peer ${peer.peerId} left the ring: its leave notice`))
  })

  it('a leader change: a follower tells the new leader and epoch when the leader crashes', async () => {
    net = await createTestnet({ supernodes: 3, api: true })
    const supernodes = net.nodes.filter(p => p.role === 'supernode')
    await waitFor(() => supernodes.filter(p => p.election!.acting()).length === 1 &&
      supernodes.every(p => p.election!.leader()?.address === supernodes.find(q => q.election!.acting())?.peerId),
    { timeoutMs: 10_000, what: 'one leader' })
    const old = supernodes.find(p => p.election!.acting())!
    const follower = supernodes.find(p => p !== old)!
    const epoch = follower.election!.epoch()
    const [w] = await watchAll([follower])
    await net.remove(old, { leave: false })
    const changed = await seen(w, 'leader.changed', e => e.leader !== undefined && e.leader.peerId !== old.peerId, 'a new leader')
    assert.ok(changed.epoch > epoch, `epoch ${changed.epoch} after ${epoch}`)
    assert.ok(supernodes.some(p => p !== old && p.peerId === changed.leader!.peerId))
    assert.equal(logLevel(w, changed), 'INFO')
    assert.match(changed.message, /^the supernodes' leader is now .*, epoch \d+$/)
  })

  it('a repair: a holder crashes, a survivor copies the file again and tells it with its bytes; a neighbour tells the crash', async () => {
    net = await createTestnet({ peers: 3, k: 3, api: true })
    await net.waitForRing()
    // A file whose placement leaves one node out, and has a peer (not the supernode) among its holders.
    const name = nameWhere(net, 3, 'repaired', holders => holders.some(h => h.role === 'peer'))
    const size = 300 * 1024
    await net.nodes[0].put(name, pseudoRandom(size, 7))
    const holders = holdersOf(net, name, 3)
    await waitFor(async () => {
      const held = await Promise.all(holders.map(async h => await h.files.ctx.records.get(sha256Hex(name))))
      return held.every(r => r !== undefined)
    }, { timeoutMs: 20_000, what: 'three copies' })
    const ws = await watchAll(net.nodes)
    const crashed = holders.find(h => h.role === 'peer')!
    await net.remove(crashed, { leave: false })
    const survivors = ws.filter(w => w.node !== crashed)
    await waitFor(() => survivors.some(w => w.events.some(e => e.type === 'repair.finished' && e.bytes >= size)),
      { timeoutMs: 60_000, what: 'a repair that moved the file' })
    const w = survivors.find(w => w.events.some(e => e.type === 'repair.finished' && e.bytes >= size))!
    const finished = await seen(w, 'repair.finished', e => e.bytes >= size, 'the repair\'s end')
    const started = await seen(w, 'repair.started', e => e.seq < finished.seq, 'the repair\'s start')
    assert.equal(started.reason, finished.reason)
    assert.ok(finished.files >= 1 && finished.ms >= 0)
    assert.match(finished.message, /^repair finished: \d+ cop(y|ies) \(.*\) in /)
    assert.equal(logLevel(w, started), 'INFO')
    // The crashed node's ring neighbours find it dead.
    const toldCrash = (s: Watch): boolean =>
      s.events.some(e => e.type === 'member.left' && e.how === 'failed' && e.node.peerId === crashed.peerId)
    await waitFor(() => survivors.some(toldCrash), { timeoutMs: 30_000, what: 'a neighbour to tell the crash' })
    const neighbour = survivors.find(toldCrash)!
    const failed = await seen(neighbour, 'member.left', e => e.how === 'failed' && e.node.peerId === crashed.peerId, 'the crash')
    assert.equal(logLevel(neighbour, failed), 'WARN')
  })

  it('an S3 tier that refuses: s3.failed at start, once; s3.recovered when it comes back', async () => {
    s3 = await flakyS3()
    net = await createTestnet({ api: true, s3: s3.config })
    const [w] = await watchAll([net.nodes[0]])
    // The start-up probe finds the endpoint refusing before anything is queued.
    const failed = await seen(w, 's3.failed', () => true, 'the S3 failure')
    assert.match(failed.message, new RegExp(`^S3 start-up check failed: .*bucket "${s3.config.bucket}" at ${s3.endpoint}`))
    assert.equal(logLevel(w, failed), 'ERROR')
    // Uploads keep failing (with backoff): no second event within the minute.
    await net.nodes[0].put('queued.txt', 'held until S3 answers')
    await waitFor(() => (net!.nodes[0].files.durable?.health?.().failures ?? 0) >= 2, { timeoutMs: 20_000, what: 'failed uploads' })
    assert.equal(w.events.filter(e => e.type === 's3.failed').length, 1)
    const status = await (await apiFetch(net.nodes[0], '/api/status')).json() as StatusJson
    assert.equal(status.s3?.state, 'failing')
    assert.ok((status.s3?.queue ?? 0) >= 1)
    assert.ok(status.s3?.lastError !== undefined)
    await s3.up()
    const recovered = await seen(w, 's3.recovered', () => true, 'the recovery', 90_000)
    assert.equal(logLevel(w, recovered), 'INFO')
    assert.match(recovered.message, /^S3 works again after /)
  })
})
