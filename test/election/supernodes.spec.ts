// Supernodes on real libp2p hosts in one process: they elect one acting leader, replicate the membership view,
// forward joins to the leader, fail over when it crashes (a join during the failover succeeds after retry),
// hand over when it leaves, and reject election and membership messages from outsiders.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { ElectionMessage, ElectionReply } from '../../protocols/election.js'
import { MembershipRequest, MembershipResponse } from '../../protocols/membership.js'
import { ELECTION_PROTOCOL } from '../../src/election/service.js'
import { MEMBERSHIP_LIMITS, MEMBERSHIP_PROTOCOL } from '../../src/membership/client.js'
import { S3ViewStore } from '../../src/membership/s3-view-store.js'
import { viewToWire } from '../../src/membership/view.js'
import { createHost, type Host } from '../../src/net/host.js'
import { newKey } from '../../src/net/identity.js'
import { request } from '../../src/net/rpc.js'
import { createPeer, type Peer } from '../../src/peer.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { startS3rver } from '../utils/s3-fixture.js'
import { waitFor } from '../utils/wait.js'

const supernodesOf = (net: Testnet): Peer[] => net.nodes.filter(p => p.role === 'supernode')
const actingLeaders = (net: Testnet): Peer[] => supernodesOf(net).filter(p => p.election!.acting())

/** One acting leader that every supernode follows, and every supernode holds the same view version. */
function agreed (net: Testnet): boolean {
  const acting = actingLeaders(net)
  if (acting.length !== 1) return false
  const versions = new Set(supernodesOf(net).map(p => p.membership!.current.version))
  return supernodesOf(net).every(p => p.election!.leader()?.address === acting[0].peerId) && versions.size === 1
}

