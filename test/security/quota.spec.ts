// A storage quota (`maxStorage`, `--max-storage`) bounds the bytes of file content a node stores, whoever sends
// them (protocols/README.md §10.4, README "Resources"). Alone in its ring, a node over its quota answers a PUT with
// 507 ERR_QUOTA and keeps nothing of it, no blob, no record, no temp file, and still takes a put that fits. In a
// ring of three with k = 3, a holder over its quota is a missing copy: the put succeeds on the other two (the
// write quorum), the full holder relays the bytes down the chain when it is first in it, and replication counts
// and logs the copy it cannot make. On the code before the quota, every one of these puts was stored in full.
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256Hex } from '../../src/files/hashing.js'
import { createPeer, type Peer } from '../../src/peer.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { placementOf } from '../../sim/oracle.js'
import { waitFor } from '../utils/wait.js'
import type { ErrorJson, PutJson } from '../../src/api/types.js'
import type { FsBlobStore } from '../../src/storage/fs-blob-store.js'
import { apiFetch } from '../utils/api.js'

const QUOTA = 1_000_000
const bytes = (n: number, seed: number): Buffer => Buffer.alloc(n, seed)

describe('security: storage quota', function () {
  this.timeout(120_000)

  describe('a node alone in its ring', () => {
    let node: Peer
    before(async () => {
      node = await createPeer({ bootstrap: true, k: 1, listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', maxStorage: QUOTA })
    })
    after(async () => { await node?.stop() })

    it('a put over the quota answers 507 ERR_QUOTA and leaves nothing behind; a smaller put still works', async () => {
      const res = await apiFetch(node, `/api/files/too-big.bin`, { method: 'PUT', body: bytes(QUOTA + 1, 1) })
      const json = await res.json() as ErrorJson
      assert.equal(res.status, 507, JSON.stringify(json))
      assert.equal(json.code, 'ERR_QUOTA')
      assert.match(json.error, /quota/)
      const blobs = node.files.ctx.blobs as FsBlobStore
      assert.deepEqual(await readdir(join(blobs.dir, 'tmp')), [], 'no temp file')
      for await (const blob of blobs.list()) assert.fail(`blob ${blob.hash} left behind`)
      assert.equal(await node.files.ctx.records.get(sha256Hex('too-big.bin')), undefined)
      assert.deepEqual(blobs.quota, { max: QUOTA, used: 0 })

      const small = bytes(QUOTA / 2, 2)
      const put = await apiFetch(node, `/api/files/fits.bin`, { method: 'PUT', body: small })
      assert.equal(put.status, 201, await put.text())
      const get = await apiFetch(node, `/api/files/fits.bin`)
      assert.ok(Buffer.from(await get.arrayBuffer()).equals(small))
    })
  })

  describe('a holder over its quota in a ring of three, k = 3', () => {
    let net: Testnet
    let full: Peer
    // A ring each: the copy one test's full holder cannot take is counted again on every pass.
    beforeEach(async () => {
      net = await createTestnet({ supernodes: 1, peers: 1, k: 3, api: true })
      full = await net.add({ maxStorage: QUOTA })
      await net.waitForRing()
    })
    afterEach(async () => { await net?.stop() })

    /** A name whose placement has `full` at `index`. */
    const nameWith = (prefix: string, index: number): string => {
      const ids = net.nodes.map(p => p.chord.self.id)
      for (let i = 0; ; i++) if (placementOf(ids, sha256Hex(`${prefix}-${i}`), 3)[index] === full.chord.self.id) return `${prefix}-${i}`
    }

    for (const [where, index] of [['first (it relays the bytes on)', 0], ['last (it answers NO_SPACE)', 2]] as const) {
      it(`is a missing copy when it is ${where}: the put stores two copies; replication counts the third`, async () => {
        const name = nameWith(`quota-${index}`, index)
        const entry = net.nodes.find(p => p !== full)!
        const res = await apiFetch(entry, `/api/files/${name}`, { method: 'PUT', body: bytes(QUOTA + 1, 3 + index) })
        const json = await res.json() as PutJson
        assert.equal(res.status, 201, JSON.stringify(json))
        assert.equal(json.holders.length, 2)
        assert.ok(!json.holders.some(h => h.peerId === full.peerId), 'the full holder is not listed')
        assert.equal(await full.files.ctx.records.get(sha256Hex(name)), undefined)
        for (const p of net.nodes.filter(p => p !== full)) {
          assert.equal((await p.files.ctx.records.get(sha256Hex(name)))?.size, QUOTA + 1)
        }
        await waitFor(() => net.nodes.some(p => p.files.replicator.totals.full > 0),
          { what: 'a replication pass to count the copy the full holder cannot take' })
        assert.deepEqual(await readdir(join((full.files.ctx.blobs as FsBlobStore).dir, 'tmp')), [])
      })
    }
  })
})
