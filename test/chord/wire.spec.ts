// Ring members on the wire (src/chord/wire.ts): ring ids derived from PeerIds, never read from a message; peer
// ids and multiaddrs decoded with InvalidMessageError for anything malformed or over the limits; Peer messages
// round-trip through the PeerDirectory, which dials only members it holds a valid certificate of, at the
// certificate's addresses, never at addresses others claim for them, and stays bounded.
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
import { CertVerifier, issueCert, Role } from '../../src/trust/certs.js'
import type { Connection, PeerId, PrivateKey } from '@libp2p/interface'

const isInvalidMessage = (err: Error & { code?: string }): boolean =>
  err.name === 'InvalidMessageError' && err.code === 'ERR_INVALID_MESSAGE'
const newKey = async (): Promise<PrivateKey> => await generateKeyPair('Ed25519')
const newPeerId = async (): Promise<PeerId> => peerIdFromPrivateKey(await newKey())
const addr = (port: number): Uint8Array<ArrayBuffer> => new Uint8Array(multiaddr(`/ip4/127.0.0.1/tcp/${port}`).bytes)

/**
 * A directory over a host whose open connections are the PeerIds in `connected`, trusting `roots` to sign
 * certificates, at most `capacity` entries.
 */
function directory (roots: PeerId[], connected = new Set<string>(), capacity?: number): PeerDirectory {
  const verifier = new CertVerifier()
  verifier.setRoots(roots.map(r => r.toString()))
  return new PeerDirectory(new IdSpace(), {
    getConnections: (peer?: PeerId) => (peer !== undefined && connected.has(peer.toString()) ? [{} as Connection] : [])
  }, verifier, capacity)
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
    let rootKey: PrivateKey
    let root: PeerId
    const certOf = async (subject: PeerId, ports: number[], options: { key?: PrivateKey, issuer?: PeerId, expires?: number } = {}) =>
      await issueCert(options.key ?? rootKey, options.issuer ?? root, {
        subject,
        role: Role.PEER,
        addrs: ports.map(p => multiaddr(`/ip4/127.0.0.1/tcp/${p}`)),
        epoch: 1,
        expires: options.expires ?? Date.now() + 60_000
      })

    before(async () => {
      rootKey = await newKey()
      root = peerIdFromPrivateKey(rootKey)
    })

    it('a peer with a valid certificate is a member, dialled at the certificate\'s addresses; the wire form round-trips', async () => {
      const peers = directory([root])
      const cert = await certOf(alice, [4001, 4002])
      const ref = peers.fromWire({ peerId: alice.toMultihash().bytes, addrs: [], cert })
      assert.deepEqual(ref, nodeRefOf(peers.space, alice))
      assert.equal(peers.isMember(alice.toString()), true)
      const target = peers.dialTarget(ref) as Array<{ toString: () => string }>
      assert.deepEqual(target.map(a => a.toString()), [4001, 4002].map(p => `/ip4/127.0.0.1/tcp/${p}/p2p/${alice.toString()}`))
      const wire = peers.toWire(ref)
      assert.deepEqual([...wire.cert], [...cert])
      const other = directory([root])
      assert.deepEqual(other.fromWire(wire), ref)
      assert.equal(other.isMember(alice.toString()), true)
    })

    it('addresses others claim for a peer are never dialled: without a certificate it is not a member', () => {
      const peers = directory([root])
      const ref = peers.fromWire({ peerId: alice.toMultihash().bytes, addrs: [addr(6666)], cert: new Uint8Array(0) })
      assert.equal(peers.isMember(alice.toString()), false)
      assert.deepEqual(peers.addrs(ref), [])
      assert.throws(() => peers.dialTarget(ref), { name: 'NotMemberError' })
      assert.deepEqual(peers.toWire(ref).addrs, [])
    })

    it('a certificate signed by someone not trusted, expired, or of another peer is not taken', async () => {
      const peers = directory([root])
      const strangerKey = await newKey()
      const forged = await certOf(alice, [4001], { key: strangerKey, issuer: peerIdFromPrivateKey(strangerKey) })
      const expired = await certOf(alice, [4001], { expires: Date.now() - 3_600_000 })
      const bobs = await certOf(bob, [4003])
      for (const cert of [forged, expired, bobs]) {
        peers.fromWire({ peerId: alice.toMultihash().bytes, addrs: [], cert })
        assert.equal(peers.isMember(alice.toString()), false)
      }
      const tampered = await certOf(alice, [4001])
      tampered[tampered.length - 1] ^= 1 // the signature's last byte
      peers.fromWire({ peerId: alice.toMultihash().bytes, addrs: [], cert: tampered })
      assert.equal(peers.isMember(alice.toString()), false)
    })

    it('a newer certificate replaces an older one (its addresses too); an older one changes nothing', async () => {
      const peers = directory([root])
      const early = await certOf(alice, [4001], { expires: Date.now() + 60_000 })
      const late = await certOf(alice, [4009], { expires: Date.now() + 120_000 })
      peers.learnCert(late)
      peers.learnCert(early)
      assert.deepEqual(peers.addrs(nodeRefOf(peers.space, alice)).map(a => a.toString()), ['/ip4/127.0.0.1/tcp/4009'])
    })

    it('fromWire rejects a bad PeerId or a bad address with InvalidMessageError', () => {
      const peers = directory([root])
      assert.throws(() => peers.fromWire({ peerId: Uint8Array.from([1, 2, 3]), addrs: [], cert: new Uint8Array(0) }), isInvalidMessage)
      const bad = { peerId: alice.toMultihash().bytes, addrs: [Uint8Array.from([0xff, 0x01])], cert: new Uint8Array(0) }
      assert.throws(() => peers.fromWire(bad as never), isInvalidMessage)
    })

    it(`fromWireList takes up to MAX_PEERS (${MAX_PEERS}) peers, in order; one more is InvalidMessageError`, () => {
      const peers = directory([root])
      const one = { peerId: alice.toMultihash().bytes, addrs: [], cert: new Uint8Array(0) }
      assert.equal(peers.fromWireList(Array.from({ length: MAX_PEERS }, () => one)).length, MAX_PEERS)
      assert.throws(() => peers.fromWireList(Array.from({ length: MAX_PEERS + 1 }, () => one)), isInvalidMessage)
    })

    it('refOf and peerId read a PeerId string; anything else is InvalidMessageError', () => {
      const peers = directory([root])
      assert.deepEqual(peers.refOf(alice.toString()), nodeRefOf(peers.space, alice))
      assert.ok(peers.peerId(bob.toString()).equals(bob))
      assert.throws(() => peers.refOf('not a peer id'), isInvalidMessage)
    })

    it('dialTarget: the PeerId while a connection is open, else the certificate\'s addresses', async () => {
      const connected = new Set<string>()
      const peers = directory([root], connected)
      peers.learnCert(await certOf(alice, [4001]))
      const ref = nodeRefOf(peers.space, alice)
      assert.ok(Array.isArray(peers.dialTarget(ref)))
      connected.add(alice.toString())
      assert.ok((peers.dialTarget(ref) as PeerId).equals(alice))
    })

    it('is bounded: past its capacity the least recently used entries go first', async () => {
      const peers = directory([root], new Set(), 3)
      const ids = await Promise.all(Array.from({ length: 5 }, async () => await newPeerId()))
      for (const id of ids.slice(0, 3)) peers.learnCert(await certOf(id, [4001]))
      peers.dialTarget(nodeRefOf(peers.space, ids[0])) // used: stays
      for (const id of ids.slice(3)) peers.learn(id)
      assert.equal(peers.size, 3)
      assert.equal(peers.isMember(ids[0].toString()), true)
      assert.equal(peers.isMember(ids[1].toString()), false)
      assert.equal(peers.isMember(ids[2].toString()), false)
    })

    it('peers named on the wire without a certificate take no entry: made-up lists push out no member', async () => {
      const peers = directory([root], new Set(), 3)
      const members = await Promise.all(Array.from({ length: 3 }, async () => await newPeerId()))
      for (const id of members) peers.learnCert(await certOf(id, [4001]))
      const strangers = await Promise.all(Array.from({ length: 16 }, async () => await newPeerId()))
      const refs = peers.fromWireList(strangers.map(id => ({ peerId: id.toMultihash().bytes, addrs: [], cert: new Uint8Array(0) })))
      assert.deepEqual(refs.map(r => r.address), strangers.map(id => id.toString()))
      assert.equal(peers.size, 3)
      for (const id of members) assert.equal(peers.isMember(id.toString()), true)
    })

    it('a valid certificate replaces one held that is no longer valid, even one expiring later', async () => {
      const otherKey = await newKey()
      const other = peerIdFromPrivateKey(otherKey)
      const peers = directory([root, other])
      const subject = await newPeerId()
      peers.learnCert(await certOf(subject, [4001], { key: otherKey, issuer: other, expires: Date.now() + 120_000 }))
      peers.verifier.setRoots([root.toString()]) // `other` is trusted one certificate lifetime more…
      peers.verifier['learnt'].clear() // …or not at all: it was removed for cause
      assert.equal(peers.isMember(subject.toString()), false)
      const fresh = peers.learnCert(await certOf(subject, [4002]))
      assert.equal(fresh?.issuer, root.toString())
      assert.deepEqual(peers.addrs(nodeRefOf(peers.space, subject)).map(a => a.toString()), ['/ip4/127.0.0.1/tcp/4002'])
    })
  })
})
