// Private networks: a ring whose nodes share a swarm key. Nodes with the key form a ring and move a file; a host
// without a key, or with another key, cannot complete a connection to any of them (either way round), and a
// node without it cannot join: no JOIN reaches the supernode, which admits nobody new.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { pseudoRandom, sha256Of } from '../../harness/bytes.js'
import { newSwarmKey } from '../../src/cli/swarm-key.js'
import { createHost, type Host } from '../../src/net/host.js'
import { createPeer } from '../../src/peer.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'

const bytes = async (): Promise<Uint8Array> => new TextEncoder().encode(await newSwarmKey())

describe('private network (swarm key)', function () {
  this.timeout(120_000)
  let key: Uint8Array
  let net: Testnet

  before(async () => {
    key = await bytes()
    net = await createTestnet({ supernodes: 1, peers: 3, k: 2, swarmKey: key })
    await net.waitForRing()
  })
  after(async () => { await net?.stop() })

  it('nodes with the key form a ring and move a file between them', async () => {
    assert.equal(net.nodes.length, 4)
    const size = 3 * 1024 * 1024 + 5
    const want = await sha256Of(pseudoRandom(size, 7))
    const put = await net.nodes[1].files.put('private.bin', pseudoRandom(size, 7))
    assert.equal(put.record.hash, want.hash)
    assert.equal(put.holders.length, 2)
    const reader = net.nodes.find(p => !put.holders.some(h => h.id === p.chord.self.id))!
    const read = await reader.files.read('private.bin')
    assert.deepEqual(await sha256Of(read.body), want)
  })

  const outsiders: Array<[string, () => Promise<Uint8Array | undefined>]> = [
    ['without a key', async () => undefined],
    ['with another key', bytes]
  ]
  for (const [what, keyOf] of outsiders) {
    it(`a host ${what} cannot complete a connection to a node of the ring, nor one of the ring to it`, async () => {
      const outsider = await outsiderHost(await keyOf())
      const boot = net.nodes[0]
      try {
        await assert.rejects(outsider.dial(multiaddr(boot.multiaddrs[0]), { signal: AbortSignal.timeout(10_000) }))
        await assert.rejects(boot.host.dial(outsider.getMultiaddrs()[0], { signal: AbortSignal.timeout(10_000) }))
        assert.equal(outsider.getConnections().length, 0)
        assert.equal(boot.host.getConnections(outsider.peerId).length, 0)
      } finally {
        await outsider.stop()
      }
    })

    it(`a node ${what} cannot join: its JOIN never reaches the supernode`, async () => {
      const members = net.nodes[0].membership!.current.members.length
      const started = Date.now()
      await assert.rejects(createPeer({
        connect: [net.nodes[0].multiaddrs[0]],
        listen: ['/ip4/127.0.0.1/tcp/0'],
        api: false,
        swarmKey: await keyOf(),
        joinTimeoutMs: 1_500
      }), (err: Error) => err.name === 'JoinFailedError')
      assert.ok(Date.now() - started < 30_000, 'it gave up after its join timeout')
      assert.equal(net.nodes[0].membership!.current.members.length, members, 'the view admitted nobody new')
      assert.equal(net.ringCorrect(), true, 'the ring is the same four nodes')
    })
  }

  it('a host with the key connects to the ring (the outsider tests fail for the key, not the host)', async () => {
    const insider = await outsiderHost(key)
    try {
      const connection = await insider.dial(multiaddr(net.nodes[0].multiaddrs[0]), { signal: AbortSignal.timeout(10_000) })
      assert.equal(connection.remotePeer.toString(), net.nodes[0].peerId)
    } finally {
      await insider.stop()
    }
  })
})

/** A bare libp2p host on 127.0.0.1, with the given swarm key or none. */
async function outsiderHost (swarmKey: Uint8Array | undefined): Promise<Host> {
  return createHost({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    dialTimeoutMs: 5_000,
    swarmKey
  })
}
