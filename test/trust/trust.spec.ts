// The trust primitives on their own: certificates (roots, learnt supernodes, retired roots, expiry, forgery),
// invites (signer, expiry, tampering, tokens), the token buckets of the rate limits, and the bound on authorised
// supernodes.
import assert from 'node:assert/strict'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { MemberCert } from '../../protocols/trust.js'
import { MAX_AUTHORISED, withAuthorised } from '../../src/membership/view.js'
import { newKey } from '../../src/net/identity.js'
import { CERT_TTL_MS, CLOCK_SKEW_MS, CertVerifier, issueCert, Role } from '../../src/trust/certs.js'
import { checkInvite, inviteBytes, mintInvite } from '../../src/trust/invites.js'
import { MAX_RATE_PEERS, TokenBuckets } from '../../src/trust/rate.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { NodeRef } from '../../src/ring/index.js'

interface Party { key: PrivateKey, id: PeerId, address: string }
async function party (): Promise<Party> {
  const key = await newKey()
  const id = peerIdFromPrivateKey(key)
  return { key, id, address: id.toString() }
}

describe('trust: certificates', () => {
  let clock = 1_000_000
  const now = (): number => clock
  let root: Party
  let member: Party
  const addrs = [multiaddr('/ip4/127.0.0.1/tcp/4001')]
  const cert = async (by: Party, of: Party, role = Role.PEER, expires = clock + CERT_TTL_MS): Promise<Uint8Array<ArrayBuffer>> =>
    await issueCert(by.key, by.id, { subject: of.id, role, addrs, epoch: 3, expires })

  beforeEach(async () => {
    clock = 1_000_000
    root = await party()
    member = await party()
  })

  it('a root\'s certificate verifies with what it says; one signed by a stranger, or altered, does not', async () => {
    const v = new CertVerifier(now)
    v.setRoots([root.address])
    const ok = v.verify(await cert(root, member))
    assert.equal(ok?.address, member.address)
    assert.equal(ok?.role, Role.PEER)
    assert.equal(ok?.issuer, root.address)
    assert.equal(ok?.epoch, 3)
    assert.deepEqual(ok?.addrs.map(a => a.toString()), ['/ip4/127.0.0.1/tcp/4001'])
    const stranger = await party()
    assert.equal(v.verify(await cert(stranger, member)), undefined)
    // Altered after signing: made a supernode.
    const wire = MemberCert.decode(await cert(root, member))
    assert.equal(v.verify(MemberCert.encode({ ...wire, role: Role.SUPERNODE })), undefined)
    assert.equal(v.verify(new Uint8Array([1, 2, 3])), undefined)
    assert.equal(v.verify(new Uint8Array(0)), undefined)
  })

  it('a certificate lapses at its expiry plus the clock skew allowed', async () => {
    const v = new CertVerifier(now)
    v.setRoots([root.address])
    const bytes = await cert(root, member)
    assert.ok(v.verify(bytes) !== undefined)
    assert.equal(v.aging(v.verify(bytes)!), false)
    clock += CERT_TTL_MS / 2 + 1
    assert.equal(v.aging(v.verify(bytes)!), true)
    clock += CERT_TTL_MS / 2 + CLOCK_SKEW_MS - 2
    assert.ok(v.verify(bytes) !== undefined)
    clock += 2
    assert.equal(v.verify(bytes), undefined, 'remembered certificates lapse too')
  })

  it('a supernode certificate signed by a root makes its subject a signer until it expires; news of supernodes is told', async () => {
    const v = new CertVerifier(now)
    let told = 0
    v.onRootsStale = () => { told++ }
    v.setRoots([root.address])
    const newcomer = await party()
    assert.equal(v.verify(await cert(newcomer, member)), undefined, 'not a signer yet')
    assert.equal(told, 1, 'an unknown issuer is told')
    assert.ok(v.verify(await cert(root, newcomer, Role.SUPERNODE)) !== undefined)
    assert.equal(told, 2, 'a supernode that is not a root is told')
    assert.ok(v.isRoot(newcomer.address))
    assert.ok(v.verify(await cert(newcomer, member)) !== undefined)
    // A peer certificate makes no signer.
    const other = await party()
    assert.ok(v.verify(await cert(root, other)) !== undefined)
    assert.equal(v.isRoot(other.address), false)
    clock += CERT_TTL_MS + CLOCK_SKEW_MS + 1
    assert.equal(v.isRoot(newcomer.address), false)
  })

  it('a root that leaves the set stays a signer for one certificate lifetime, and cannot extend it', async () => {
    const v = new CertVerifier(now)
    const next = await party()
    v.setRoots([root.address])
    v.setRoots([next.address])
    assert.ok(v.isRoot(root.address))
    // The former root signs itself a supernode certificate, and has another supernode it signed sign one for it.
    clock += CERT_TTL_MS / 2
    assert.ok(v.verify(await cert(root, root, Role.SUPERNODE)) !== undefined)
    const accomplice = await party()
    assert.ok(v.verify(await cert(root, accomplice, Role.SUPERNODE)) !== undefined)
    assert.equal(v.isRoot(accomplice.address), false, 'made a signer by a former root')
    clock += CERT_TTL_MS / 2 + CLOCK_SKEW_MS + 1
    assert.equal(v.isRoot(root.address), false)
    assert.ok(v.isRoot(next.address))
  })

  it('a certificate that lives longer than the ring gives any is refused', async () => {
    const v = new CertVerifier(now)
    v.setRoots([root.address])
    assert.ok(v.verify(await cert(root, member, Role.PEER, clock + CERT_TTL_MS + CLOCK_SKEW_MS)) !== undefined)
    assert.equal(v.verify(await cert(root, member, Role.PEER, clock + CERT_TTL_MS + CLOCK_SKEW_MS + 1)), undefined)
    assert.equal(v.verify(await cert(root, member, Role.PEER, 2 ** 52)), undefined)
  })
})

