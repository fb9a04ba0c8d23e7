// GET /metrics on real in-process nodes, every scrape read by a strict Prometheus text parser: the route needs the
// token; counters move on the node that ran a put, a get and a repair (a bad blob fetched again, a crashed holder's
// copy made again) and not elsewhere, so two nodes of one process report their own figures; no label carries a
// PeerId, a key or a name; the `metrics` listener serves /metrics without the token and nothing else; libp2p's own
// metrics go to one node of a process at a time.
//
//   ring of 3 (k = 2):  S (supernode) ── P1 ── P2 ── back to S      + M: joins later with its own listener
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { createPeer, type Peer } from '../../src/peer.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { pseudoRandom } from '../../harness/bytes.js'
import { blobAddress } from '../../src/files/hashing.js'
import { apiFetch } from '../utils/api.js'
import { counterOf, parsePrometheus, valueOf, type Family } from '../utils/prometheus.js'
import { waitFor } from '../utils/wait.js'
import type { AddressInfo } from 'node:net'
import type { StatusJson, TrafficJson } from '../../src/api/types.js'
import type { FsBlobStore } from '../../src/storage/fs-blob-store.js'

/** The only label names chord-peer's own series may carry (`le`: a histogram's buckets). */
const OUR_LABELS = new Set(['outcome', 'op', 'kind', 'direction', 'where', 'role', 'le'])
const NAME = 'metrics-probe.bin'
const SIZE = 300_000 + 17

type Metrics = Map<string, Family>