describe('supernodes: election and leader-coordinated membership', function () {
  this.timeout(120_000)
  let net: Testnet | undefined
  let outsider: Host | undefined
  let s3: Awaited<ReturnType<typeof startS3rver>> | undefined
  let dir: string | undefined
  afterEach(async () => {
    await outsider?.stop()
    await net?.stop()
    await s3?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    outsider = undefined
    net = undefined
    s3 = undefined
    dir = undefined
  })

  it('3 supernodes and 3 peers: one acting leader, the view on every supernode, joins forwarded to the leader', async () => {
    net = await createTestnet({ supernodes: 3, peers: 3 })
    await net.waitForRing()
    await waitFor(() => agreed(net!), { timeoutMs: 10_000, what: 'one leader and one view' })
    const leader = actingLeaders(net)[0]
    const view = leader.membership!.current
    assert.equal(view.supernodes.length, 3)
    assert.equal(view.members.length, 6)
    assert.equal(view.leader?.address, leader.peerId)
    // A peer that knows only a follower is admitted through it: the follower forwards to the leader.
    const follower = supernodesOf(net).find(p => p !== leader)!
    const joiner = await net.add({ connect: [follower.multiaddrs[0]] })
    await waitFor(() => supernodesOf(net!).every(p => p.membership!.current.members.some(m => m.address === joiner.peerId)),
      { timeoutMs: 5_000, what: 'the joiner in every view' })
    assert.ok(supernodesOf(net).every(p => p.membership!.current.version === leader.membership!.current.version))
    // A graceful leave of a peer goes through the leader too.
    await net.remove(joiner)
    await waitFor(() => supernodesOf(net!).every(p => !p.membership!.current.members.some(m => m.address === joiner.peerId)),
      { timeoutMs: 5_000, what: 'the leaver out of every view' })
    // A crashed peer is found dead by the ring and reported to the leader; a crashed supernode stays in the set.
    const crashed = net.nodes.find(p => p.role === 'peer')!
    await net.remove(crashed, { leave: false })
    await waitFor(() => supernodesOf(net!).every(p => !p.membership!.current.members.some(m => m.address === crashed.peerId)),
      { timeoutMs: 30_000, what: 'the crashed peer out of every view' })
    assert.equal(leader.membership!.current.supernodes.length, 3)
  })

  it('the leader crashes: a new leader acts and a join during the failover succeeds after retry', async () => {
    net = await createTestnet({ supernodes: 3, peers: 2 })
    await waitFor(() => agreed(net!), { timeoutMs: 10_000, what: 'one leader' })
    const old = actingLeaders(net)[0]
    const epoch = old.election!.epoch()
    await net.remove(old, { leave: false })
    const joining = net.add() // through the survivors, while they have no acting leader
    // The failover time is a figure of bench/election.ts, not an assertion here.
    await waitFor(() => actingLeaders(net!).length === 1, { timeoutMs: 10_000, intervalMs: 10, what: 'a new acting leader' })
    const next = actingLeaders(net)[0]
    assert.ok(next.election!.epoch() > epoch)
    const joiner = await joining
    await waitFor(() => next.membership!.current.members.some(m => m.address === joiner.peerId),
      { timeoutMs: 5_000, what: 'the joiner admitted by the new leader' })
    await net.waitForRing()
  })

  it('a graceful leader shutdown hands over without waiting for the heartbeat timeout, and the old leader leaves the view', async () => {
    // A leader timeout far beyond the deadline below: a new leader before it can only come from the handover.
    const election = { leaderTimeoutMs: 60_000, electionTimeoutMs: 60_000 }
    net = await createTestnet({ supernodes: 3, election })
    await waitFor(() => agreed(net!), { timeoutMs: 10_000, what: 'one leader' })
    const old = actingLeaders(net)[0]
    await net.remove(old, { leave: true })
    await waitFor(() => actingLeaders(net!).length === 1, { timeoutMs: 10_000, intervalMs: 10, what: 'a new acting leader' })
    const next = actingLeaders(net)[0]
    await waitFor(() => supernodesOf(net!).every(p => p.membership!.current.supernodes.length === 2),
      { timeoutMs: 5_000, what: 'the view without the old leader' })
    assert.ok(!next.membership!.current.supernodes.some(n => n.address === old.peerId))
  })

  it('with S3 the view is persisted; a cluster restarted from nothing but the bucket recovers settings, epoch and members', async () => {
    s3 = await startS3rver()
    net = await createTestnet({ supernodes: 2, peers: 1, k: 2, s3: s3.config })
    await waitFor(() => agreed(net!), { timeoutMs: 10_000, what: 'one leader' })
    const leader = actingLeaders(net)[0]
    const want = leader.membership!.current
    const store = new S3ViewStore(s3.config)
    try {
      await waitFor(async () => (await store.load())?.version === want.version, { timeoutMs: 10_000, what: 'the view in S3' })
    } finally {
      store.close()
    }
    const members = want.members.map(m => m.address).sort()
    await net.stop() // every node at once, as a crash
    net = undefined
    // A new supernode with a new identity and data dir, asked for k = 3, finds the old cluster in the bucket.
    const fresh = await createPeer({
      bootstrap: true, k: 3, s3: s3.config, listen: ['/ip4/127.0.0.1/tcp/0'], api: false, joinTimeoutMs: 1_000
    })
    try {
      assert.equal(fresh.settings.k, 2, 'the ring keeps the settings it was created with')
      await waitFor(() => fresh.election!.acting(), { timeoutMs: 5_000, what: 'the restarted supernode to lead' })
      const view = fresh.membership!.current
      assert.ok(view.epoch > want.epoch, `epoch ${view.epoch} after ${want.epoch}`)
      assert.deepEqual(view.members.map(m => m.address).filter(a => a !== fresh.peerId).sort(), members)
    } finally {
      await fresh.stop({ leave: false })
    }
  })

  it('a supernode restarted from its data dir without --connect rejoins its running group, not a ring of its own', async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-super-'))
    net = await createTestnet({ supernodes: 2 })
    const third = await net.add({ bootstrap: true, dataDir: dir })
    await waitFor(() => agreed(net!) && supernodesOf(net!).every(p => p.membership!.current.supernodes.length === 3),
      { timeoutMs: 10_000, what: 'three supernodes' })
    await net.remove(third, { leave: false })
    const back = await createPeer({ bootstrap: true, dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], api: false, joinTimeoutMs: 10_000 })
    net.nodes.push(back)
    await net.waitForRing()
    await waitFor(() => agreed(net!), { timeoutMs: 10_000, what: 'one leader with the restarted supernode' })
    assert.equal(back.membership!.current.supernodes.length, 3)
    assert.equal(back.election!.leader()?.address, actingLeaders(net)[0].peerId)
  })

  it('rejects election and membership messages from a peer that is not a known supernode, and stale views', async () => {
    net = await createTestnet({ supernodes: 3, peers: 1 })
    await waitFor(() => agreed(net!), { timeoutMs: 10_000, what: 'one leader' })
    const leader = actingLeaders(net)[0]
    const follower = supernodesOf(net).find(p => p !== leader)!
    const member = net.nodes.find(p => p.role === 'peer')!
    outsider = await createHost({ privateKey: await newKey(), listen: ['/ip4/127.0.0.1/tcp/0'] })
    const to = [multiaddr(follower.multiaddrs[0])]
    const epoch = follower.election!.epoch()
    const rejectedBefore = follower.election!.counts().rejected
    // An outsider does not even get its message read: the members-only gate resets the stream.
    await assert.rejects(request(outsider, to, ELECTION_PROTOCOL, {
      type: ElectionMessage.Type.ELECTED,
      id: outsider.peerId.toMultihash().bytes,
      epoch: BigInt(epoch + 100),
      sent: 0n,
      viewVersion: 0n
    }, { request: ElectionMessage, response: ElectionReply }, { maxMessageBytes: 1024, timeoutMs: 2_000 }), { name: 'UnreachableError' })
    // A member that is not a supernode claims to have won a far later election: read, and rejected by the core.
    await request(member.host, to, ELECTION_PROTOCOL, {
      type: ElectionMessage.Type.ELECTED,
      id: member.host.peerId.toMultihash().bytes,
      epoch: BigInt(epoch + 100),
      sent: 0n,
      viewVersion: 0n
    }, { request: ElectionMessage, response: ElectionReply }, { maxMessageBytes: 1024, timeoutMs: 2_000 })
    await request(member.host, to, ELECTION_PROTOCOL, {
      type: ElectionMessage.Type.HEARTBEAT,
      id: member.host.peerId.toMultihash().bytes,
      epoch: BigInt(epoch + 100),
      sent: 1n,
      viewVersion: 0n
    }, { request: ElectionMessage, response: ElectionReply }, { maxMessageBytes: 1024, timeoutMs: 2_000 })
    assert.equal(follower.election!.counts().rejected, rejectedBefore + 2)
    assert.equal(follower.election!.epoch(), epoch)
    assert.equal(follower.election!.leader()?.address, leader.peerId)

    const ask = async (req: Partial<MembershipRequest>): Promise<MembershipResponse> =>
      request<MembershipRequest, MembershipResponse>(outsider!, to, MEMBERSHIP_PROTOCOL, {
        type: MembershipRequest.Type.JOIN,
        peerId: outsider!.peerId.toMultihash().bytes,
        addrs: [],
        supernode: false,
        forwarded: false,
        invite: new Uint8Array(0),
        cert: new Uint8Array(0),
        ...req
      }, { request: MembershipRequest, response: MembershipResponse }, MEMBERSHIP_LIMITS)
    const version = follower.membership!.current.version
    const forged = { ...follower.membership!.current, version: version + 50, supernodes: [], members: [] }
    const push = await ask({ type: MembershipRequest.Type.PUSH_VIEW, view: viewToWire(follower.chord.peers, forged) })
    assert.equal(push.status, MembershipResponse.Status.NOT_SUPERNODE)
    const forwarded = await ask({ forwarded: true, peerId: leader.host.peerId.toMultihash().bytes })
    assert.equal(forwarded.status, MembershipResponse.Status.NOT_SUPERNODE)
    const impostor = await ask({ peerId: leader.host.peerId.toMultihash().bytes })
    assert.equal(impostor.status, MembershipResponse.Status.WRONG_PEER)
    assert.equal(follower.membership!.current.version, version)
    assert.equal(follower.membership!.current.supernodes.length, 3)

    // A known supernode pushing an older view is refused too.
    const stale = await request<MembershipRequest, MembershipResponse>(leader.host, to, MEMBERSHIP_PROTOCOL, {
      type: MembershipRequest.Type.PUSH_VIEW,
      peerId: new Uint8Array(0),
      addrs: [],
      supernode: false,
      forwarded: false,
      invite: new Uint8Array(0),
      cert: new Uint8Array(0),
      view: viewToWire(leader.chord.peers, { ...leader.membership!.current, version: 1 })
    }, { request: MembershipRequest, response: MembershipResponse }, MEMBERSHIP_LIMITS)
    assert.equal(stale.status, MembershipResponse.Status.STALE_VIEW)
  })

  it('REPORT_DEAD: only a member may report, and only a node the supernode cannot reach itself leaves the view', async () => {
    net = await createTestnet({ supernodes: 3, peers: 1 })
    await waitFor(() => agreed(net!), { timeoutMs: 10_000, what: 'one leader' })
    const follower = supernodesOf(net).find(p => !p.election!.acting())!
    const peer = net.nodes.find(p => p.role === 'peer')!
    const to = [multiaddr(follower.multiaddrs[0])]
    const ask = async (from: Host, req: Partial<MembershipRequest>): Promise<MembershipResponse> =>
      request<MembershipRequest, MembershipResponse>(from, to, MEMBERSHIP_PROTOCOL, {
        type: MembershipRequest.Type.REPORT_DEAD,
        peerId: new Uint8Array(0),
        addrs: [],
        supernode: false,
        forwarded: false,
        invite: new Uint8Array(0),
        cert: new Uint8Array(0),
        ...req
      }, { request: MembershipRequest, response: MembershipResponse }, MEMBERSHIP_LIMITS)
    const inEveryView = (address: string): boolean =>
      supernodesOf(net!).every(p => p.membership!.current.members.some(m => m.address === address))
    const inNoView = (address: string): boolean =>
      supernodesOf(net!).every(p => !p.membership!.current.members.some(m => m.address === address))
    outsider = await createHost({ privateKey: await newKey(), listen: ['/ip4/127.0.0.1/tcp/0'] })

    const refused = await ask(outsider, { peerId: peer.host.peerId.toMultihash().bytes })
    assert.equal(refused.status, MembershipResponse.Status.NOT_MEMBER)
    // The outsider is admitted to the view but never joins the ring (it serves no chord protocol), so no ring
    // finds it dead: only a report can take it out.
    const joined = await ask(outsider, {
      type: MembershipRequest.Type.JOIN,
      peerId: outsider.peerId.toMultihash().bytes,
      addrs: outsider.getMultiaddrs().map(a => a.decapsulateCode(421).bytes)
    })
    assert.equal(joined.status, MembershipResponse.Status.OK, joined.error)
    await waitFor(() => inEveryView(outsider!.peerId.toString()), { timeoutMs: 10_000, what: 'the outsider in every view' })
    // A member reporting a live node is heard, and the node stays: the supernode's own PING answers.
    const live = await ask(outsider, { peerId: peer.host.peerId.toMultihash().bytes })
    assert.equal(live.status, MembershipResponse.Status.OK, live.error)
    // The peer reports the outsider, whose chord PING fails: it leaves every view.
    const dead = await ask(peer.host, { peerId: outsider.peerId.toMultihash().bytes })
    assert.equal(dead.status, MembershipResponse.Status.OK, dead.error)
    await waitFor(() => inNoView(outsider!.peerId.toString()), { timeoutMs: 15_000, what: 'the unreachable member out of every view' })
    assert.ok(inEveryView(peer.peerId), 'the live peer was removed')
  })
})