describe('trust: invites', () => {
  it('checks the signer, the expiry, the encoding and the token', async () => {
    const supernode = await party()
    const t0 = 5_000_000
    const token = await mintInvite(supernode.key, supernode.id, Role.SUPERNODE, 60_000, t0)
    const bytes = inviteBytes(token)!
    const ok = checkInvite(bytes, a => a === supernode.address, t0 + 1)
    assert.ok(typeof ok === 'object')
    assert.equal(ok.role, Role.SUPERNODE)
    assert.equal(ok.issuer, supernode.address)
    assert.equal(ok.expires, t0 + 60_000)
    assert.match(ok.nonce, /^[0-9a-f]{32}$/)
    assert.equal(checkInvite(bytes, () => false, t0 + 1), 'invalid', 'not signed by a supernode of the view')
    assert.equal(checkInvite(bytes, a => a === supernode.address, t0 + 60_000), 'expired')
    const altered = Uint8Array.from(bytes)
    altered[1] ^= 1
    assert.equal(checkInvite(altered, a => a === supernode.address, t0 + 1), 'invalid')
    assert.equal(checkInvite(new Uint8Array(2000), () => true, t0), 'invalid')
    assert.equal(inviteBytes('not a token!'), undefined)
    assert.equal(inviteBytes(''), undefined)
    const again = await mintInvite(supernode.key, supernode.id, Role.SUPERNODE, 60_000, t0)
    assert.notEqual(again, token, 'each invite has its own nonce')
  })
})

describe('trust: rate limits (TokenBuckets)', () => {
  it('allows a burst, then the rate; kinds without a rate are free; keys are separate', () => {
    let now = 0
    const buckets = new TokenBuckets<'a' | 'b'>({ a: { burst: 3, perSecond: 2 } }, { now: () => now })
    assert.deepEqual([1, 2, 3, 4].map(() => buckets.take('p', 'a')), [true, true, true, false])
    assert.equal(buckets.take('q', 'a'), true)
    assert.equal(buckets.take('p', 'b'), true)
    now += 499
    assert.equal(buckets.take('p', 'a'), false)
    now += 1
    assert.equal(buckets.take('p', 'a'), true)
    now += 60_000
    assert.deepEqual([1, 2, 3, 4].map(() => buckets.take('p', 'a')), [true, true, true, false], 'refills to the burst only')
    assert.throws(() => new TokenBuckets({ a: { burst: 0, perSecond: 1 } }), RangeError)
    assert.throws(() => new TokenBuckets({ a: { burst: 1, perSecond: 0 } }), RangeError)
  })

  it('debt says how long to wait so that a caller keeps to the rate', () => {
    let now = 0
    const buckets = new TokenBuckets<'a'>({ a: { burst: 2, perSecond: 4 } }, { now: () => now })
    assert.deepEqual([1, 2, 3, 4].map(() => buckets.debt('p', 'a')), [0, 0, 250, 500])
    now += 500
    assert.equal(buckets.debt('p', 'a'), 250)
  })

  it('keeps at most maxPeers keys, forgetting the least recently seen', () => {
    const buckets = new TokenBuckets<'a'>({ a: { burst: 1, perSecond: 0.001 } }, { maxPeers: 2, now: () => 0 })
    buckets.take('p', 'a')
    buckets.take('q', 'a')
    buckets.take('p', 'a') // p is now the most recent
    buckets.take('r', 'a') // q goes
    assert.equal(buckets.size, 2)
    assert.equal(buckets.take('p', 'a'), false, 'p is remembered (and spent)')
    assert.equal(buckets.take('q', 'a'), true, 'q was forgotten: it starts afresh')
  })

  it('tracks MAX_RATE_PEERS keys by default: a flood of fresh keys pushes out the oldest', () => {
    const buckets = new TokenBuckets<'join'>({ join: { burst: 3, perSecond: 2 } }, { now: () => 0 })
    assert.deepEqual([1, 2, 3, 4].map(() => buckets.take('a', 'join')), [true, true, true, false])
    for (let i = 0; i < MAX_RATE_PEERS; i++) buckets.take(`k${i}`, 'join')
    assert.equal(buckets.size, MAX_RATE_PEERS)
    assert.deepEqual([1, 2, 3, 4].map(() => buckets.take('a', 'join')), [true, true, true, false], 'a starts full again')
  })
})

describe('trust: authorised supernodes', () => {
  const node = (address: string): NodeRef => ({ id: BigInt(address.length), address })
  it('the current supernodes are always authorised; past the bound the oldest former ones are forgotten', () => {
    const former = Array.from({ length: MAX_AUTHORISED }, (_, i) => `former-${i}`)
    const view = withAuthorised({ supernodes: [node('now-1'), node('now-2')], authorised: former })
    assert.equal(view.authorised.length, MAX_AUTHORISED)
    assert.ok(view.authorised.includes('now-1') && view.authorised.includes('now-2'))
    assert.ok(!view.authorised.includes('former-0') && !view.authorised.includes('former-1'))
    assert.ok(view.authorised.includes(`former-${MAX_AUTHORISED - 1}`))
    assert.deepEqual(withAuthorised({ supernodes: [node('x')], authorised: ['x', 'y'] }).authorised, ['x', 'y'])
  })
})
