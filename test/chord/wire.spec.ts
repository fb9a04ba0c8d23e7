// Ring members on the wire (src/chord/wire.ts): ring ids derived from PeerIds, never read from a message; peer
// ids and multiaddrs decoded with InvalidMessageError for anything malformed or over the limits; Peer messages
// round-trip through the PeerDirectory, which remembers addresses and decides how a node is dialled.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import {
  MAX_ADDRS, MAX_PEERS, PeerDirectory,
  decodeAddrs, decodePeerId, nodeRefOf, ringId
} from '../../src/chord/wire.js'
import { IdSpace } from '../../src/ring/id.js'
import type { Connection, PeerId } from '@libp2p/interface'

const isInvalidMessage = (err: Error & { code?: string }): boolean =>
  err.name === 'InvalidMessageError' && err.code === 'ERR_INVALID_MESSAGE'
const newPeerId = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
const addr = (port: number): Uint8Array<ArrayBuffer> => new Uint8Array(multiaddr(`/ip4/127.0.0.1/tcp/${port}`).bytes)

/** A directory over a host whose open connections are the PeerIds in `connected`. */
function directory (space = new IdSpace(), connected = new Set<string>()): PeerDirectory {
  return new PeerDirectory(space, {
    getConnections: (peer?: PeerId) => (peer !== undefined && connected.has(peer.toString()) ? [{} as Connection] : [])
  })
}

