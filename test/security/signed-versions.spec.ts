// Signed versions (protocols/README.md §10.3): a member cannot make a version pass for another member's. A
// hostile member (an admitted node, sending crafted store streams from its own libp2p host) stores versions of
// the owner's name under the owner's PeerId, signed with its own key, unsigned, or with the owner's signature
// over other bytes: every holder answers BAD_SIGNATURE and commits nothing, and every node still serves the
// owner's content. A forged version planted straight into the hostile node's own index is served by no reader
// and pulled by no replica sync. On the code before versions were signed, a store hop committed whatever header
// and trailer arrived, and readers and replica sync took the newest version they saw: every case here then
// served the hostile bytes as the owner's.
import assert from 'node:assert/strict'
import { StoreResult } from '../../protocols/files.js'
import { sha256Hex } from '../../src/files/hashing.js'
import { signRecord, verifyRecord } from '../../src/files/signature.js'
import { newKey } from '../../src/net/identity.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { collect } from '../../harness/bytes.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { holdersOf as placed, nameWhere as firstName } from '../utils/placement.js'
import { settingsOf, stillWorks } from '../utils/still-works.js'
import { storeBytes, storeFrom, version } from '../utils/store-wire.js'
import type { FileRecord } from '../../src/files/record.js'
import type { Peer } from '../../src/peer.js'
import type { PrivateKey } from '@libp2p/interface'

const K = 3
const bytesOf = (text: string): Buffer => Buffer.from(text)
const once = (bytes: Uint8Array): AsyncIterable<Uint8Array> => (async function * () { yield bytes })()

