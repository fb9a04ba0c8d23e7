// GET_STATE with a digest (src/chord/state-cache.ts): a node answers `unchanged` to an asker that holds its
// current answer, the full answer to anyone else (a wrong, stale, oversized or missing digest), at most
// max_successors successors when asked, and the messenger re-uses the answer it holds, so a quiet ring's stabilize
// costs a few bytes instead of r certificates. When the answer changed since the one the asker's digest names, the
// node leaves out the certificates that answer carried, and the asker, filling them back in, takes the digest the
// node takes. Real nodes on 127.0.0.1, and the handlers over a directory of real certificates.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { ChordRequest, ChordResponse } from '../../protocols/chord.js'
import { chordHandlers } from '../../src/chord/handlers.js'
import { CHORD_PROTOCOL, ChordMessenger } from '../../src/chord/messenger.js'
import { DEFAULT_LIMITS } from '../../src/chord/service.js'
import {
  DIGEST_BYTES, RecentReplies, StateCache, sameDigest, stateDigest, withHeldCerts, withoutHeldCerts
} from '../../src/chord/state-cache.js'
import { PeerDirectory, decodePeerId } from '../../src/chord/wire.js'
import { createPeer, type Peer } from '../../src/peer.js'
import { IdSpace } from '../../src/ring/id.js'
import { CertVerifier, issueCert, Role } from '../../src/trust/certs.js'
import { frame, sendRaw } from '../utils/raw-wire.js'
import type { ChordNode, NodeRef, RemoteState } from '../../src/ring/index.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

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

  describe('answers without the certificates the asker holds', () => {
    let rootKey: PrivateKey
    let root: PeerId
    const ids: PeerId[] = []
    const directory = (): PeerDirectory => {
      const verifier = new CertVerifier()
      verifier.setRoots([root.toString()])
      return new PeerDirectory(new IdSpace(), { getConnections: () => [] }, verifier)
    }
    const certOf = async (subject: PeerId, expires = Date.now() + 60_000): Promise<Uint8Array<ArrayBuffer>> =>
      await issueCert(rootKey, root, { subject, role: Role.PEER, addrs: [multiaddr('/ip4/127.0.0.1/tcp/4001')], epoch: 1, expires })
    const request = (known?: Uint8Array<ArrayBuffer>): ChordRequest =>
      ({ type: ChordRequest.Type.GET_STATE, addrs: [], successors: [], key: new Uint8Array(0), known })
    const certs = (reply: ChordResponse): number[] => [reply.predecessor, ...reply.successors].map(p => p?.cert.byteLength ?? -1)

    before(async () => {
      rootKey = await generateKeyPair('Ed25519')
      root = peerIdFromPrivateKey(rootKey)
      for (let i = 0; i < 4; i++) ids.push(peerIdFromPrivateKey(await generateKeyPair('Ed25519')))
    })

    it('RecentReplies keeps the last `capacity` replies by digest; a digest of another length finds none', () => {
      const recent = new RecentReplies(2)
      const reply = (n: number): ChordResponse => ({ found: false, nodes: [], successors: [], unchanged: n > 0 })
      const d = (n: number): Uint8Array => new Uint8Array(DIGEST_BYTES).fill(n)
      recent.sent(d(1), reply(1))
      recent.sent(d(2), reply(2))
      recent.sent(d(1), reply(1)) // sent again: now the most recent
      recent.sent(d(3), reply(3))
      assert.equal(recent.get(d(2)), undefined)
      assert.deepEqual(recent.get(d(1)), reply(1))
      assert.deepEqual(recent.get(d(3)), reply(3))
      assert.equal(recent.get(d(3).subarray(0, 4)), undefined)
    })

    it('sends only what changed; the asker fills in what it holds and takes the node\'s digest; ' +
      'a stranger gets no member it cannot prove', async () => {
      // The answering node: four members it holds certificates of, and a state the test sets.
      const server = directory()
      for (const id of ids) server.learnCert(await certOf(id))
      const [a, b, c, d] = ids.map(id => server.refOf(id.toString()))
      let state: RemoteState = { predecessor: a, successors: [b, c] }
      const handle = chordHandlers({ handleGetState: () => state } as unknown as ChordNode, server)
      const ask = async (known?: Uint8Array<ArrayBuffer>): Promise<ChordResponse> =>
        ChordResponse.decode(ChordResponse.encode(await handle(root, request(known), AbortSignal.timeout(1000))))

      // The asker, as ChordMessenger.getState does it: members from the answer, the digest of the filled answer.
      const asker = directory()
      const take = (reply: ChordResponse, by = asker): { members: NodeRef[], digest: Uint8Array<ArrayBuffer> } => ({
        members: by.membersFromWire([...(reply.predecessor === undefined ? [] : [reply.predecessor]), ...reply.successors]),
        digest: stateDigest(withHeldCerts(reply, peerId => by.cert(decodePeerId(peerId).toString())?.bytes))
      })
      const full = await ask()
      assert.ok(certs(full).every(n => n > 0))
      const first = take(full)
      assert.ok(sameDigest(first.digest, stateDigest(full)))

      // c leaves the list, d comes in: a and b go without their certificates, d with its own.
      state = { predecessor: a, successors: [b, d] }
      const delta = await ask(first.digest)
      assert.deepEqual(certs(delta).map(n => n > 0), [false, false, true])
      const fullNow = await ask()
      const saved = ChordResponse.encode(fullNow).byteLength - ChordResponse.encode(delta).byteLength
      assert.ok(saved >= certs(fullNow)[0] + certs(fullNow)[1], `${saved} bytes saved`)
      const second = take(delta)
      assert.deepEqual(second.members, [a, b, d])
      assert.ok(sameDigest(second.digest, stateDigest(fullNow)), 'the filled answer is the full one')
      assert.equal((await ask(second.digest)).unchanged, true)

      // b's certificate renewed: b's comes again, a's does not.
      server.learnCert(await certOf(ids[1], Date.now() + 120_000))
      assert.deepEqual(certs(await ask(second.digest)).map(n => n > 0), [false, true, false])

      // An asker that holds none of them, naming a digest it heard of: only b, sent with its certificate, is a
      // member to it, and its digest matches nothing the node sent, so the next answer is full.
      const stranger = directory()
      const guessed = take(await ask(second.digest), stranger)
      assert.deepEqual(guessed.members.map(n => n.address), [ids[1].toString()])
      assert.ok(certs(await ask(guessed.digest)).every(n => n > 0))
    })

    it('withoutHeldCerts leaves out only a certificate the earlier reply carried byte for byte', async () => {
      const peer = async (id: PeerId, expires?: number): Promise<ChordResponse['successors'][number]> =>
        ({ peerId: id.toMultihash().bytes as Uint8Array<ArrayBuffer>, addrs: [], cert: await certOf(id, expires) })
      const [a, b] = await Promise.all([peer(ids[0]), peer(ids[1])])
      const before: ChordResponse = { found: false, nodes: [], successors: [a, b], unchanged: false }
      const renewed = await peer(ids[1], Date.now() + 300_000)
      const after = withoutHeldCerts({ ...before, successors: [a, renewed, await peer(ids[2])] }, before)
      assert.deepEqual(certs(after).slice(1).map(n => n > 0), [false, true, true])
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
