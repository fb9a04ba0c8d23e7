// A holder takes only keys of its own placement (protocols/README.md §10.4): a store for a key whose first k + 1
// placement nodes do not include the receiver is reset at the header, before a byte of the body is read, and
// nothing is committed there. The same transfer to the key's primary, and to its successor (the second node,
// which a leaving primary hands its range to), is stored. On the code before this check, any node stored any key
// it was sent, so a member could fill every node's disk with versions of keys they never own.
import assert from 'node:assert/strict'
import { StoreResult } from '../../protocols/files.js'
import { blobAddress, sha256Hex } from '../../src/files/hashing.js'
import { signRecord } from '../../src/files/signature.js'
import { newKey } from '../../src/net/identity.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { placementOf } from '../../sim/oracle.js'
import { storeBytes, storeFrom, version } from '../utils/store-wire.js'
import type { Peer } from '../../src/peer.js'
import type { PrivateKey } from '@libp2p/interface'
import { settingsOf, stillWorks } from '../utils/still-works.js'

const K = 1

describe('security: placement', function () {
  this.timeout(120_000)
  let net: Testnet
  /** The ring's settings as founded: every attack ends by checking the ring still works with them. */
  let founded: ReturnType<typeof settingsOf>
  let hostile: Peer
  let hostileKey: PrivateKey

  /** The first `count` nodes of the placement of `name`, primary first. */
  const placed = (name: string, count: number): Peer[] => placementOf(net.nodes.map(p => p.chord.self.id), sha256Hex(name), count)
    .map(id => net.nodes.find(p => p.chord.self.id === id)!)

  before(async () => {
    net = await createTestnet({ peers: 3, k: K })
    founded = settingsOf(net)
    hostileKey = await newKey()
    hostile = await net.add({ privateKey: hostileKey })
    await net.waitForRing()
  })
  after(async () => { await net?.stop() })

  it('a store for a key outside the receiver\'s first k + 1 placement nodes is reset; the primary and its successor take it', async () => {
    let name = ''
    for (let i = 0; name === ''; i++) {
      if (!placed(`elsewhere-${i}`, K + 1).includes(hostile)) name = `elsewhere-${i}`
    }
    const content = Buffer.from('a version of a key this node does not hold')
    const record = await signRecord(hostileKey, version(name, content, hostile.peerId))
    const inside = placed(name, K + 1)
    const outside = net.nodes.filter(p => p !== hostile && !inside.includes(p))
    assert.ok(outside.length >= 2, `${net.nodes.length} nodes, k + 1 = ${K + 1}`)
    for (const node of outside) {
      assert.equal(await storeFrom(hostile, node, storeBytes(record, content)), 'reset')
      assert.equal(await node.files.ctx.records.get(record.key), undefined)
      assert.equal(await node.files.ctx.blobs.has(blobAddress(record)), false)
    }
    for (const node of inside) {
      const res = await storeFrom(hostile, node, storeBytes(record, content))
      assert.ok(typeof res === 'object', String(res))
      assert.equal(res.status, StoreResult.Status.OK, res.error)
      assert.equal((await node.files.ctx.records.get(record.key))?.hash, record.hash)
    }
    await stillWorks(net, founded)
  })
})
