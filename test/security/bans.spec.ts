// Peers turned away for flooding (src/trust/bans.ts, protocols/README.md §15.3), on a ring of real nodes:
//
//        S (supernode) ── V (victim, bans for BAN_MS) ── O (an honest member)
//                          ▲
//                          │ DIGEST × 32 at a time, over its rate
//                          H (a hostile member)        X (an outsider, never admitted) ── chord PING ──► V
//
// - H floods V with index requests over their rate: V closes its connections and refuses new ones, both ways,
//   for the ban, while the ring keeps storing and serving files between V and O and O's requests to V are
//   answered; once the ban is over H connects again and is answered. Without the bans H kept its connection.
// - X, refused at V's members-only gate again and again, has its connection closed after NOT_MEMBER_STRIKES
//   refusals and may connect again. Without the bans its connection stayed open.
import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { ChordRequest, ChordResponse } from '../../protocols/chord.js'
import { IndexRequest, IndexResponse } from '../../protocols/files.js'
import { CHORD_PROTOCOL } from '../../src/chord/messenger.js'
import { DEFAULT_LIMITS as CHORD_LIMITS } from '../../src/chord/service.js'
import { INDEX_LIMITS, INDEX_PROTOCOL } from '../../src/files/index-protocol.js'
import { createHost, type Host } from '../../src/net/host.js'
import { newKey } from '../../src/net/identity.js'
import { request, RpcClient } from '../../src/net/rpc.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { NOT_MEMBER_STRIKES, OVER_RATE_STRIKES } from '../../src/trust/bans.js'
import { collect } from '../../harness/bytes.js'
import { nameWhere } from '../utils/placement.js'
import { settingsOf, stillWorks } from '../utils/still-works.js'
import { waitFor } from '../utils/wait.js'
import type { Peer } from '../../src/peer.js'

/** How long V bans: long enough for the checks made during the ban, short enough to wait out. */
const BAN_MS = 8_000
const once = (bytes: Uint8Array): AsyncIterable<Uint8Array> => (async function * () { yield bytes })()
const ask = (type: IndexRequest.Type): IndexRequest => ({
  type, key: new Uint8Array(32), after: new Uint8Array(32), upto: new Uint8Array(32), limit: 0, includeTombstones: false
})
const indexCodecs = { request: IndexRequest, response: IndexResponse }