describe('metrics', function () {
  this.timeout(120_000)
  let net: Testnet
  /** Nodes started beside the testnet, stopped after it. */
  const others: Peer[] = []
  /** Every PeerId and ring id seen, which no label may carry. */
  const identities = new Set<string>()

  before(async () => {
    net = await createTestnet({ peers: 2, k: 2, api: true })
    await net.waitForRing()
    for (const p of net.nodes) {
      p.metrics.storedMaxAgeMs = 0 // the files-stored gauges scan at every scrape here
      identities.add(p.peerId).add(p.id)
    }
  })

  after(async () => {
    await Promise.all(others.map(async p => { await p.stop({ leave: false }) }))
    await net?.stop()
  })

  /** Check that no label of `metrics` names a node, a key or the file; chord-peer's series use only OUR_LABELS. */
  function checkLabels (metrics: Metrics): void {
    for (const family of metrics.values()) {
      for (const s of family.samples) {
        for (const [label, value] of Object.entries(s.labels)) {
          if (family.name.startsWith('chord_peer_')) assert.ok(OUR_LABELS.has(label), `${s.name} has a label ${label}`)
          assert.doesNotMatch(value, /[0-9a-f]{64}/i, `${s.name}{${label}} holds a 64-hex key: ${value}`)
          assert.doesNotMatch(value, /12D3Koo|Qm[1-9A-HJ-NP-Za-km-z]{44}/, `${s.name}{${label}} holds a PeerId: ${value}`)
          for (const id of identities) assert.ok(!value.includes(id), `${s.name}{${label}} names a node: ${value}`)
          assert.ok(!value.includes(NAME), `${s.name}{${label}} names a file: ${value}`)
        }
      }
    }
  }

  /** Scrape `node`'s API with its token, parse strictly, check the labels. */
  async function scrape (node: Peer): Promise<Metrics> {
    const res = await apiFetch(node, '/metrics')
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4(;|$)/)
    const metrics = parsePrometheus(await res.text())
    checkLabels(metrics)
    return metrics
  }

  const puts = (m: Metrics): number => counterOf(m, 'chord_peer_file_op_duration_seconds_count', { op: 'put', outcome: 'ok' })
  const gets = (m: Metrics): number => counterOf(m, 'chord_peer_file_op_duration_seconds_count', { op: 'get', outcome: 'ok' })
  const putBytes = (m: Metrics): number => counterOf(m, 'chord_peer_file_op_bytes_total', { op: 'put', outcome: 'ok' })
  const getBytes = (m: Metrics): number => counterOf(m, 'chord_peer_file_op_bytes_total', { op: 'get', outcome: 'ok' })
  const bytesOut = (m: Metrics): number => counterOf(m, 'chord_peer_network_bytes_total', { direction: 'out' })
  const copies = (m: Metrics, kind: string): number => counterOf(m, 'chord_peer_repair_copies_total', { kind })
  const repairBytes = (m: Metrics): number => counterOf(m, 'chord_peer_repair_bytes_total')

  /** The nodes that hold the newest version of NAME. */
  async function holders (): Promise<Peer[]> {
    const where = await net.nodes[0].files.locate(NAME)
    const ids = new Set(where.holders.filter(h => h.record?.hash === where.record?.hash).map(h => h.node.id))
    return net.nodes.filter(p => ids.has(p.chord.self.id))
  }

  it('answers /metrics only with the token, in the Prometheus text format, with chord-peer\'s metrics only', async () => {
    const [s] = net.nodes
    const refused = await fetch(`${s.apiUrl}/metrics`)
    assert.equal(refused.status, 401)
    assert.ok(!(await refused.text()).includes('chord_peer_'), 'a 401 must not carry the metrics')
    const head = await apiFetch(s, '/metrics', { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(await head.text(), '')
    const metrics = await scrape(s)
    for (const name of [
      'chord_peer_lookups_total', 'chord_peer_lookup_hops', 'chord_peer_lookup_duration_seconds', 'chord_peer_stabilize_rounds_total',
      'chord_peer_ring_size_estimate', 'chord_peer_successor_list_fill_ratio', 'chord_peer_files_stored', 'chord_peer_stored_bytes',
      'chord_peer_file_op_duration_seconds', 'chord_peer_file_op_bytes_total', 'chord_peer_repair_passes_total',
      'chord_peer_repair_bytes_total', 'chord_peer_network_bytes_total', 'chord_peer_election_epoch',
      'chord_peer_election_acting_leader', 'chord_peer_scrub_progress_ratio'
    ]) assert.ok(metrics.has(name), `no ${name}`)
    assert.equal(metrics.get('chord_peer_lookup_hops')?.type, 'histogram')
    assert.equal(metrics.get('chord_peer_lookups_total')?.type, 'counter')
    assert.equal(valueOf(metrics, 'chord_peer_ring_size_estimate'), 3)
    assert.equal(valueOf(metrics, 'chord_peer_successor_list_entries'), 2)
    assert.equal(valueOf(metrics, 'chord_peer_election_acting_leader'), 1)
    assert.equal(valueOf(metrics, 'chord_peer_info', { role: 'supernode' }), 1)
    assert.ok(counterOf(metrics, 'chord_peer_stabilize_rounds_total', { outcome: 'ok' }) > 0)
    // createTestnet's nodes leave libp2p's process-wide metrics off: every family is chord-peer's own.
    for (const name of metrics.keys()) assert.ok(name.startsWith('chord_peer_'), `unexpected family ${name}`)
  })

  it('counts a put on the node that put it and a get on the node that got it: each node its own figures', async () => {
    const [s, p1] = net.nodes
    const [s0, p0] = [await scrape(s), await scrape(p1)]
    const trafficBefore = await (await apiFetch(s, '/api/traffic')).json() as TrafficJson
    await s.put(NAME, pseudoRandom(SIZE, 3))
    const res = await apiFetch(p1, `/api/files/${encodeURIComponent(NAME)}`)
    assert.equal(res.status, 200)
    assert.equal((await res.arrayBuffer()).byteLength, SIZE)
    const [s1, p2] = [await scrape(s), await scrape(p1)]

    assert.equal(puts(s1) - puts(s0), 1)
    assert.equal(putBytes(s1) - putBytes(s0), SIZE)
    assert.equal(gets(p2) - gets(p0), 1)
    assert.equal(getBytes(p2) - getBytes(p0), SIZE)
    // Each on its own node only.
    assert.equal(puts(p2), puts(p0))
    assert.equal(gets(s1), gets(s0))
    assert.ok(counterOf(s1, 'chord_peer_lookups_total', { outcome: 'ok' }) > counterOf(s0, 'chord_peer_lookups_total', { outcome: 'ok' }))
    assert.ok(valueOf(s1, 'chord_peer_lookup_hops_count')! > 0)
    // The put's bytes left S (to the first holder that is not S itself).
    assert.ok(bytesOut(s1) - bytesOut(s0) >= SIZE, `S sent ${bytesOut(s1) - bytesOut(s0)} bytes`)
    assert.notEqual(valueOf(s1, 'chord_peer_info', { role: 'supernode' }), valueOf(p2, 'chord_peer_info', { role: 'supernode' }))
    assert.notEqual(s.metrics.registry, p1.metrics.registry)

    // The k = 2 holders count the file among what they store: 2 files and 2 × SIZE bytes over the ring.
    await waitFor(async () => {
      const all = await Promise.all(net.nodes.map(scrape))
      return all.reduce((n, m) => n + (valueOf(m, 'chord_peer_files_stored') ?? 0), 0) === 2 &&
        all.reduce((n, m) => n + (valueOf(m, 'chord_peer_stored_bytes') ?? 0), 0) === 2 * SIZE
    }, { timeoutMs: 20_000, intervalMs: 200, what: 'the two holders to count the file as stored' })

    // GET /api/traffic and status carry the same running totals.
    const traffic = await (await apiFetch(s, '/api/traffic')).json() as TrafficJson
    assert.equal(traffic.puts - trafficBefore.puts, 1)
    assert.equal(traffic.putBytes - trafficBefore.putBytes, SIZE)
    assert.ok(traffic.bytesOut - trafficBefore.bytesOut >= SIZE)
    assert.ok(traffic.lookups > trafficBefore.lookups && traffic.lookupMs > 0)
    assert.ok(traffic.time >= trafficBefore.time)
    const status = await (await apiFetch(p1, '/api/status')).json() as StatusJson
    assert.ok(status.traffic !== undefined && status.traffic.gets >= 1 && status.traffic.getBytes >= SIZE)
    const noToken = await fetch(`${s.apiUrl}/api/traffic`)
    assert.equal(noToken.status, 401)
  })

  it('counts a bad blob the scrubber found and the repair that fetched it again', async () => {
    const holder = (await holders())[0]
    assert.ok(holder !== undefined, 'no holder of the probe file')
    const before = await scrape(holder)
    const store = holder.files.ctx.blobs as FsBlobStore
    const record = await holder.files.ctx.records.get((await holder.files.locate(NAME)).key)
    const path = store.path(blobAddress(record!))
    const bytes = await readFile(path)
    bytes[SIZE - 1] ^= 0x80
    await writeFile(path, bytes)
    const report = await holder.files.scrubber.pass(new AbortController().signal)
    assert.equal(report.bad, 1)
    // A repair whose fetch failed on a loaded machine is tried again by the next pass, as the scrubber's loop would.
    await waitFor(async () => {
      const now = await scrape(holder)
      if (copies(now, 'blob') > copies(before, 'blob')) return true
      if (counterOf(now, 'chord_peer_repair_failed_copies_total', { kind: 'blob' }) >
        counterOf(before, 'chord_peer_repair_failed_copies_total', { kind: 'blob' })) {
        await holder.files.scrubber.pass(new AbortController().signal)
      }
      return false
    }, { timeoutMs: 30_000, intervalMs: 200, what: 'the blob repair to be counted' })
    const after = await scrape(holder)
    assert.equal(copies(after, 'blob') - copies(before, 'blob'), 1)
    assert.ok(repairBytes(after) - repairBytes(before) >= SIZE)
    assert.ok(counterOf(after, 'chord_peer_scrub_bad_blobs_total') - counterOf(before, 'chord_peer_scrub_bad_blobs_total') >= 1)
    assert.ok(counterOf(after, 'chord_peer_scrub_bytes_total') - counterOf(before, 'chord_peer_scrub_bytes_total') >= SIZE)
    assert.ok(counterOf(after, 'chord_peer_scrub_passes_total') > counterOf(before, 'chord_peer_scrub_passes_total'))
    assert.equal(valueOf(after, 'chord_peer_scrub_progress_ratio'), 1)
    assert.equal(valueOf(after, 'chord_peer_scrub_pass_bytes'), 0)
  })

  it('counts the replica pass that copies a crashed holder\'s file again', async () => {
    // A holder other than the supernode crashes; of the two nodes left, the one without the file gets it.
    const victim = (await holders()).find(p => p.role !== 'supernode')
    assert.ok(victim !== undefined)
    const survivors = net.nodes.filter(p => p !== victim)
    const before = await Promise.all(survivors.map(scrape))
    await net.remove(victim, { leave: false })
    await net.waitForRing()
    const total = (all: Metrics[], read: (m: Metrics) => number): number => all.reduce((n, m) => n + read(m), 0)
    await waitFor(async () => {
      const now = await Promise.all(survivors.map(scrape))
      const copied = (m: Metrics): number => copies(m, 'push') + copies(m, 'pull')
      return total(now, copied) > total(before, copied) && total(now, repairBytes) - total(before, repairBytes) >= SIZE
    }, { timeoutMs: 30_000, intervalMs: 200, what: 'a replica pass to copy the file again' })
    const after = await Promise.all(survivors.map(scrape))
    const passes = (m: Metrics): number => counterOf(m, 'chord_peer_repair_passes_total', { outcome: 'ok' })
    assert.ok(total(after, passes) > total(before, passes))
    // The crash was found: by stabilize or check_predecessor on some survivor.
    const dead = (m: Metrics): number => ['stabilize', 'check_predecessor', 'notify', 'lookup']
      .reduce((n, where) => n + counterOf(m, 'chord_peer_dead_nodes_total', { where }), 0)
    assert.ok(total(after, dead) > total(before, dead))
  })

  it('serves /metrics without the token at the `metrics` listener, and nothing else there', async () => {
    const [s] = net.nodes
    const m = await createPeer({ connect: [s.multiaddrs[0]], listen: ['/ip4/127.0.0.1/tcp/0'], api: false, metrics: '127.0.0.1:0' })
    others.push(m)
    identities.add(m.peerId).add(m.id)
    assert.match(m.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await fetch(`${m.metricsUrl!}/metrics`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    const metrics = parsePrometheus(await res.text())
    checkLabels(metrics)
    assert.equal(valueOf(metrics, 'chord_peer_info', { role: 'peer' }), 1)
    assert.equal((await fetch(`${m.metricsUrl!}/metrics?x=1`)).status, 200)
    for (const path of ['/', '/api/status', '/api/traffic', '/metrics/', '/api/files/x']) {
      assert.equal((await fetch(`${m.metricsUrl!}${path}`)).status, 404, path)
    }
    assert.equal((await fetch(`${m.metricsUrl!}/metrics`, { method: 'POST' })).status, 405)
    await m.stop({ leave: false })
    await assert.rejects(fetch(`${m.metricsUrl!}/metrics`), 'the listener must close with the node')
  })

  it('exports libp2p\'s own metrics on one node of the process at a time, beside the others\' figures', async () => {
    const [s] = net.nodes
    const ownBefore = await scrape(s)
    const join = async (libp2pMetrics: boolean): Promise<Peer> => {
      const p = await createPeer({ connect: [s.multiaddrs[0]], listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', libp2pMetrics })
      others.push(p)
      identities.add(p.peerId).add(p.id)
      return p
    }
    const first = await join(true)
    const withLibp2p = await scrape(first)
    assert.ok(withLibp2p.has('libp2p_data_transfer_bytes_total'), 'no libp2p metrics on the node that asked for them')
    assert.ok(withLibp2p.has('chord_peer_network_bytes_total'))
    // A second node of the process may not: libp2p's module keeps one set of metric objects per process.
    await assert.rejects(join(true), (err: Error) => err.name === 'InvalidInputError' && /process/.test(err.message))
    // The nodes without them still report their own figures, untouched by the libp2p node's start.
    const ownAfter = await scrape(s)
    assert.ok(![...ownAfter.keys()].some(name => name.startsWith('libp2p_')))
    assert.equal(puts(ownAfter), puts(ownBefore))
    assert.ok(bytesOut(ownAfter) >= bytesOut(ownBefore))
    // Once the first stops, another node may take them, with figures of its own.
    await first.stop({ leave: false })
    const second = await join(true)
    const fresh = await scrape(second)
    assert.ok(fresh.has('libp2p_data_transfer_bytes_total'))
    assert.equal(valueOf(fresh, 'chord_peer_info', { role: 'peer' }), 1)
    assert.equal(puts(fresh), 0)
  })

  it('fails the start on a metrics port in use, naming --metrics', async () => {
    const taken = createServer()
    await new Promise<void>(resolve => taken.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = taken.address() as AddressInfo
      await assert.rejects(
        createPeer({ bootstrap: true, listen: ['/ip4/127.0.0.1/tcp/0'], api: false, metrics: `127.0.0.1:${port}` }),
        (err: Error & { option?: string }) =>
          err.name === 'ListenError' && err.option === 'metrics' && err.message.startsWith('--metrics '))
    } finally {
      await new Promise<void>(resolve => taken.close(() => { resolve() }))
    }
  })
})
