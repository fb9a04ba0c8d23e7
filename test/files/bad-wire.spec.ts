// Malformed messages to the file protocols reset only their own stream; the node keeps serving files.
import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { FetchRequest, IndexRequest, StoreHeader, StoreResult, StoreTrailer } from '../../protocols/files.js'
import { FETCH_PROTOCOL } from '../../src/files/fetch.js'
import { sha256Hex } from '../../src/files/hashing.js'
import { INDEX_PROTOCOL } from '../../src/files/index-protocol.js'
import { STORE_PROTOCOL } from '../../src/files/store.js'
import type { Host } from '../../src/net/host.js'
import { createPeer, type Peer } from '../../src/peer.js'
import { collect } from '../../harness/bytes.js'
import { frame, sendRaw, varint } from '../utils/raw-wire.js'

describe('files: malformed wire messages', function () {
  this.timeout(60_000)
  let node: Peer
  // An admitted member sends the malformed messages: an outsider's streams are reset before they are read.
  let member: Peer
  let client: Host

  before(async () => {
    node = await createPeer({ bootstrap: true, k: 1, listen: ['/ip4/127.0.0.1/tcp/0'], api: false })
    member = await createPeer({ connect: [node.multiaddrs[0]], listen: ['/ip4/127.0.0.1/tcp/0'], api: false })
    client = member.host
    await node.files.put('kept.txt', (async function * () { yield Buffer.from('still here') })())
  })
  after(async () => {
    await member?.stop({ leave: false })
    await node?.stop()
  })

  const key = (name: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(sha256Hex(name), 'hex'))
  const cases: Array<[string, string, () => Uint8Array]> = [
    ['store', 'garbage header', () => frame(Uint8Array.from([0xff, 0xff, 0xff]))],
    ['store', 'a 20 MB length prefix', () => Uint8Array.from([...varint(20 * 1024 * 1024), 1, 2])],
    ['store', 'a record whose key is not SHA-256 of its name', () => frame(StoreHeader.encode({
      record: {
        name: 'a', key: key('b'), size: 0n, hash: new Uint8Array(0), chunkSize: 1 << 20, chunkHashes: [],
        version: { time: 1n, counter: 0, writer: 'w' }, tombstone: false, contentType: '', created: 0n, modified: 0n,
        signature: new Uint8Array(0)
      },
      chain: []
    }))],
    ['store', 'a chunk size of 1 byte', () => frame(StoreHeader.encode({
      record: {
        name: 'a', key: key('a'), size: 0n, hash: new Uint8Array(0), chunkSize: 1, chunkHashes: [],
        version: { time: 1n, counter: 0, writer: 'w' }, tombstone: false, contentType: '', created: 0n, modified: 0n,
        signature: new Uint8Array(0)
      },
      chain: []
    }))],
    ['fetch', 'a 3-byte key',
      () => frame(FetchRequest.encode({ key: Uint8Array.from([1, 2, 3]), offset: 0n, length: 0n, recordOnly: false }))],
    ['fetch', 'an offset off a chunk boundary',
      () => frame(FetchRequest.encode({ key: key('kept.txt'), offset: 3n, length: 0n, recordOnly: false }))],
    ['index', 'an unknown request type', () => frame(Uint8Array.from([0x08, 0x09]))],
    ['index', 'a VERIFY with a 5-byte key', () => frame(IndexRequest.encode({
      type: IndexRequest.Type.VERIFY, key: new Uint8Array(5), after: new Uint8Array(0), upto: new Uint8Array(0),
      limit: 0, includeTombstones: false
    }))],
    ['index', 'a LIST with 5-byte bounds', () => frame(IndexRequest.encode({
      type: IndexRequest.Type.LIST, key: new Uint8Array(0), after: new Uint8Array(5), upto: new Uint8Array(5),
      limit: 1, includeTombstones: false
    }))]
  ]
  const protocols: Record<string, string> = { store: STORE_PROTOCOL, fetch: FETCH_PROTOCOL, index: INDEX_PROTOCOL }

  it('store: a trailer that does not match the bytes gets status MISMATCH with the reason; nothing is committed', async () => {
    const content = Buffer.from('these bytes are not what the trailer says')
    const header = StoreHeader.encode({
      record: {
        name: 'liar.txt', key: key('liar.txt'), size: 0n, hash: new Uint8Array(0), chunkSize: 1 << 20, chunkHashes: [],
        version: { time: 1n, counter: 0, writer: 'w' }, tombstone: false, contentType: '', created: 0n, modified: 0n,
        signature: new Uint8Array(0)
      },
      chain: []
    })
    const wrong = new Uint8Array(32).fill(7)
    const trailer = StoreTrailer.encode({ size: BigInt(content.length), hash: wrong, chunkHashes: [wrong] })
    const stream = await client.dialProtocol(multiaddr(node.multiaddrs[0]), STORE_PROTOCOL)
    const reply = await sendRaw(stream, Uint8Array.from([
      ...frame(header), ...frame(content), ...frame(new Uint8Array(0)), ...frame(trailer)
    ]))
    assert.notEqual(reply, 'reset')
    const result = StoreResult.decode(reply as Uint8Array)
    assert.equal(result.status, StoreResult.Status.MISMATCH)
    assert.notEqual(result.error, '')
    assert.deepEqual(result.stored, [])
    assert.equal(await node.files.ctx.records.get(sha256Hex('liar.txt')), undefined)
  })

  for (const [proto, what, bytes] of cases) {
    it(`${proto}: ${what} resets that stream; the node still serves files`, async () => {
      const stream = await client.dialProtocol(multiaddr(node.multiaddrs[0]), protocols[proto])
      const reply = await sendRaw(stream, bytes())
      if (proto === 'fetch' && what.startsWith('an offset')) {
        // The header (the record) comes first; then the bad offset resets the stream before any data.
        assert.notEqual(reply, 'reset')
      } else {
        assert.equal(reply, 'reset')
      }
      const read = await node.files.read('kept.txt')
      assert.equal((await collect(read.body)).toString(), 'still here')
    })
  }
})
