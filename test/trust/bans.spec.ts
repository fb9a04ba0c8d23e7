// The bans of src/trust/bans.ts on their own, on a clock of the test's: strikes within the window ban a member
// (and close its connections), fewer or slower ones do not; a ban ends after banMs; refusals at the gate close
// the connections but ban no one; and the peers banned or with strikes stay bounded, however many identities
// a flooder holds.
import assert from 'node:assert/strict'
import {
  BAN_MS, Bans, MAX_TRACKED_PEERS, NOT_MEMBER_STRIKES, OVER_RATE_STRIKES, STRIKE_WINDOW_MS
} from '../../src/trust/bans.js'
import type { PeerId } from '@libp2p/interface'

/** Bans only read a peer's string form. */
const peer = (name: string): PeerId => ({ toString: () => name }) as unknown as PeerId

describe('trust: bans', () => {
  let clock: number
  let aborted: string[]
  const make = (init: { banMs?: number, maxPeers?: number } = {}): Bans => {
    const bans = new Bans({ ...init, now: () => clock })
    bans.attach({ getConnections: (p?: PeerId) => [{ abort: () => { aborted.push(p!.toString()) } }] })
    return bans
  }
  beforeEach(() => { clock = 1_000_000; aborted = [] })

  it('bans a member at OVER_RATE_STRIKES refusals within the window, closes its connections, and lifts the ban after banMs', () => {
    const bans = make()
    for (let i = 1; i < OVER_RATE_STRIKES; i++) assert.equal(bans.overRate(peer('h')), false)
    assert.equal(bans.isBanned('h'), false)
    assert.deepEqual(aborted, [])
    assert.equal(bans.overRate(peer('h')), true)
    assert.equal(bans.isBanned('h'), true)
    assert.deepEqual(aborted, ['h'])
    assert.equal(bans.gater.denyDialPeer!(peer('h')), true)
    assert.equal(bans.gater.denyInboundEncryptedConnection!(peer('h'), undefined as never), true)
    assert.equal(bans.gater.denyOutboundEncryptedConnection!(peer('h'), undefined as never), true)
    assert.equal(bans.gater.denyDialPeer!(peer('other')), false)
    // A connection that got past the gater while the ban began is closed on its next refusal.
    bans.overRate(peer('h'))
    assert.deepEqual(aborted, ['h', 'h'])
    clock += BAN_MS - 1
    assert.equal(bans.isBanned('h'), true)
    clock += 1
    assert.equal(bans.isBanned('h'), false)
    assert.equal(bans.gater.denyDialPeer!(peer('h')), false)
  })

  it('does not ban refusals spread wider than the window', () => {
    const bans = make()
    for (let i = 0; i < 3 * OVER_RATE_STRIKES; i++) {
      assert.equal(bans.overRate(peer('slow')), false)
      clock += STRIKE_WINDOW_MS / (OVER_RATE_STRIKES - 1) + 1 // the limit's count takes just over the window
    }
    assert.equal(bans.isBanned('slow'), false)
  })

  it('closes the connections of a peer refused at the gate NOT_MEMBER_STRIKES times, without banning it', () => {
    const bans = make()
    for (let i = 1; i < NOT_MEMBER_STRIKES; i++) assert.equal(bans.notMember(peer('x')), false)
    assert.equal(bans.notMember(peer('x')), true)
    assert.deepEqual(aborted, ['x'])
    assert.equal(bans.isBanned('x'), false)
    assert.equal(bans.gater.denyInboundEncryptedConnection!(peer('x'), undefined as never), false)
    // The count starts again: the next connection gets as many refusals.
    for (let i = 1; i < NOT_MEMBER_STRIKES; i++) assert.equal(bans.notMember(peer('x')), false)
    assert.equal(bans.notMember(peer('x')), true)
  })

  it('keeps at most maxPeers bans and strikes, the oldest going first', () => {
    const bans = make({ maxPeers: 4 })
    const banned = Array.from({ length: 6 }, (_, i) => `b${i}`)
    for (const b of banned) for (let i = 0; i < OVER_RATE_STRIKES; i++) bans.overRate(peer(b))
    assert.equal(bans.size, 4)
    assert.deepEqual(banned.map(b => bans.isBanned(b)), [false, false, true, true, true, true])
    for (let i = 0; i < 100; i++) bans.notMember(peer(`stranger-${i}`))
    assert.ok(bans.struck <= 4, `${bans.struck} peers with strikes`)
  })

  it('holds MAX_TRACKED_PEERS by default against a flood of identities', () => {
    const bans = make()
    for (let i = 0; i < MAX_TRACKED_PEERS + 100; i++) {
      for (let j = 0; j < OVER_RATE_STRIKES; j++) bans.overRate(peer(`id-${i}`))
      bans.notMember(peer(`id-${i}`))
    }
    assert.equal(bans.size, MAX_TRACKED_PEERS)
    assert.ok(bans.struck <= MAX_TRACKED_PEERS)
    assert.equal(bans.isBanned(`id-${MAX_TRACKED_PEERS + 99}`), true)
    assert.equal(bans.isBanned('id-0'), false)
  })
})
