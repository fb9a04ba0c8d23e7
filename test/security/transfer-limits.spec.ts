// Inbound transfers are bounded against an admitted member (protocols/README.md §10.2, §10.9). A hostile member
// of the ring (a real node: its libp2p host opens the raw streams) sends length prefixes just over each store
// frame's bound, with no body behind them: the header over MAX_HEADER_BYTES, a data frame over FRAME_BYTES, a
// trailer over what the bytes received need. Each stream is reset from the prefix alone. It then holds store
// streams open, each with a header and nothing more, until its share of the transfer budget is spent: the next
// ones are reset at once, the held ones stay open, and the node keeps serving another member's put and a get.
// On the code before these bounds, every such prefix (up to 10 MiB) was waited for until the idle timeout, and any
// number of held streams buffered up to 10 MiB each: 128 of them took a node from 427 MB to 1.38 GB RSS.
import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { StoreHeader } from '../../protocols/files.js'
import { FRAME_BYTES, MAX_HEADER_BYTES, recordFrameBytes } from '../../src/files/frames.js'
import { sha256Hex } from '../../src/files/hashing.js'
import { PEER_SHARE, TRANSFER_BUDGET_BYTES } from '../../src/files/limits.js'
import { STORE_PROTOCOL, STORE_STREAM_BYTES } from '../../src/files/store.js'
import { recordToWire } from '../../src/files/wire.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { collect } from '../../harness/bytes.js'
import { frame, sendRaw, varint } from '../utils/raw-wire.js'
import { version } from '../utils/store-wire.js'
import { settingsOf, stillWorks } from '../utils/still-works.js'
import { waitFor } from '../utils/wait.js'
import type { Peer } from '../../src/peer.js'
import type { Stream } from '@libp2p/interface'

const K = 2
const once = (bytes: Uint8Array): AsyncIterable<Uint8Array> => (async function * () { yield bytes })()

describe('security: inbound transfers are bounded', function () {
  this.timeout(120_000)
  let net: Testnet
  /** The ring's settings as founded: every attack ends by checking the ring still works with them. */
  let founded: ReturnType<typeof settingsOf>
  let victim: Peer
  let hostile: Peer
  let honest: Peer

  before(async () => {
    net = await createTestnet({ supernodes: 1, peers: 2, k: K })
    founded = settingsOf(net)
    await net.waitForRing();
    [victim, hostile, honest] = net.nodes
  })
  after(async () => { await net?.stop() })

  /** A store header frame for a new version of `name` written by the hostile member (no size, hashes or chain). */
  const header = (name: string): Uint8Array => {
    const record = version(name, Buffer.from('x'), hostile.peerId)
    return frame(StoreHeader.encode({ record: recordToWire({ ...record, size: 0, hash: '', chunkHashes: [] }), chain: [] }))
  }
  const open = async (): Promise<Stream> => await hostile.host.dialProtocol(multiaddr(victim.multiaddrs[0]), STORE_PROTOCOL)
  /** How a stream refused at once ends: reset, whether before or after `bytes` could be sent. */
  const refused = async (stream: Stream, bytes: Uint8Array): Promise<string> => {
    try {
      return String(await sendRaw(stream, bytes))
    } catch (err) {
      if (stream.status === 'reset') return 'reset'
      throw err
    }
  }

  /** The victim still takes a put from another member and serves it back. */
  async function stillServes (name: string): Promise<void> {
    // A name the victim holds, and the hostile member does not: the honest member's put reaches the victim over a
    // store stream of its own (through the hostile member it would count against the hostile member's share).
    let chosen = ''
    for (let i = 0; chosen === ''; i++) {
      const { placement } = await victim.files.locate(`${name}-${i}`)
      const ids = placement.map(n => n.id)
      if (ids.includes(victim.chord.self.id) && !ids.includes(hostile.chord.self.id)) chosen = `${name}-${i}`
    }
    const content = Buffer.from(`still serving ${chosen}`)
    const put = await honest.files.put(chosen, once(content))
    assert.ok(put.holders.some(n => n.id === victim.chord.self.id), 'the victim stored a copy')
    assert.equal((await collect((await victim.files.read(chosen)).body)).toString(), content.toString())
  }

  it('a header whose length prefix is over MAX_HEADER_BYTES is reset before its body', async () => {
    assert.equal(await sendRaw(await open(), varint(MAX_HEADER_BYTES + 1)), 'reset')
    await stillServes('after-header')
    await stillWorks(net, founded)
  })

  it('a data frame over FRAME_BYTES is reset before its body', async () => {
    const bytes = Uint8Array.from([...header('big-frame.bin'), ...varint(FRAME_BYTES + 1)])
    assert.equal(await sendRaw(await open(), bytes), 'reset')
    await stillServes('after-frame')
    await stillWorks(net, founded)
  })

  it('a trailer longer than the bytes received need is reset before its body', async () => {
    const bytes = Uint8Array.from([
      ...header('big-trailer.bin'), ...frame(Buffer.from('ten bytes!')), ...frame(new Uint8Array(0)), ...varint(recordFrameBytes(1) + 1)
    ])
    assert.equal(await sendRaw(await open(), bytes), 'reset')
    assert.equal(await victim.files.ctx.records.get(sha256Hex('big-trailer.bin')), undefined)
    await stillWorks(net, founded)
  })

  it('store streams past a member\'s share of the transfer budget are reset at once; the node keeps serving', async () => {
    const budget = victim.files.ctx.transfers
    const share = Math.floor(Math.floor(TRANSFER_BUDGET_BYTES * PEER_SHARE) / STORE_STREAM_BYTES)
    assert.ok(share >= 2, `a member may hold ${share} store streams`)
    const held: Stream[] = []
    try {
      for (let i = 0; i < share; i++) {
        const stream = await open()
        stream.send(header(`held-${i}`))
        held.push(stream)
      }
      await waitFor(() => budget.reserved >= share * STORE_STREAM_BYTES, { what: 'the held streams to reserve their share' })
      for (let i = 0; i < 3; i++) assert.equal(await refused(await open(), header(`extra-${i}`)), 'reset')
      assert.ok(held.every(s => s.status === 'open'), 'the streams within the share are still open')
      await stillServes('while-held')
    } finally {
      for (const s of held) s.abort(new Error('test over'))
    }
    await waitFor(() => budget.reserved === 0, { what: 'every reservation to be released' })
    await stillWorks(net, founded)
  })
})
