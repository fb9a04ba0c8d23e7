// A put whose store chain loses a holder in the middle of the transfer: the hop before it sends its own copy on
// to the nodes after it, so the put still reaches its write quorum instead of failing with one copy stored.
import assert from 'node:assert/strict'
import { sha256Hex } from '../../src/files/hashing.js'
import { STORE_PROTOCOL } from '../../src/files/store.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { placementOf } from '../../sim/oracle.js'
import { collect, pseudoRandom } from '../../harness/bytes.js'
import { waitFor } from '../utils/wait.js'
import type { Peer } from '../../src/peer.js'

const SIZE = 4 * 1024 * 1024
const PIECE = 256 * 1024

/** Does `peer` have a store stream open (a transfer passing through it)? */
const storing = (peer: Peer): boolean =>
  peer.host.getConnections().some(c => c.streams.some(s => s.protocol === STORE_PROTOCOL))

describe('store chain: a hop that dies mid-transfer', function () {
  this.timeout(60_000)
  let net: Testnet | undefined
  afterEach(async () => {
    await net?.stop()
    net = undefined
  })

  it('the hop before it sends its copy on: the put is stored on the other two and reads back whole', async () => {
    net = await createTestnet({ supernodes: 1, peers: 4, k: 3 })
    await net.waitForRing()
    const nodes = net.nodes
    const name = 'chain-repair.bin'
    const byId = (id: bigint): Peer => nodes.find(p => p.chord.self.id === id)!
    const [primary, middle, last] = placementOf(nodes.map(p => p.chord.self.id), sha256Hex(name), 3).map(byId)
    const writer = nodes.find(p => ![primary, middle, last].includes(p))!

    // The body stops after its first MiB until the middle hop is gone.
    let paused = false
    let release = (): void => {}
    const held = new Promise<void>(resolve => { release = resolve })
    async function * body (): AsyncGenerator<Uint8Array> {
      let i = 0
      for await (const piece of pseudoRandom(SIZE, 7, PIECE)) {
        if (i++ === 4) { paused = true; await held }
        yield piece
      }
    }
    const put = writer.files.put(name, body())
    // The whole chain is open (the last node has its inbound stream) before the middle one crashes.
    await waitFor(() => paused && storing(last), { timeoutMs: 20_000, what: 'the chain open down to the last node' })
    await net.remove(middle, { leave: false })
    release()

    const result = await put
    const holders = result.holders.map(n => n.id).sort()
    assert.deepEqual(holders, [primary.chord.self.id, last.chord.self.id].sort(), 'stored on the primary and the last node')
    const read = await writer.get(name)
    assert.ok(Buffer.from(read).equals(await collect(pseudoRandom(SIZE, 7, PIECE))), 'the bytes read back')
  })
})
