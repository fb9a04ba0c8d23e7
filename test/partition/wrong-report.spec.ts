// A live peer taken out of the view by a wrong death report (a supernode that confirmed the death while it was
// cut off from the peer forwards it to the leader once the partition heals): the leader finds it alive and asks
// it to unify, so the peer learns it is no member and joins again at once, instead of serving the ring outside
// the view until its next certificate renewal.
import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { MembershipRequest, MembershipResponse } from '../../protocols/membership.js'
import { MEMBERSHIP_LIMITS, MEMBERSHIP_PROTOCOL } from '../../src/membership/client.js'
import { request } from '../../src/net/rpc.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { waitFor } from '../utils/wait.js'

describe('partition: a wrong death report', function () {
  this.timeout(60_000)
  let net: Testnet | undefined
  afterEach(async () => {
    await net?.stop()
    net = undefined
  })

  it('a live peer the leader removed on a supernode\'s report is back in the view within seconds', async () => {
    net = await createTestnet({ supernodes: 2, peers: 2, k: 2 })
    await net.waitForRing()
    const supernodes = net.nodes.filter(p => p.role === 'supernode')
    await waitFor(() => supernodes.some(p => p.election!.acting()), { timeoutMs: 20_000, what: 'a leader' })
    const leader = supernodes.find(p => p.election!.acting())!
    const other = supernodes.find(p => p !== leader)!
    const victim = net.nodes.find(p => p.role === 'peer')!
    const inView = (): boolean => leader.membership!.current.members.some(m => m.address === victim.peerId)
    assert.ok(inView())

    // The other supernode forwards a death it "confirmed" (as one cut off from the victim would).
    const res = await request<MembershipRequest, MembershipResponse>(other.host, [multiaddr(leader.multiaddrs[0])], MEMBERSHIP_PROTOCOL, {
      type: MembershipRequest.Type.LEAVE,
      peerId: victim.host.peerId.toMultihash().bytes,
      addrs: [],
      supernode: false,
      forwarded: true,
      invite: new Uint8Array(0),
      cert: new Uint8Array(0)
    }, { request: MembershipRequest, response: MembershipResponse }, MEMBERSHIP_LIMITS)
    assert.equal(res.status, MembershipResponse.Status.OK)
    assert.equal(inView(), false, 'the leader took the victim out of the view')

    await waitFor(inView, { timeoutMs: 20_000, what: 'the live peer back in the view' })
    // And the peer itself says so (its join's answer may arrive just after the leader's view changed).
    const rejoined = (): number => victim.events.history().filter(e => e.type === 'member.joined' && /again/.test(e.message)).length
    await waitFor(() => rejoined() > 0, { timeoutMs: 10_000, what: 'the peer to report it joined again' })
    assert.equal(rejoined(), 1)
  })
})
