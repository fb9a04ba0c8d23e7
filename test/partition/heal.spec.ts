// A network partition and its heal, on real libp2p peers in one process (createTestnet's `partition`: each node's
// connection gater refuses the other side). 3 supernodes and 6 peers are split so that the leader and three
// peers are cut off from a majority of the supernodes, for longer than failure detection; both sides write; then
// the network heals. What must hold: one ring again with every member (checked against the sorted ids, and by
// `ring --check`'s walk from every node), never two acting leaders at any moment (polled throughout), the
// minority side admits no one, the leader's view lists every member again, and every name converges to one
// version (the newest: last writer wins) on k holders, read back the same from every node.
import assert from 'node:assert/strict'
import { createTestnet, ringCorrect, waitFor, type Testnet } from '../../src/testnet.js'
import { createPeer, type Peer } from '../../src/peer.js'
import { JoinFailedError } from '../../src/errors.js'
import { compareVersions } from '../../src/files/record.js'
import { sha256Hex } from '../../src/files/hashing.js'
import { placementOf } from '../../sim/oracle.js'

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString()
/** The first of `both-0.txt`, `both-1.txt`, … that `fits`. */
const nameWhere = (fits: (name: string) => boolean): string => {
  for (let i = 0; ; i++) if (fits(`both-${i}.txt`)) return `both-${i}.txt`
}
const supernodes = (nodes: readonly Peer[]): Peer[] => nodes.filter(p => p.role === 'supernode')