describe('security: signed versions', function () {
  this.timeout(120_000)
  let net: Testnet
  /** The ring's settings as founded: every attack ends by checking the ring still works with them. */
  let founded: ReturnType<typeof settingsOf>
  let owner: Peer
  let hostile: Peer
  let hostileKey: PrivateKey

  /** The placement of `name` (K nodes) as Peers, primary first. */
  const holdersOf = (name: string): Peer[] => placed(net, name, K)
  /** A name whose placement satisfies `fits` (names are tried in turn). */
  const nameWhere = (prefix: string, fits: (holders: Peer[]) => boolean): string => firstName(net, K, prefix, fits)

  /** Every node reads `name` and gets `text`. */
  const everyNodeReads = async (name: string, text: string): Promise<void> => {
    for (const node of net.nodes) {
      const read = await node.files.read(name)
      assert.equal((await collect(read.body)).toString(), text, `${node.peerId.slice(-6)} reads ${name}`)
    }
  }

  before(async () => {
    net = await createTestnet({ peers: 2, k: K })
    founded = settingsOf(net)
    hostileKey = await newKey()
    hostile = await net.add({ privateKey: hostileKey })
    await net.waitForRing()
    owner = net.nodes[1]
  })
  after(async () => { await net?.stop() })

  /** The owner's name, put by the owner; the holders other than the hostile node. */
  async function ownersFile (prefix: string, text: string): Promise<{ name: string, put: FileRecord, targets: Peer[] }> {
    const name = nameWhere(prefix, () => true)
    const { record } = await owner.files.put(name, once(bytesOf(text)))
    return { name, put: record, targets: holdersOf(name).filter(p => p !== hostile) }
  }

  /** `targets` answer BAD_SIGNATURE to `bytes` and still hold `put`, without the blob `forgedHash`. */
  async function refusedEverywhere (targets: Peer[], bytes: Uint8Array, put: FileRecord, forgedHash: string): Promise<void> {
    for (const target of targets) {
      const res = await storeFrom(hostile, target, bytes)
      assert.ok(typeof res === 'object', `${target.peerId.slice(-6)} answered (${String(res)})`)
      assert.equal(res.status, StoreResult.Status.BAD_SIGNATURE, res.error)
      assert.deepEqual(res.stored, [])
      const held = await target.files.ctx.records.get(put.key)
      assert.deepEqual(held?.version, put.version, 'the owner\'s version is still the one held')
      assert.equal(await target.files.ctx.blobs.has(forgedHash), false, 'the forged bytes were not kept')
    }
  }

  it('a version under the owner\'s PeerId signed with the hostile node\'s key: BAD_SIGNATURE everywhere, nothing committed', async () => {
    const { name, put, targets } = await ownersFile('forged-key', 'the owner wrote this')
    const content = bytesOf('the hostile node wrote this')
    const forged = await signRecord(hostileKey, version(name, content, owner.peerId))
    await refusedEverywhere(targets, storeBytes(forged, content), put, forged.hash)
    await everyNodeReads(name, 'the owner wrote this')
    await stillWorks(net, founded)
  })

  it('an unsigned version under the owner\'s PeerId: BAD_SIGNATURE everywhere, nothing committed', async () => {
    const { name, put, targets } = await ownersFile('unsigned', 'still the owner\'s')
    const content = bytesOf('unsigned bytes')
    const unsigned = version(name, content, owner.peerId)
    await refusedEverywhere(targets, storeBytes(unsigned, content), put, unsigned.hash)
    // A tombstone is a version too: an unsigned delete in the owner's name is refused the same way.
    const gone = version(name, new Uint8Array(0), owner.peerId, { tombstone: true })
    await refusedEverywhere(targets, storeBytes(gone, new Uint8Array(0)), put, gone.hash)
    await everyNodeReads(name, 'still the owner\'s')
    await stillWorks(net, founded)
  })

  it('the owner\'s own signature over other bytes (a holder changing a version it passes on): BAD_SIGNATURE', async () => {
    const { name, put, targets } = await ownersFile('altered', 'original bytes')
    const content = bytesOf('altered bytes')
    // The owner's version and signature, with other content: only the bytes differ from what the owner signed.
    const altered = { ...version(name, content, owner.peerId), version: put.version, signature: put.signature }
    await refusedEverywhere(targets, storeBytes(altered, content), put, altered.hash)
    await everyNodeReads(name, 'original bytes')
    await stillWorks(net, founded)
  })

  it('every field of a version but its name is signed: changing chunk size, content type, dates or size breaks it', async () => {
    const key = await newKey()
    const signed = await signRecord(key, {
      name: 'signed.txt',
      key: sha256Hex('signed.txt'),
      size: 3,
      hash: sha256Hex('abc'),
      chunkSize: 1024,
      chunkHashes: [sha256Hex('abc')],
      version: { time: Date.now(), counter: 0, writer: peerIdFromPrivateKey(key).toString() },
      tombstone: false,
      contentType: 'text/plain',
      created: 1_000,
      modified: 2_000,
      signature: ''
    })
    assert.ok(verifyRecord(signed))
    const changes: Array<Partial<FileRecord>> = [
      { chunkSize: 1 }, { contentType: 'text/html' }, { created: 1 }, { modified: 1 }, { size: 4 }, { tombstone: true },
      { chunkHashes: [sha256Hex('abd')] }, { hash: sha256Hex('abd') }
    ]
    for (const change of changes) assert.equal(verifyRecord({ ...signed, ...change }), false, JSON.stringify(change))
    assert.ok(verifyRecord({ ...signed, name: 'bound by its key, not signed' }))
  })

  it('the control: the hostile node\'s own version of a name of its own, signed by it, is stored', async () => {
    const name = nameWhere('hostile-own', holders => !holders.includes(hostile))
    const content = bytesOf('mine, honestly')
    const own = await signRecord(hostileKey, version(name, content, hostile.peerId))
    const res = await storeFrom(hostile, holdersOf(name)[0], storeBytes(own, content))
    assert.ok(typeof res === 'object', String(res))
    assert.equal(res.status, StoreResult.Status.OK, res.error)
    assert.equal((await holdersOf(name)[0].files.ctx.records.get(own.key))?.signature, own.signature)
    await stillWorks(net, founded)
  })

  it('a forged version planted in a replica\'s own index is served by no reader and pulled by no replica sync', async () => {
    // The hostile node is a replica (not the primary) of this name, so the primary's sync pass would pull from it.
    const name = nameWhere('planted', holders => holders.indexOf(hostile) > 0)
    const { record: put } = await owner.files.put(name, once(bytesOf('the owner\'s bytes')))
    const content = bytesOf('planted bytes')
    const forged = await signRecord(hostileKey, version(name, content, owner.peerId))
    await hostile.files.ctx.blobs.put(once(content))
    assert.equal(await hostile.files.ctx.records.put(forged), true, 'planted past every check, as a hostile node can')
    const primary = holdersOf(name)[0]
    const report = await primary.files.replicator.syncOnce()
    assert.ok(report.errors > 0, 'the pull of the forged version failed')
    for (const holder of holdersOf(name).filter(p => p !== hostile)) {
      assert.deepEqual((await holder.files.ctx.records.get(put.key))?.version, put.version)
    }
    const located = await primary.files.locate(name)
    assert.equal(located.holders.find(h => h.node.id === hostile.chord.self.id)?.error?.name, 'BadSignatureError')
    assert.deepEqual(located.record?.version, put.version, 'the newest valid version is the owner\'s')
    for (const node of net.nodes.filter(p => p !== hostile)) {
      const read = await node.files.read(name)
      assert.equal((await collect(read.body)).toString(), 'the owner\'s bytes')
    }
    await stillWorks(net, founded)
  })
})
