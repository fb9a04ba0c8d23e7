// Hostile peers against membership and the ring's protocols (issue 10, items 1–3): an outsider (a libp2p host that
// never joined) can only ask to join; it cannot make itself a supernode, win an election, enter the ring's routing,
// or have a node dial an address it names. Supernodes need invites (single use, unexpired, signed by a supernode);
// an invite-only ring needs them of peers too; joins are rate-limited and capped, and a member that never enters
// the ring leaves the view. A view comes only from its epoch's leader and never changes the ring's settings.
// Every test ends by checking the ring still works: a put and a get, one acting leader, settings unchanged.
import assert from 'node:assert/strict'
import { createServer, type AddressInfo } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { ChordRequest, ChordResponse } from '../../protocols/chord.js'
import { ElectionMessage, ElectionReply } from '../../protocols/election.js'
import { MembershipRequest, MembershipResponse } from '../../protocols/membership.js'
import { StoreHeader, StoreTrailer } from '../../protocols/files.js'
import { CHORD_PROTOCOL } from '../../src/chord/messenger.js'
import { ELECTION_PROTOCOL } from '../../src/election/service.js'
import { framed } from '../../src/files/frames.js'
import { sha256Hex } from '../../src/files/hashing.js'
import { STORE_PROTOCOL } from '../../src/files/store.js'
import { MEMBERSHIP_LIMITS, MEMBERSHIP_PROTOCOL } from '../../src/membership/client.js'
import { viewToWire } from '../../src/membership/view.js'
import { createHost, type Host } from '../../src/net/host.js'
import { newKey } from '../../src/net/identity.js'
import { request } from '../../src/net/rpc.js'
import { createPeer, type Peer } from '../../src/peer.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { CertVerifier, issueCert, Role } from '../../src/trust/certs.js'
import { collect } from '../../harness/bytes.js'
import { frame, sendRaw } from '../utils/raw-wire.js'
import { settingsOf, stillWorks } from '../utils/still-works.js'
import { waitFor } from '../utils/wait.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'

const Status = MembershipResponse.Status
const supernodesOf = (net: Testnet): Peer[] => net.nodes.filter(p => p.role === 'supernode')
const acting = (net: Testnet): Peer[] => supernodesOf(net).filter(p => p.election!.acting())

/** Ask `to` (a supernode) as `from`, with the request's defaults filled in. */
async function ask (from: Host, to: Peer, req: Partial<MembershipRequest>): Promise<MembershipResponse> {
  return await request<MembershipRequest, MembershipResponse>(from, [multiaddr(to.multiaddrs[0])], MEMBERSHIP_PROTOCOL, {
    type: MembershipRequest.Type.JOIN,
    peerId: from.peerId.toMultihash().bytes,
    addrs: from.getMultiaddrs().map(a => a.decapsulateCode(421).bytes),
    supernode: false,
    forwarded: false,
    invite: new Uint8Array(0),
    cert: new Uint8Array(0),
    ...req
  }, { request: MembershipRequest, response: MembershipResponse }, MEMBERSHIP_LIMITS)
}