describe('partition: two sides heal into one ring', function () {
  this.timeout(180_000)
  let net: Testnet | undefined
  let poll: NodeJS.Timeout | undefined
  afterEach(async () => {
    clearInterval(poll)
    await net?.stop()
    net = undefined
  })

  it('a split with the leader on the minority side heals into one ring, one leader, one version of every name', async () => {
    net = await createTestnet({ supernodes: 3, peers: 6, k: 3, replicationIntervalMs: 500 })
    const nodes = net.nodes
    await net.waitForRing()
    await waitFor(() => supernodes(nodes).filter(p => p.election!.acting()).length === 1, { timeoutMs: 20_000, what: 'a leader' })

    // Never two acting leaders, before, during or after: polled every 5 ms throughout.
    let doubleLeader = 0
    let polls = 0
    poll = setInterval(() => {
      polls++
      if (supernodes(nodes).filter(p => p.election!.acting()).length > 1) doubleLeader++
    }, 5)

    const leader = supernodes(nodes).find(p => p.election!.acting())!
    const peers = nodes.filter(p => p.role === 'peer')
    const minority = [leader, ...peers.slice(0, 3)]
    const majority = nodes.filter(p => !minority.includes(p))
    const [a, b] = [majority.find(p => p.role === 'peer')!, minority.find(p => p.role === 'peer')!]
    const k = nodes[0].settings.k

    await a.put('kept.txt', 'before the split')
    await b.put('minority-owned.txt', 'written by the minority side before the split')

    net.partition([majority, minority])
    // Longer than failure detection: each side closes a ring of its own, and the majority elects a leader whose
    // view no longer lists the minority's peers.
    await waitFor(() => ringCorrect(majority) && ringCorrect(minority), { timeoutMs: 30_000, what: 'a ring on each side' })
    await waitFor(() => {
      const acting = majority.filter(p => p.election?.acting() === true)
      return acting.length === 1 && minority.filter(p => p.role === 'peer').every(p =>
        !acting[0].membership!.current.members.some(m => m.address === p.peerId))
    }, { timeoutMs: 30_000, what: 'a leader on the majority side that took the minority\'s peers out of the view' })
    assert.equal(leader.election!.acting(), false, 'the old leader, cut off from the majority, no longer acts')

    // Both sides write: new names, and one name new on both sides.
    await a.put('majority-new.txt', 'written on the majority side')
    await b.put('minority-new.txt', 'written on the minority side')
    // A name whose placement on the healed ring keeps a holder of each side's version (with none of the newer
    // version's holders in it, the primary keeps the older one: protocols/README.md §10.3.2).
    const ids = (side: readonly Peer[]): bigint[] => side.map(p => p.chord.self.id)
    const both = nameWhere(name => {
      const merged = placementOf(ids(nodes), sha256Hex(name), k)
      return [majority, minority].every(side => placementOf(ids(side), sha256Hex(name), k).some(id => merged.includes(id)))
    })
    const fromA = await a.put(both, 'the majority side\'s version')
    const fromB = await b.put(both, 'the minority side\'s version')
    // Last writer wins: the newer version by (time, counter, writer), whichever side wrote it.
    const bThenA = compareVersions(fromB.record.version, fromA.record.version) > 0
    const bothLast = bThenA ? 'the minority side\'s version' : 'the majority side\'s version'
    await a.put('kept.txt', 'updated by its owner during the split')

    // The minority side admits no one: a joiner that reaches only its supernode is refused for want of a leader.
    const joiner = { listen: ['/ip4/127.0.0.1/tcp/0'], api: false as const, connect: [leader.multiaddrs[0]], joinTimeoutMs: 2_000 }
    await assert.rejects(createPeer(joiner), (err: Error) => err instanceof JoinFailedError && /no acting leader|leader/.test(err.message))

    const healed = Date.now()
    net.heal()
    await waitFor(() => ringCorrect(nodes), { timeoutMs: 30_000, what: 'one ring after the heal' })
    const ringMs = Date.now() - healed
    for (const node of nodes) {
      const check = await node.chord.checkRing()
      assert.deepEqual(check.problems, [], `ring --check from ${node.peerId}`)
      assert.equal(check.walk.length, nodes.length, `the walk from ${node.peerId} meets every member`)
    }
    await waitFor(() => {
      const acting = supernodes(nodes).filter(p => p.election!.acting())
      return acting.length === 1 && supernodes(nodes).every(p => p.election!.leader()?.address === acting[0].peerId) &&
        nodes.every(n => acting[0].membership!.current.members.some(m => m.address === n.peerId))
    }, { timeoutMs: 30_000, what: 'one leader that all supernodes follow, whose view lists every member' })
    const viewMs = Date.now() - healed

    const expected: Record<string, string> = {
      'kept.txt': 'updated by its owner during the split',
      'minority-owned.txt': 'written by the minority side before the split',
      'majority-new.txt': 'written on the majority side',
      'minority-new.txt': 'written on the minority side',
      [both]: bothLast
    }
    await waitFor(async () => {
      for (const [name, content] of Object.entries(expected)) {
        const where = await a.locate(name)
        const newest = where.record
        if (newest === undefined || where.holders.filter(h => h.record?.hash === newest.hash).length !== k) return false
        if (where.holders.some(h => h.record !== undefined && h.record.hash !== newest.hash)) return false
        if (text(await a.get(name)) !== content) return false
      }
      return true
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'every name at one version on k holders' }).catch(async err => {
      // Which holder has which version, to tell a lost name from a conflict left unsettled.
      for (const name of Object.keys(expected)) {
        const where = await a.locate(name)
        const held = where.holders.map(h => `${h.node.address.slice(-6)}: ${h.record?.hash.slice(0, 8) ?? h.error?.message ?? 'none'}`)
        console.log(`      ${name} (newest ${where.record?.hash.slice(0, 8) ?? 'none'}): ${held.join(', ')}`)
      }
      throw err
    })
    const filesMs = Date.now() - healed
    for (const node of nodes) {
      for (const [name, content] of Object.entries(expected)) {
        assert.equal(text(await node.get(name)), content, `${name} from ${node.peerId}`)
      }
    }
    clearInterval(poll)
    assert.ok(polls > 100, `the leader poll ran (${polls} polls)`)
    assert.equal(doubleLeader, 0, 'moments with two acting leaders')
    console.log(`      healed: one ring after ${ringMs} ms, one leader and view after ${viewMs} ms, ` +
      `files at one version after ${filesMs} ms`)
  })

  it('in a ring that admits peers by invite, a peer taken out of the view while cut off is back in it after the heal', async () => {
    net = await createTestnet({ supernodes: 3, peers: 3, k: 2, admission: 'invite' })
    const nodes = net.nodes
    await net.waitForRing()
    await waitFor(() => supernodes(nodes).filter(p => p.election!.acting()).length === 1, { timeoutMs: 20_000, what: 'a leader' })
    const leader = supernodes(nodes).find(p => p.election!.acting())!
    const cutOff = nodes.find(p => p.role === 'peer')!
    const rest = nodes.filter(p => p !== cutOff)
    const inView = (): boolean => leader.membership!.current.members.some(m => m.address === cutOff.peerId)

    net.partition([rest, [cutOff]])
    await waitFor(() => !inView(), { timeoutMs: 30_000, what: 'the leader to take the cut-off peer out of the view' })
    assert.equal(leader.election!.acting(), true)

    const healed = Date.now()
    net.heal()
    await waitFor(() => ringCorrect(nodes) && inView(), { timeoutMs: 30_000, what: 'one ring, with the peer back in the view' })
    // Its certificate stood for an invite: the leader refused nobody.
    const refused = leader.events.history().filter(e => e.type === 'member.refused')
    assert.deepEqual(refused.map(e => e.message), [])
    console.log(`      back in the view ${Date.now() - healed} ms after the heal`)
  })
})
