// Files on real 8-peer rings with k = 3: put and get of several sizes with hashes checked, placement on the
// owner and its successors, versions, deletes, reads surviving two crashed holders, and a corrupted replica.
import assert from 'node:assert/strict'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { blobAddress, sha256Hex } from '../../src/files/hashing.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { SPREAD_BELOW_BYTES_PER_S } from '../../src/files/fetch.js'
import { collect, pseudoRandom, sha256Of } from '../../harness/bytes.js'
import { placementOf } from '../../sim/oracle.js'
import { waitFor } from '../utils/wait.js'
import type { Peer } from '../../src/peer.js'

/** The k nodes that should hold `name`: the owner of its key and the next k − 1 by id. */
const expectedHolders = (net: Testnet, name: string, k: number): bigint[] =>
  placementOf(net.nodes.map(p => p.chord.self.id), sha256Hex(name), k)

function nodeById (net: Testnet, id: bigint): Peer {
  return net.nodes.find(p => p.chord.self.id === id)!
}

describe('files on an 8-peer ring, k = 3', function () {
  this.timeout(180_000)
  let net: Testnet

  before(async () => {
    net = await createTestnet({ peers: 7, k: 3 })
    await net.waitForRing()
  })
  after(async () => { await net?.stop() })

  for (const size of [0, 1, 1024 * 1024, 3 * 1024 * 1024 + 17, 100 * 1024 * 1024]) {
    it(`put and get of ${size} B, from different nodes, with hashes checked; placed on the owner and its 2 successors`, async () => {
      const name = `file-${size}.bin`
      const want = await sha256Of(pseudoRandom(size, size + 1))
      const put = await net.nodes[1].files.put(name, pseudoRandom(size, size + 1))
      assert.equal(put.record.hash, want.hash)
      assert.equal(put.record.size, size)
      const expected = expectedHolders(net, name, 3)
      assert.deepEqual(put.holders.map(n => n.id), expected)
      for (const id of expected) {
        const rec = await nodeById(net, id).files.ctx.records.get(sha256Hex(name))
        assert.equal(rec?.hash, want.hash, 'every holder committed the record')
      }
      const read = await net.nodes[5].files.read(name)
      assert.deepEqual(await sha256Of(read.body), want)
    })
  }

  it('a large read by a non-holder draws from every holder at once when one holder is slow, in order', async () => {
    const size = 40 * 1024 * 1024 + 5
    const put = await net.nodes[1].files.put('spread.bin', pseudoRandom(size, 41))
    const reader = net.nodes.find(p => !put.holders.some(h => h.id === p.chord.self.id))!
    const holders = put.holders.map(h => nodeById(net, h.id))
    const readServed = async (spreadBelow: number): Promise<number[]> => {
      const before = holders.map(h => h.files.ctx.stats.chunksServed)
      reader.files.spreadBelow = spreadBelow
      try {
        const read = await reader.files.read('spread.bin')
        assert.deepEqual(await sha256Of(read.body), { hash: put.record.hash, size })
      } finally {
        reader.files.spreadBelow = SPREAD_BELOW_BYTES_PER_S
      }
      return holders.map((h, i) => h.files.ctx.stats.chunksServed - before[i])
    }
    // Every holder counts as slow: the read spreads.
    const spread = await readServed(Infinity)
    assert.equal(spread.reduce((a, b) => a + b, 0), 41, 'each chunk fetched once')
    assert.ok(spread.filter(n => n > 0).length >= 2, `chunks came from ${spread.join('/')}: one holder only`)
    // No holder counts as slow: one stream from one holder.
    const single = await readServed(0)
    assert.deepEqual(single.filter(n => n > 0), [41], `chunks came from ${single.join('/')}`)
  })

  it('range reads return exactly the requested bytes', async () => {
    const size = 2 * 1024 * 1024 + 5
    await net.nodes[2].files.put('ranges.bin', pseudoRandom(size, 9))
    const all = await collect(pseudoRandom(size, 9))
    for (const [offset, length] of [[0, 10], [1024 * 1024 - 3, 7], [size - 5, 5], [1234, 1024 * 1024 + 99], [size, 0]]) {
      const r = await net.nodes[3].files.read('ranges.bin', { offset, length })
      assert.deepEqual(await collect(r.body), all.subarray(offset, offset + length), `range ${offset}+${length}`)
    }
  })

  it('writing a name again creates a newer version that every holder keeps', async () => {
    // By its owner, the writer of the live version: no one else may (test/security/owners.spec.ts).
    await net.nodes[6].files.put('doc.txt', (async function * () { yield Buffer.from('one') })())
    const second = await net.nodes[6].files.put('doc.txt', (async function * () { yield Buffer.from('two!') })())
    for (const id of expectedHolders(net, 'doc.txt', 3)) {
      const rec = await nodeById(net, id).files.ctx.records.get(sha256Hex('doc.txt'))
      assert.equal(rec?.hash, second.record.hash)
    }
    assert.equal((await collect((await net.nodes[4].files.read('doc.txt')).body)).toString(), 'two!')
  })

  it('a delete writes a tombstone everywhere, reads fail with NotFoundError, and space is reclaimed', async () => {
    const put = await net.nodes[1].files.put('gone.bin', pseudoRandom(100_000, 3))
    await net.nodes[1].files.remove('gone.bin') // by its owner
    for (const id of expectedHolders(net, 'gone.bin', 3)) {
      const peer = nodeById(net, id)
      assert.equal((await peer.files.ctx.records.get(sha256Hex('gone.bin')))?.tombstone, true)
      assert.equal(await peer.files.ctx.blobs.has(blobAddress(put.record)), false, 'the blob was dropped')
    }
    await assert.rejects(net.nodes[3].files.read('gone.bin'), (err: Error) => err.name === 'NotFoundError')
    const { records } = await net.nodes[0].files.list({ limit: 1000 })
    assert.ok(!records.some(r => r.name === 'gone.bin'))
  })

  it('ls lists every file in the ring in key order, with paging', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `ls-${i}.txt`)
    for (const name of names) await net.nodes[0].files.put(name, (async function * () { yield Buffer.from(name) })())
    const seen: string[] = []
    let after: string | undefined
    do {
      const page = await net.nodes[4].files.list({ after, limit: 5 })
      assert.ok(page.records.length <= 5)
      seen.push(...page.records.map(r => r.key))
      after = page.next
    } while (after !== undefined)
    assert.deepEqual(seen, [...seen].sort(), 'key order')
    assert.equal(new Set(seen).size, seen.length, 'no duplicates across pages')
    for (const name of names) assert.ok(seen.includes(sha256Hex(name)), `${name} listed`)
  })

  it('a corrupted replica is never served: the read continues from another holder and the blob is repaired', async () => {
    const size = 2 * 1024 * 1024
    const put = await net.nodes[0].files.put('rot.bin', pseudoRandom(size, 77))
    const primary = nodeById(net, put.holders[0].id)
    const address = blobAddress(put.record)
    const blobDir = join((primary.files.ctx.blobs as unknown as { dir: string }).dir, 'blobs', address.slice(0, 2))
    const file = join(blobDir, (await readdir(blobDir)).find(f => f.startsWith(address))!)
    await writeFile(file, Buffer.alloc(size, 0xaa)) // same size, wrong bytes
    const reader = primary // reads its own copy first, finds it bad, continues elsewhere
    const read = await reader.files.read('rot.bin')
    assert.deepEqual(await sha256Of(read.body), { hash: put.record.hash, size })
    // Another node reading from the primary gets bad chunks, continues elsewhere and asks the primary to verify
    // its blob (index VERIFY), which finds the rot and repairs it.
    const other = net.nodes.find(p => !put.holders.some(h => h.id === p.chord.self.id))!
    const again = await other.files.read('rot.bin')
    assert.deepEqual(await sha256Of(again.body), { hash: put.record.hash, size })
    const repaired = async (): Promise<boolean> => {
      try {
        return (await sha256Of(primary.files.ctx.blobs.get(address))).hash === put.record.hash
      } catch {
        return false // dropped and not yet fetched again
      }
    }
    await waitFor(repaired, { timeoutMs: 20_000, what: 'the primary to repair its blob' })
  })
})

// Crashes change the ring, so this test has a ring of its own: the tests above never see its crashed nodes,
// and it never depends on what they stored.
describe('files on an 8-peer ring, k = 3, after crashes', function () {
  this.timeout(180_000)
  let net: Testnet

  before(async () => {
    net = await createTestnet({ peers: 7, k: 3 })
    await net.waitForRing()
  })
  after(async () => { await net?.stop() })

  it('a file stays readable after two of its three holders crash', async () => {
    const size = 1024 * 1024 + 3
    const put = await net.nodes[1].files.put('survivor.bin', pseudoRandom(size, 5))
    // Two holders, never the only supernode (the ring's admissions go through it).
    const victims = put.holders.map(h => nodeById(net, h.id)).filter(p => p !== net.nodes[0]).slice(0, 2)
    assert.equal(victims.length, 2)
    for (const v of victims) await net.remove(v, { leave: false })
    const reader = net.nodes.find(p => !put.holders.some(h => h.id === p.chord.self.id)) ?? net.nodes[0]
    const read = await reader.files.read('survivor.bin')
    assert.deepEqual(await sha256Of(read.body), { hash: put.record.hash, size })
  })
})
