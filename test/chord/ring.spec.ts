// Real libp2p peers on 127.0.0.1 in one process: the ring forms, routes every key to its true owner, heals
// after crashes and handles graceful leaves.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { randomKeys, trueOwner } from '../../sim/oracle.js'
import type { Peer } from '../../src/peer.js'

async function lookupAll (net: Testnet, count: number, seed: bigint): Promise<{ wrong: number, hops: number[] }> {
  const ids = net.nodes.map(p => p.chord.self.id).sort((a, b) => (a < b ? -1 : 1))
  let wrong = 0
  const hops: number[] = []
  let i = 0
  for (const key of randomKeys(count, seed)) {
    const from = net.nodes[i++ % net.nodes.length]
    const found = await from.chord.findOwner(key)
    if (found.nodes[0].id !== trueOwner(ids, key)) wrong++
    hops.push(found.hops)
  }
  return { wrong, hops }
}

describe('chord ring over libp2p', function () {
  this.timeout(120_000)
  let net: Testnet

  afterEach(async () => { await net?.stop() })

  it('20 peers form the sorted ring and 1,000 lookups all reach the true owner', async () => {
    net = await createTestnet({ supernodes: 1, peers: 19 })
    await net.waitForRing()
    const { wrong, hops } = await lookupAll(net, 1000, 7n)
    assert.equal(wrong, 0)
    const mean = hops.reduce((a, b) => a + b, 0) / hops.length
    assert.ok(mean <= 0.5 * Math.log2(20) + 1, `mean hops ${mean} above ½·log2 N + 1`)
    const check = await net.nodes[3].chord.checkRing()
    assert.equal(check.ok, true, check.problems.join('; '))
    assert.equal(check.members.length, 20)
  })

  it('heals after a quarter of the peers stop without leaving', async () => {
    net = await createTestnet({ supernodes: 1, peers: 19 })
    await net.waitForRing()
    const victims = net.nodes.slice(1).filter((_, i) => i % 4 === 1).slice(0, 5)
    assert.equal(victims.length, 5)
    await Promise.all(victims.map(async v => net.remove(v, { leave: false })))
    await net.waitForRing()
    const { wrong } = await lookupAll(net, 300, 11n)
    assert.equal(wrong, 0)
    const check = await net.nodes[0].chord.checkRing()
    assert.equal(check.ok, true, check.problems.join('; '))
    assert.equal(check.members.length, 15)
  })

  it('a graceful leave re-links the neighbours at once, without waiting for stabilization', async () => {
    // Stabilization every 10 minutes: only the LEAVE message can explain the re-linking.
    net = await createTestnet({
      peers: 5,
      stabilizeIntervalMs: 600_000,
      fixFingersIntervalMs: 600_000,
      checkPredecessorIntervalMs: 600_000
    })
    for (let round = 0; round < 20 && !net.ringCorrect(); round++) {
      for (const p of net.nodes) await p.chord.stabilizeNow()
    }
    assert.equal(net.ringCorrect(), true)
    const sorted = [...net.nodes].sort((a, b) => (a.chord.self.id < b.chord.self.id ? -1 : 1))
    const leaver = sorted[2]
    await net.remove(leaver, { leave: true })
    assert.equal(sorted[1].chord.successors()[0].id, sorted[3].chord.self.id)
    assert.equal(sorted[3].chord.snapshot().predecessor?.id, sorted[1].chord.self.id)
    assert.deepEqual(
      sorted[1].chord.successors().map(n => n.id),
      [sorted[3], sorted[4], sorted[5], sorted[0]].map(p => p.chord.self.id),
      'the predecessor took the leaver\'s successor list'
    )
  })

  it('emits successor, predecessor and range events when a node joins next to it', async () => {
    net = await createTestnet({ peers: 2 })
    await net.waitForRing()
    const events: string[] = []
    const types = ['successor:change', 'predecessor:change', 'range:change'] as const
    for (const p of net.nodes) {
      for (const type of types) p.chord.events.addEventListener(type, () => events.push(type))
    }
    await net.add()
    await net.waitForRing()
    for (const type of ['successor:change', 'predecessor:change', 'range:change']) assert.ok(events.includes(type), `no ${type} event`)
  })

  it('a peer restarted with its identity right after a crash is admitted again', async () => {
    net = await createTestnet({
      peers: 4,
      stabilizeIntervalMs: 600_000,
      fixFingersIntervalMs: 600_000,
      checkPredecessorIntervalMs: 600_000
    })
    const dir = await mkdtemp(join(tmpdir(), 'chord-peer-restart-'))
    try {
      const first = await net.add({ dataDir: dir })
      for (let round = 0; round < 20 && !net.ringCorrect(); round++) for (const p of net.nodes) await p.chord.stabilizeNow()
      assert.equal(net.ringCorrect(), true)
      await net.remove(first, { leave: false })
      // Nobody has noticed the crash (maintenance is off): the ring still lists the old incarnation.
      const again = await net.add({ dataDir: dir })
      assert.equal(again.peerId, first.peerId)
      assert.notEqual(again.chord.successors()[0].id, again.chord.self.id, 'admitted with a successor')
      for (let round = 0; round < 20 && !net.ringCorrect(); round++) for (const p of net.nodes) await p.chord.stabilizeNow()
      assert.equal(net.ringCorrect(), true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('lookups route around a dead hop before stabilization notices it', async () => {
    net = await createTestnet({
      peers: 11,
      stabilizeIntervalMs: 600_000,
      fixFingersIntervalMs: 600_000,
      checkPredecessorIntervalMs: 600_000
    })
    for (let round = 0; round < 20 && !net.ringCorrect(); round++) {
      for (const p of net.nodes) await p.chord.stabilizeNow()
    }
    assert.equal(net.ringCorrect(), true)
    for (let i = 0; i < 8; i++) for (const p of net.nodes) await p.chord.fixFingersNow()
    const sorted = [...net.nodes].sort((a, b) => (a.chord.self.id < b.chord.self.id ? -1 : 1))
    // Crash sorted[5]; its predecessor sorted[4] still lists it as successor and finger 0, so a lookup from
    // sorted[4] for a key just past it asks the dead node first.
    const dead: Peer = sorted[5]
    await net.remove(dead, { leave: false })
    const failed: bigint[] = []
    let owner: bigint | undefined
    for await (const ev of sorted[4].chord.lookup(dead.chord.self.id + 1n)) {
      if (ev.type === 'hop-failed') failed.push(ev.node.id)
      if (ev.type === 'found') owner = ev.nodes[0].id
    }
    assert.deepEqual(failed, [dead.chord.self.id])
    assert.equal(owner, sorted[6].chord.self.id, 'keys past the dead node belong to the next node')
    // Every other lookup, from every node, also reaches the true owner.
    const ids = net.nodes.map(p => p.chord.self.id).sort((a, b) => (a < b ? -1 : 1))
    let i = 0
    for (const key of randomKeys(200, 3n)) {
      const found = await net.nodes[i++ % net.nodes.length].chord.findOwner(key)
      assert.equal(found.nodes[0].id, trueOwner(ids, key))
    }
  })
})