describe('chord/wire', () => {
  let alice: PeerId
  let bob: PeerId

  before(async () => {
    alice = await newPeerId()
    bob = await newPeerId()
  })

  describe('ring ids', () => {
    it('ringId is SHA-256 of the PeerId\'s multihash bytes, reduced to the id space', () => {
      const digest = BigInt('0x' + createHash('sha256').update(alice.toMultihash().bytes).digest('hex'))
      assert.equal(ringId(new IdSpace(), alice), digest)
      assert.equal(ringId(new IdSpace(8), alice), digest & 0xffn)
      assert.notEqual(ringId(new IdSpace(), alice), ringId(new IdSpace(), bob))
    })

    it('nodeRefOf names the node by its PeerId string, at its ring id', () => {
      const space = new IdSpace()
      assert.deepEqual(nodeRefOf(space, alice), { id: ringId(space, alice), address: alice.toString() })
    })
  })

  describe('decodeAddrs', () => {
    it('decodes multiaddr bytes, up to MAX_ADDRS of them', () => {
      const list = Array.from({ length: MAX_ADDRS }, (_, i) => addr(4000 + i))
      assert.deepEqual(decodeAddrs(list).map(a => a.toString()), list.map((_, i) => `/ip4/127.0.0.1/tcp/${4000 + i}`))
      assert.deepEqual(decodeAddrs([]), [])
    })

    it(`more than MAX_ADDRS (${MAX_ADDRS}) is InvalidMessageError`, () => {
      assert.throws(() => decodeAddrs(Array.from({ length: MAX_ADDRS + 1 }, (_, i) => addr(4000 + i))), isInvalidMessage)
    })

    it('bytes that are not a multiaddr are InvalidMessageError, even among good ones', () => {
      assert.throws(() => decodeAddrs([addr(1), Uint8Array.from([0xff, 0x01, 0x02])]), isInvalidMessage)
      assert.throws(() => decodeAddrs([Uint8Array.from([0x04, 127, 0])]), isInvalidMessage) // /ip4 cut short
    })
  })

  describe('decodePeerId', () => {
    it('decodes a PeerId from its multihash bytes', () => {
      assert.ok(decodePeerId(alice.toMultihash().bytes).equals(alice))
    })

    it('garbage, an empty buffer or a bare SHA-256 digest are InvalidMessageError', () => {
      for (const bytes of [Uint8Array.from([1, 2, 3]), new Uint8Array(0), createHash('sha256').update('x').digest()]) {
        assert.throws(() => decodePeerId(bytes), isInvalidMessage, `${bytes.byteLength} bytes`)
      }
    })
  })

  describe('PeerDirectory', () => {
    it('fromWire derives the ring id from the PeerId and remembers the addresses; toWire gives the same message back', () => {
      const space = new IdSpace()
      const dir = directory(space)
      const wire = { peerId: alice.toMultihash().bytes, addrs: [addr(4001), addr(4002)] }
      const ref = dir.fromWire(wire)
      assert.deepEqual(ref, nodeRefOf(space, alice))
      assert.deepEqual(dir.addrs(ref).map(a => a.toString()), ['/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.0.1/tcp/4002'])
      const back = dir.toWire(ref)
      assert.deepEqual(back.peerId, wire.peerId)
      assert.deepEqual(back.addrs, wire.addrs)
    })

    it('fromWire rejects a bad PeerId or a bad address with InvalidMessageError', () => {
      const dir = directory()
      assert.throws(() => dir.fromWire({ peerId: Uint8Array.from([9, 9]), addrs: [] }), isInvalidMessage)
      assert.throws(() => dir.fromWire({ peerId: alice.toMultihash().bytes, addrs: [Uint8Array.from([0xff])] }), isInvalidMessage)
      assert.throws(() => dir.fromWire({
        peerId: alice.toMultihash().bytes,
        addrs: Array.from({ length: MAX_ADDRS + 1 }, (_, i) => addr(i + 1))
      }), isInvalidMessage)
    })

    it('an empty address list keeps the addresses known; a new list replaces them', () => {
      const dir = directory()
      const ref = dir.fromWire({ peerId: alice.toMultihash().bytes, addrs: [addr(4001)] })
      dir.fromWire({ peerId: alice.toMultihash().bytes, addrs: [] })
      assert.deepEqual(dir.addrs(ref).map(a => a.toString()), ['/ip4/127.0.0.1/tcp/4001'])
      dir.fromWire({ peerId: alice.toMultihash().bytes, addrs: [addr(5001)] })
      assert.deepEqual(dir.addrs(ref).map(a => a.toString()), ['/ip4/127.0.0.1/tcp/5001'])
    })

    it('toWire of a node it knows no address for carries the PeerId alone', () => {
      const dir = directory()
      const wire = dir.toWire({ id: 0n, address: bob.toString() })
      assert.deepEqual(wire.peerId, bob.toMultihash().bytes)
      assert.deepEqual(wire.addrs, [])
    })

    it(`fromWireList takes up to MAX_PEERS (${MAX_PEERS}) peers, in order; one more is InvalidMessageError`, () => {
      const space = new IdSpace()
      const dir = directory(space)
      const full = Array.from({ length: MAX_PEERS }, (_, i) => ({ peerId: (i % 2 === 0 ? alice : bob).toMultihash().bytes, addrs: [] }))
      const refs = dir.fromWireList(full)
      assert.equal(refs.length, MAX_PEERS)
      assert.deepEqual(refs.slice(0, 2), [nodeRefOf(space, alice), nodeRefOf(space, bob)])
      assert.throws(() => dir.fromWireList([...full, full[0]]), isInvalidMessage)
    })

    it('fromWireList rejects the whole list when one peer in it is malformed', () => {
      const dir = directory()
      assert.throws(() => dir.fromWireList([
        { peerId: alice.toMultihash().bytes, addrs: [] },
        { peerId: Uint8Array.from([1]), addrs: [] }
      ]), isInvalidMessage)
    })

    it('refOf and peerId read a PeerId string; anything else is InvalidMessageError', () => {
      const space = new IdSpace()
      const dir = directory(space)
      assert.deepEqual(dir.refOf(bob.toString()), nodeRefOf(space, bob))
      assert.ok(dir.peerId(bob.toString()).equals(bob))
      assert.throws(() => dir.refOf('not-a-peer-id'), isInvalidMessage)
    })

    it('dialTarget: the PeerId when connected or no address is known, else every address with /p2p/<PeerId>', () => {
      const connected = new Set<string>()
      const dir = directory(new IdSpace(), connected)
      const ref = dir.fromWire({ peerId: alice.toMultihash().bytes, addrs: [] })
      const byId = dir.dialTarget(ref)
      assert.ok(!Array.isArray(byId) && byId.equals(alice), 'no address known: dial by PeerId')
      dir.fromWire({ peerId: alice.toMultihash().bytes, addrs: [addr(4001), addr(4002)] })
      const byAddr = dir.dialTarget(ref)
      assert.ok(Array.isArray(byAddr))
      assert.deepEqual(byAddr.map(a => a.toString()), [`/ip4/127.0.0.1/tcp/4001/p2p/${alice}`, `/ip4/127.0.0.1/tcp/4002/p2p/${alice}`])
      connected.add(alice.toString())
      const reuse = dir.dialTarget(ref)
      assert.ok(!Array.isArray(reuse) && reuse.equals(alice), 'connected: dial by PeerId so libp2p reuses the connection')
    })
  })
})