describe('security: peers turned away for flooding', function () {
  this.timeout(120_000)
  let net: Testnet
  /** The ring's settings as founded: every attack ends by checking the ring still works with them. */
  let founded: ReturnType<typeof settingsOf>
  let victim: Peer
  let hostile: Peer
  let honest: Peer
  const hosts: Host[] = []

  beforeEach(async () => {
    net = await createTestnet({ supernodes: 1, k: 1 })
    founded = settingsOf(net)
    victim = await net.add({ banMs: BAN_MS })
    hostile = await net.add()
    honest = await net.add()
    await net.waitForRing()
  })
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map(async h => h.stop()))
    await net?.stop()
  })

  /** A name whose one holder (k = 1) is `owner`. */
  const ownedBy = (owner: Peer, prefix: string): string => nameWhere(net, 1, prefix, ([holder]) => holder === owner)
  const stat = async (from: Peer): Promise<IndexResponse> => await request<IndexRequest, IndexResponse>(
    from.host, victim.host.peerId, INDEX_PROTOCOL, ask(IndexRequest.Type.STAT), indexCodecs, INDEX_LIMITS)
  const connected = (from: Peer | Host, to: Peer): number => ('host' in from ? from.host : from).getConnections(to.host.peerId).length

  it('a member flooding index requests over its rate is disconnected and turned away for the ban; the ring works on', async () => {
    await stat(hostile)
    const first = hostile.host.getConnections(victim.host.peerId)
    assert.ok(first.length > 0, 'H is connected to V')
    // 32 requests at a time, as a flooder sends them: past DIGEST's burst each is refused (RateLimitError).
    const index = new RpcClient<IndexRequest, IndexResponse>({
      host: hostile.host, protocol: INDEX_PROTOCOL, ...indexCodecs, limits: INDEX_LIMITS, maxIdlePerPeer: 32
    })
    let flooding = true
    let refused = 0
    const flood = Promise.all(Array.from({ length: 32 }, async () => {
      while (flooding) {
        await index.request(victim.host.peerId, ask(IndexRequest.Type.DIGEST)).catch(() => { refused++ })
        // Once V has closed H's muxer, libp2p lists the connection as open until its socket closes, and a request
        // on it fails without any I/O: without a turn of the event loop here, 32 such loops starve it for good.
        await new Promise(resolve => setImmediate(resolve))
      }
    }))
    try {
      await waitFor(() => first.every(c => c.status !== 'open') && connected(hostile, victim) === 0, {
        timeoutMs: 20_000, what: 'V to close every connection of the flooding H'
      })
    } finally {
      flooding = false
      await flood
      index.close()
    }
    assert.ok(refused >= OVER_RATE_STRIKES, `${refused} requests failed`)

    // Banned: V closes H's new connections at once (H's side may see one open for a moment, until V's gater has
    // seen its PeerId at the end of the noise handshake), H's requests fail, and V does not dial H.
    const again = await hostile.host.dial(multiaddr(victim.multiaddrs[0])).catch(() => undefined)
    await waitFor(() => again === undefined || again.status !== 'open', { what: 'V to refuse H\'s new connection' })
    await assert.rejects(stat(hostile), (err: Error) => err.name === 'UnreachableError')
    await assert.rejects(victim.host.dial(multiaddr(hostile.multiaddrs[0])), (err: Error) => err.name === 'DialDeniedError')

    // Everyone else is served: O asks V, and files go between V and O both ways.
    assert.equal((await stat(honest)).records.length, 0)
    // V's ring routes around the banned H (which may be its neighbour) within a stabilisation or two: until then
    // a name's owner can differ between V's view and O's, so each read is retried to a deadline.
    const reads = async (from: Peer, name: string, text: string): Promise<void> => {
      await waitFor(async () => await from.files.read(name).then(async r => (await collect(r.body)).toString() === text, () => false),
        { timeoutMs: 15_000, what: `${name} read back` })
    }
    const toVictim = ownedBy(victim, 'to-victim')
    await honest.files.put(toVictim, once(Buffer.from('held by V')))
    await reads(victim, toVictim, 'held by V')
    const toHonest = ownedBy(honest, 'to-honest')
    await victim.files.put(toHonest, once(Buffer.from('held by O')))
    await reads(honest, toHonest, 'held by O')
    assert.ok(connected(honest, victim) > 0, 'O keeps its connection to V')

    // The ban ends: H connects again and is answered, and reads what V holds.
    await waitFor(async () => await stat(hostile).then(() => true, () => false), {
      timeoutMs: BAN_MS + 15_000, intervalMs: 250, what: 'V to answer H again once the ban is over'
    })
    // H's ring lost V during the ban (V refused it): it finds V again by stabilisation, then reads from it.
    await reads(hostile, toVictim, 'held by V')
    await stillWorks(net, founded)
  })

  it('an outsider refused at the gate again and again is disconnected, and may connect again', async () => {
    const outsider = await createHost({ privateKey: await newKey(), listen: ['/ip4/127.0.0.1/tcp/0'] })
    hosts.push(outsider)
    const connection = await outsider.dial(multiaddr(victim.multiaddrs[0]))
    const ping = { ...ChordRequest.decode(new Uint8Array(0)), type: ChordRequest.Type.PING }
    const codecs = { request: ChordRequest, response: ChordResponse }
    // One PING after another on that connection; each is reset at V's gate, and the last one closes it.
    for (let i = 1; i <= NOT_MEMBER_STRIKES; i++) {
      assert.equal(connection.status, 'open', `closed after only ${i - 1} refused requests`)
      await assert.rejects(request(outsider, victim.host.peerId, CHORD_PROTOCOL, ping, codecs, CHORD_LIMITS),
        (err: Error) => err.name === 'UnreachableError')
    }
    await waitFor(() => connection.status !== 'open', { what: `V to close the outsider's connection after ${NOT_MEMBER_STRIKES} refusals` })
    // Not banned: it connects again (and is still refused at the gate, having no certificate).
    const again = await outsider.dial(multiaddr(victim.multiaddrs[0]))
    assert.equal(again.status, 'open')
    assert.notEqual(again.id, connection.id)
    await assert.rejects(request(outsider, victim.host.peerId, CHORD_PROTOCOL, ping, codecs, CHORD_LIMITS),
      (err: Error) => err.name === 'UnreachableError')
    await stillWorks(net, founded)
  })
})
