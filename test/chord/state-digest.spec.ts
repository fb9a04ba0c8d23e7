// GET_STATE with a digest (src/chord/state-cache.ts): a node answers `unchanged` to an asker that holds its
// current answer, the full answer to anyone else (a wrong, stale, oversized or missing digest), at most
// max_successors successors when asked, and the messenger re-uses the answer it holds, so a quiet ring's stabilize
// costs a few bytes instead of r certificates. Real nodes on 127.0.0.1.
import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { ChordRequest, ChordResponse } from '../../protocols/chord.js'
import { CHORD_PROTOCOL, ChordMessenger } from '../../src/chord/messenger.js'
import { DEFAULT_LIMITS } from '../../src/chord/service.js'
import { DIGEST_BYTES, StateCache, sameDigest, stateDigest } from '../../src/chord/state-cache.js'
import { createPeer, type Peer } from '../../src/peer.js'
import { frame, sendRaw } from '../utils/raw-wire.js'

const getState = (fields: Partial<ChordRequest> = {}): Uint8Array => frame(ChordRequest.encode({
  type: ChordRequest.Type.GET_STATE, addrs: [], successors: [], key: new Uint8Array(0), ...fields
}))

describe('chord GET_STATE digests', function () {
  this.timeout(60_000)

  describe('StateCache and stateDigest', () => {
    it('keeps at most `capacity` answers, the least recently used going first', () => {
      const cache = new StateCache<number>(2)
      const d = new Uint8Array(DIGEST_BYTES)
      cache.set('a', d, 1)
      cache.set('b', d, 2)
      assert.equal(cache.get('a')?.value, 1) // a is now the most recently used
      cache.set('c', d, 3)
      assert.equal(cache.size, 2)
      assert.equal(cache.get('b'), undefined)
      assert.equal(cache.get('a')?.value, 1)
      assert.equal(cache.get('c')?.value, 3)
    })

    it('the asker\'s digest of a decoded reply is the node\'s digest of the reply it encoded', () => {
      const peer = {
        peerId: new Uint8Array(38).fill(1), addrs: [new Uint8Array([4, 127, 0, 0, 1, 6, 1, 2])], cert: new Uint8Array(150).fill(2)
      }
      const sent: ChordResponse = { found: false, nodes: [], predecessor: peer, successors: [peer, peer], unchanged: false }
      const received = ChordResponse.decode(ChordResponse.encode(sent))
      assert.ok(sameDigest(stateDigest(received), stateDigest(sent)))
      assert.equal(stateDigest(sent).byteLength, DIGEST_BYTES)
      assert.ok(!sameDigest(stateDigest({ successors: [peer] }), stateDigest(sent)))
      assert.ok(!sameDigest(stateDigest(sent).subarray(0, 4), stateDigest(sent)), 'another length never matches')
    })
  })

  describe('on the wire', () => {
    let node: Peer
    let member: Peer
    // Long timers: the nodes' own maintenance stays out of the byte counts below.
    const quiet = { stabilizeIntervalMs: 60_000, fixFingersIntervalMs: 60_000, checkPredecessorIntervalMs: 60_000 }

    before(async () => {
      node = await createPeer({ bootstrap: true, listen: ['/ip4/127.0.0.1/tcp/0'], api: false, ...quiet })
      member = await createPeer({ connect: [node.multiaddrs[0]], listen: ['/ip4/127.0.0.1/tcp/0'], api: false, ...quiet })
    })
    after(async () => {
      await member?.stop({ leave: false })
      await node?.stop()
    })

    const ask = async (fields?: Partial<ChordRequest>): Promise<ChordResponse> => {
      const stream = await member.host.dialProtocol(multiaddr(node.multiaddrs[0]), CHORD_PROTOCOL)
      const reply = await sendRaw(stream, getState(fields))
      assert.ok(reply instanceof Uint8Array, `the node answered ${String(reply)}`)
      await stream.close()
      return ChordResponse.decode(reply)
    }

    it('answers `unchanged` to the digest of its current answer, and in full to any other', async () => {
      const full = await ask()
      assert.equal(full.unchanged, false)
      assert.ok(full.successors.length >= 1 && full.successors.every(p => p.cert.byteLength > 0))
      const same = await ask({ known: stateDigest(full) })
      assert.deepEqual(same, { found: false, nodes: [], successors: [], unchanged: true })

      const wrong = stateDigest(full)
      wrong[0] ^= 0xff
      assert.deepEqual(await ask({ known: wrong }), full)
      assert.deepEqual(await ask({ known: new Uint8Array(4096).fill(7) }), full, 'an oversized digest is only a wrong one')
      assert.deepEqual(await ask({ known: new Uint8Array(0) }), full)
    })

    it('sends at most max_successors successors, and digests that answer on its own', async () => {
      const full = await ask()
      const none = await ask({ maxSuccessors: 0 })
      assert.equal(none.successors.length, 0)
      assert.deepEqual(none.predecessor, full.predecessor)
      assert.equal((await ask({ maxSuccessors: 0, known: stateDigest(none) })).unchanged, true)
      assert.equal((await ask({ maxSuccessors: 0, known: stateDigest(full) })).unchanged, false)
      assert.deepEqual(await ask({ maxSuccessors: 0xffff_ffff }), full)
    })

    it('FIND_SUCCESSOR with max_nodes: a found reply holds at most that many nodes, the owner first (0 counts as 1)', async () => {
      const find = async (maxNodes?: number): Promise<ChordResponse> => {
        const stream = await member.host.dialProtocol(multiaddr(node.multiaddrs[0]), CHORD_PROTOCOL)
        const key = node.chord.space.toBytes(node.chord.self.id) // the node's own id: it owns it
        const reply = await sendRaw(stream, frame(ChordRequest.encode({
          type: ChordRequest.Type.FIND_SUCCESSOR, addrs: [], successors: [], key, maxNodes
        })))
        assert.ok(reply instanceof Uint8Array)
        await stream.close()
        return ChordResponse.decode(reply)
      }
      const all = await find()
      assert.equal(all.found, true)
      assert.ok(all.nodes.length >= 2, 'the owner and its successor')
      assert.deepEqual((await find(1)).nodes, all.nodes.slice(0, 1))
      assert.deepEqual((await find(0)).nodes, all.nodes.slice(0, 1))
      assert.deepEqual((await find(1000)).nodes, all.nodes)
    })

    it('the messenger sends the digest it holds and re-uses its answer: the second GET_STATE costs a few bytes', async () => {
      const messenger = new ChordMessenger({ host: member.host, peers: member.chord.peers, limits: DEFAULT_LIMITS, selfAddrs: () => [] })
      try {
        const target = member.chord.peers.refOf(node.host.peerId.toString())
        const received = (): number => member.metrics.protocolTraffic()[CHORD_PROTOCOL]?.received ?? 0
        let before = received()
        const first = await messenger.getState(target)
        const firstBytes = received() - before
        before = received()
        const second = await messenger.getState(target)
        const secondBytes = received() - before
        assert.deepEqual(second, first)
        assert.ok(first.successors.length >= 1)
        assert.ok(firstBytes > 200, `the full answer carries certificates: ${firstBytes} bytes`)
        assert.ok(secondBytes < 16, `the second answer is \`unchanged\`: ${secondBytes} bytes`)
      } finally {
        messenger.close()
      }
    })
  })
})