describe('security: membership and the members-only protocols', function () {
  this.timeout(120_000)
  let net: Testnet | undefined
  let outsider: Host | undefined
  afterEach(async () => {
    await outsider?.stop()
    outsider = undefined
    await net?.stop()
    net = undefined
  })

  it('an outsider cannot join as a supernode, nor be heard in the election: it stays out and the ring keeps its settings', async () => {
    net = await createTestnet({ supernodes: 3, peers: 1, k: 3 })
    const founded = settingsOf(net)
    await net.waitForRing()
    const settings = net.nodes[0].settings
    const leader = acting(net)[0]
    const epoch = leader.election!.epoch()
    outsider = await createHost({ privateKey: await newKey(), listen: ['/ip4/127.0.0.1/tcp/0'] })
    const join = await ask(outsider, leader, { supernode: true })
    assert.equal(join.status, Status.NEEDS_INVITE)
    for (const p of supernodesOf(net)) assert.ok(!p.membership!.current.supernodes.some(s => s.address === outsider!.peerId.toString()))
    // It claims the next epoch's election anyway, and a view of its own: its election stream is reset unread,
    // and a view from a non-supernode is refused.
    for (const type of [ElectionMessage.Type.ELECTED, ElectionMessage.Type.HEARTBEAT]) {
      await assert.rejects(request(outsider, [multiaddr(leader.multiaddrs[0])], ELECTION_PROTOCOL, {
        type, id: outsider.peerId.toMultihash().bytes, epoch: BigInt(epoch + 1), sent: 0n, viewVersion: 0n
      }, { request: ElectionMessage, response: ElectionReply }, { maxMessageBytes: 1024, timeoutMs: 2_000 }), { name: 'UnreachableError' })
    }
    const poisoned = { ...leader.membership!.current, version: 1_000, epoch: epoch + 1, settings: { ...settings, k: 1, r: 1 } }
    const push = await ask(outsider, leader, { type: MembershipRequest.Type.PUSH_VIEW, view: viewToWire(leader.chord.peers, poisoned) })
    assert.equal(push.status, Status.NOT_SUPERNODE)
    assert.equal(leader.election!.epoch(), epoch)
    // A legitimate join still works.
    await net.add()
    await stillWorks(net, founded)
  })

  it('a new supernode needs a valid invite: none, forged, expired or used ones are refused; a fresh one admits it', async () => {
    net = await createTestnet({ supernodes: 1, peers: 1 })
    const founded = settingsOf(net)
    const boot = net.nodes[0]
    const connect = [boot.multiaddrs[0]]
    const start = async (invite?: string, privateKey?: PrivateKey): Promise<Peer> => await createPeer({
      bootstrap: true, connect, listen: ['/ip4/127.0.0.1/tcp/0'], api: false, joinTimeoutMs: 5_000,
      ...(invite !== undefined ? { invite } : {}), ...(privateKey !== undefined ? { privateKey } : {})
    })
    await assert.rejects(start(), (err: Error) => err.name === 'JoinFailedError' && /NEEDS_INVITE/.test(err.message))
    // Forged: signed by a key that is not a supernode's.
    const strangerKey = await newKey()
    const { mintInvite } = await import('../../src/trust/invites.js')
    const forged = await mintInvite(strangerKey, peerIdFromPrivateKey(strangerKey), Role.SUPERNODE, 60_000, Date.now())
    await assert.rejects(start(forged), (err: Error) => /INVITE_INVALID/.test(err.message))
    // An invite for a peer does not make a supernode.
    const forPeer = await boot.invite({ supernode: false })
    await assert.rejects(start(forPeer.token), (err: Error) => /INVITE_INVALID/.test(err.message))
    const expiring = await boot.invite({ supernode: true, ttlMs: 1 })
    await waitFor(() => Date.now() > expiring.expires, { what: 'the invite to expire' })
    await assert.rejects(start(expiring.token), (err: Error) => /INVITE_EXPIRED/.test(err.message))
    const good = await boot.invite({ supernode: true })
    const key = await newKey()
    let second = await start(good.token, key)
    net.nodes.push(second)
    assert.equal(second.role, 'supernode')
    const inView = (): boolean => boot.membership!.current.supernodes.some(s => s.address === second.peerId)
    await waitFor(inView, { what: 'the new supernode in the view' })
    // The same invite again (another process): used.
    await assert.rejects(start(good.token), (err: Error) => /INVITE_USED/.test(err.message))
    // Once authorised, the identity comes back as a supernode after it left the view, without a new invite.
    await second.stop()
    net.nodes.pop()
    await waitFor(() => !inView(), { what: 'the stopped supernode out of the view' })
    second = await start(undefined, key)
    net.nodes.push(second)
    assert.equal(second.role, 'supernode')
    await waitFor(inView, { what: 'the restarted supernode in the view' })
    // The peer admitted before this supernode existed learns of it, and trusts it, as soon as it meets its
    // certificate (not at its next renewal, minutes later).
    await net.waitForRing({ timeoutMs: 20_000 })
    await waitFor(() => net!.nodes[1].supernodes().some(s => s.address === second.peerId), { what: 'the peer to know the new supernode' })
    assert.ok(net.nodes[1].chord.peers.isMember(second.peerId))
    await stillWorks(net, founded)
  })

  it('with --admission invite a peer needs an invite too, once', async () => {
    net = await createTestnet({ supernodes: 1, admission: 'invite' })
    const founded = settingsOf(net)
    const boot = net.nodes[0]
    const connect = [boot.multiaddrs[0]]
    const join = async (invite?: string): Promise<Peer> =>
      await createPeer({ connect, listen: ['/ip4/127.0.0.1/tcp/0'], api: false,
        joinTimeoutMs: 5_000, ...(invite !== undefined ? { invite } : {}) })
    await assert.rejects(join(), (err: Error) => /NEEDS_INVITE/.test(err.message))
    const { token } = await boot.invite()
    net.nodes.push(await join(token))
    await assert.rejects(join(token), (err: Error) => /INVITE_USED/.test(err.message))
    await net.waitForRing()
    await stillWorks(net, founded)
  })

  it('a peer taken out of the view while it runs joins again at its next renewal, and keeps serving', async () => {
    net = await createTestnet({ supernodes: 1, peers: 2, k: 2, certTtlMs: 4_000 })
    const founded = settingsOf(net)
    const [boot, peer] = net.nodes
    const inView = (): boolean => boot.membership!.current.members.some(m => m.address === peer.peerId)
    assert.ok(inView())
    // The peer's own LEAVE takes it out of the view (as a supernode does with a node it found dead), while its
    // node keeps running.
    assert.equal((await ask(peer.host, boot, { type: MembershipRequest.Type.LEAVE })).status, Status.OK)
    assert.equal(inView(), false)
    await waitFor(inView, { timeoutMs: 15_000, what: 'the peer back in the view' })
    // Its certificate is renewed again: the other nodes keep counting it a member.
    await waitFor(() => (boot.chord.peers.cert(peer.peerId)?.expires ?? 0) > Date.now() + 2_000, { what: 'a renewed certificate' })
    await stillWorks(net, founded)
  })

  it('a member restarted with its identity at another address is reached there: its new certificate replaces the old', async () => {
    net = await createTestnet({ supernodes: 1, peers: 4, k: 3 })
    const founded = settingsOf(net)
    await net.waitForRing()
    const key = await newKey()
    let moved = await net.add({ privateKey: key })
    await net.waitForRing()
    const before = moved.multiaddrs[0]
    await net.remove(moved, { leave: false }) // a crash: everyone still holds its certificate, valid for minutes
    moved = await net.add({ privateKey: key })
    assert.notEqual(moved.multiaddrs[0], before)
    await net.waitForRing({ timeoutMs: 20_000 })
    // Every node connected to it holds its new certificate, so what they tell others carries its new address.
    const current = (p: Peer): boolean => moved.multiaddrs[0].startsWith(p.chord.peers.cert(moved.peerId)?.addrs[0]?.toString() ?? '-')
    const connected = (): Peer[] => net!.nodes.filter(p => p !== moved && p.host.getConnections(moved.host.peerId).length > 0)
    await waitFor(() => connected().length > 0 && connected().every(current),
      { timeoutMs: 5_000, what: 'its new certificate everywhere it is connected' })
    await stillWorks(net, founded)
  })

  it('an outsider running the ring protocol is reset unread: it becomes nobody\'s predecessor and gets no puts', async () => {
    net = await createTestnet({ supernodes: 1, peers: 2, k: 2 })
    const founded = settingsOf(net)
    await net.waitForRing()
    outsider = await createHost({ privateKey: await newKey(), listen: ['/ip4/127.0.0.1/tcp/0'] })
    for (const node of net.nodes) {
      const stream = await outsider.dialProtocol(multiaddr(node.multiaddrs[0]), CHORD_PROTOCOL)
      const notify = ChordRequest.encode({
        type: ChordRequest.Type.NOTIFY, addrs: outsider.getMultiaddrs().map(a => a.bytes), successors: [], key: new Uint8Array(0)
      })
      assert.equal(await sendRaw(stream, frame(notify)), 'reset')
    }
    for (const node of net.nodes) {
      const st = node.chord.snapshot()
      assert.notEqual(st.predecessor?.address, outsider.peerId.toString())
      assert.ok(!st.successors.some(s => s.address === outsider!.peerId.toString()))
    }
    const key = sha256Hex('whose-is-it')
    const { nodes } = await net.nodes[0].chord.findOwner(BigInt('0x' + key))
    assert.ok(!nodes.some(n => n.address === outsider!.peerId.toString()))
    await stillWorks(net, founded)
  })

  it('a member\'s LEAVE naming strangers adopts none of them; a store chain naming a stranger\'s address is never dialled', async () => {
    net = await createTestnet({ supernodes: 1, peers: 2, k: 2 })
    const founded = settingsOf(net)
    await net.waitForRing()
    const [victim, member] = [net.nodes[0], net.nodes[1]]
    // A stranger "listening" where the chain says: a TCP server that counts connections.
    let dialled = 0
    const trap = createServer(socket => { dialled++; socket.destroy() })
    await new Promise<void>(resolve => trap.listen(0, '127.0.0.1', resolve))
    try {
      const port = (trap.address() as AddressInfo).port
      const strangerKey = await newKey()
      const stranger = peerIdFromPrivateKey(strangerKey)
      const strangerAddr = multiaddr(`/ip4/127.0.0.1/tcp/${port}`).bytes
      const strangerPeer = { peerId: stranger.toMultihash().bytes, addrs: [strangerAddr], cert: new Uint8Array(0) }
      // LEAVE from the member, naming the stranger as its predecessor and successor.
      const stream = await member.host.dialProtocol(multiaddr(victim.multiaddrs[0]), CHORD_PROTOCOL)
      const leave = ChordRequest.encode({
        type: ChordRequest.Type.LEAVE, predecessor: strangerPeer, successors: [strangerPeer], addrs: [], key: new Uint8Array(0)
      })
      const reply = await sendRaw(stream, frame(leave))
      assert.ok(reply instanceof Uint8Array)
      ChordResponse.decode(reply)
      const st = victim.chord.snapshot()
      assert.notEqual(st.predecessor?.address, stranger.toString())
      assert.ok(!st.successors.some(s => s.address === stranger.toString()))
      // A store header whose chain names the stranger: the victim stores nothing for it and dials nothing there.
      const store = await member.host.dialProtocol(multiaddr(victim.multiaddrs[0]), STORE_PROTOCOL)
      const lp = framed(store)
      await lp.write(StoreHeader.encode({
        record: {
          name: 'chain.txt', key: new Uint8Array(Buffer.from(sha256Hex('chain.txt'), 'hex')), size: 0n, hash: new Uint8Array(0),
          chunkSize: 1 << 20, chunkHashes: [], version: { time: BigInt(Date.now()), counter: 0, writer: member.peerId },
          tombstone: false, contentType: '', created: 0n, modified: 0n, signature: new Uint8Array(0)
        },
        chain: [strangerPeer]
      }))
      // An empty body and its trailer; once the victim answers (or resets), it has made its choice of next hop,
      // which it does as soon as the header is read.
      await lp.write(new Uint8Array(0))
      const empty = new Uint8Array(Buffer.from(sha256Hex(''), 'hex'))
      await lp.write(StoreTrailer.encode({ size: 0n, hash: empty, chunkHashes: [], signature: new Uint8Array(0) }))
      await lp.read({ signal: AbortSignal.timeout(10_000) }).catch(() => undefined)
      store.abort(new Error('done'))
      assert.equal(dialled, 0, 'the victim dialled the address the chain named')
    } finally {
      await new Promise<void>(resolve => trap.close(() => { resolve() }))
    }
    await stillWorks(net, founded)
  })

  it('joins are rate-limited per address; a member that never enters the ring leaves the view; the member cap holds', async () => {
    const boot = await createPeer({
      bootstrap: true, listen: ['/ip4/127.0.0.1/tcp/0'], api: false,
      joinRate: { burst: 3, perSecond: 0.001 }, maxMembers: 3, enterDeadlineMs: 1_000
    })
    const founded = structuredClone(boot.settings)
    const hosts: Host[] = []
    try {
      await waitFor(() => boot.election!.acting(), { timeoutMs: 10_000, what: 'the supernode to act' })
      const statuses: MembershipResponse.Status[] = []
      for (let i = 0; i < 5; i++) {
        const h = await createHost({ privateKey: await newKey(), listen: ['/ip4/127.0.0.1/tcp/0'] })
        hosts.push(h)
        statuses.push((await ask(h, boot, {})).status)
      }
      // The burst (3) is taken; two fake members fill the cap of 3 (the supernode is one); the rest wait.
      assert.deepEqual(statuses.slice(0, 3), [Status.OK, Status.OK, Status.FULL])
      assert.deepEqual(statuses.slice(3), [Status.RETRY_LATER, Status.RETRY_LATER])
      // They answer no chord PING: within the deadline they are out of the view again.
      await waitFor(() => boot.membership!.current.members.length === 1, { timeoutMs: 10_000, what: 'the fake members dropped' })
      // The ring (the supernode alone) still works, with its settings.
      assert.deepEqual(boot.membership!.current.settings, founded)
      await boot.files.put('after-the-flood', (async function * () { yield Buffer.from('still here') })())
      assert.equal((await collect((await boot.files.read('after-the-flood')).body)).toString(), 'still here')
    } finally {
      for (const h of hosts) await h.stop()
      await boot.stop()
    }
  })

  it('a view comes only from its epoch\'s leader, never changes the settings, and cannot jump epochs', async () => {
    net = await createTestnet({ supernodes: 3 })
    const founded = settingsOf(net)
    await waitFor(() => acting(net!).length === 1, { timeoutMs: 10_000, what: 'one leader' })
    const leader = acting(net)[0]
    const [a, b] = supernodesOf(net).filter(p => p !== leader)
    const current = b.membership!.current
    const settings = current.settings
    const push = async (from: Peer, view: typeof current): Promise<MembershipResponse> =>
      await ask(from.host, b, { type: MembershipRequest.Type.PUSH_VIEW, view: viewToWire(from.chord.peers, view) })
    // A supernode pushing a view that names the leader, not itself, as its writer.
    assert.equal((await push(a, { ...current, version: current.version + 5 })).status, Status.NOT_LEADER)
    // A supernode claiming to lead a later epoch with other settings.
    const self = { ...current, leader: a.chord.self, epoch: current.epoch + 1, version: 1 }
    assert.equal((await push(a, { ...self, settings: { ...settings, k: 1 } })).status, Status.BAD_SETTINGS)
    assert.equal((await push(a, { ...self, epoch: current.epoch + 2 ** 21 })).status, Status.STALE_VIEW)
    assert.deepEqual(b.membership!.current.settings, settings)
    assert.equal(b.membership!.current.epoch, current.epoch)
    await stillWorks(net, founded)
  })

  it('certificates lapse: past their expiry (and the skew allowed) a member is no longer one; only a view member is renewed', async () => {
    let now = Date.now()
    const verifier = new CertVerifier(() => now, 60_000)
    const key = await newKey()
    const issuer = peerIdFromPrivateKey(key)
    verifier.setRoots([issuer.toString()])
    const subject = peerIdFromPrivateKey(await newKey())
    const cert = await issueCert(key, issuer, { subject, role: Role.PEER, addrs: [], epoch: 1, expires: now + 60_000 })
    assert.equal(verifier.verify(cert)?.address, subject.toString())
    now += 60_000 + 59_000
    assert.ok(verifier.verify(cert) !== undefined, 'within the skew allowed')
    now += 2_000
    assert.equal(verifier.verify(cert), undefined)
    // A supernode that left stays trusted for one lifetime, then not.
    now = Date.now()
    const fresh = await issueCert(key, issuer, { subject, role: Role.PEER, addrs: [], epoch: 1, expires: now + 60_000 })
    verifier.setRoots([])
    assert.ok(verifier.verify(fresh) !== undefined)
    now += 60_000 + 61_000
    assert.equal(verifier.verify(fresh), undefined)
    // RENEW from a node that is not in the view: refused.
    net = await createTestnet({ supernodes: 1 })
    const founded = settingsOf(net)
    outsider = await createHost({ privateKey: await newKey(), listen: ['/ip4/127.0.0.1/tcp/0'] })
    assert.equal((await ask(outsider, net.nodes[0], { type: MembershipRequest.Type.RENEW })).status, Status.NOT_MEMBER)
    await stillWorks(net, founded)
  })
})
