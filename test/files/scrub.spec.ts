// The scrubber finds rot without any read: a byte flipped in a holder's blob on disk is found by the holder's own
// pass and repaired from another holder; a missing blob likewise; sound blobs are left alone; the pass keeps to
// its rate.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IntegrityError, NotFoundError } from '../../src/errors.js'
import { blobAddress, ChunkHasher, sha256Hex } from '../../src/files/hashing.js'
import { RecordStore } from '../../src/files/record-store.js'
import { Scrubber } from '../../src/files/scrub.js'
import { FsBlobStore } from '../../src/storage/fs-blob-store.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { pseudoRandom, sha256Of } from '../../harness/bytes.js'
import { waitFor } from '../utils/wait.js'
import { logger } from '@libp2p/logger'
import type { FileRecord } from '../../src/files/record.js'

describe('scrubber', function () {
  this.timeout(60_000)
  const log = logger('chord-peer:test:scrub')

  describe('one node\'s stores', () => {
    let dir: string
    let blobs: FsBlobStore
    let records: RecordStore
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'chord-peer-scrub-'))
      blobs = await FsBlobStore.open(join(dir, 'blobs'))
      records = await RecordStore.open(join(dir, 'records'))
    })
    afterEach(async () => {
      await records.close()
      await rm(dir, { recursive: true, force: true })
    })

    /** Store `size` bytes as a blob with a record of its own, as the files layer files it (under its chunk root). */
    async function held (name: string, size: number, seed: number): Promise<FileRecord & { path: string }> {
      const hasher = new ChunkHasher(1024 * 1024)
      for await (const piece of pseudoRandom(size, seed)) hasher.update(piece)
      const { hash, chunkHashes } = hasher.digest()
      const address = blobAddress({ chunkHashes })
      await blobs.put(pseudoRandom(size, seed), { hashedBy: () => ({ hash: address, size }) })
      const record: FileRecord = {
        name, key: sha256Hex(name), size, hash, chunkSize: 1024 * 1024,
        chunkHashes, version: { time: 1, counter: 0, writer: 'w' }, tombstone: false, contentType: '', created: 1, modified: 1,
        signature: ''
      }
      await records.put(record)
      return { ...record, path: blobs.path(address) }
    }

    it('reports a rotten and a missing blob to repair, and leaves sound ones alone', async () => {
      const sound = await held('sound', 300_000, 1)
      const rotten = await held('rotten', 300_000, 2)
      const missing = await held('missing', 1000, 3)
      const bytes = await readFile(rotten.path)
      bytes[12345] ^= 0x01
      await writeFile(rotten.path, bytes)
      await unlink(missing.path)
      const repaired: Array<[string, Error]> = []
      const scrubber = new Scrubber({
        ctx: { records, blobs, log }, repair: (r, err) => { repaired.push([r.name, err]) }, rate: 1e9
      })
      const report = await scrubber.pass(new AbortController().signal)
      assert.equal(report.blobs, 3)
      assert.equal(report.bad, 2)
      assert.deepEqual(repaired.map(([name]) => name).sort(), ['missing', 'rotten'])
      assert.ok(repaired.find(([n]) => n === 'rotten')![1] instanceof IntegrityError)
      assert.ok(repaired.find(([n]) => n === 'missing')![1] instanceof NotFoundError)
      assert.ok(!repaired.some(([n]) => n === sound.name))
    })

    it('keeps to its rate', async () => {
      await held('a', 512 * 1024, 4)
      await held('b', 512 * 1024, 5)
      const rate = 2 * 1024 * 1024 // 1 MiB at 2 MiB/s: at least half a second
      const scrubber = new Scrubber({ ctx: { records, blobs, log }, repair: () => {}, rate })
      const t0 = performance.now()
      const report = await scrubber.pass(new AbortController().signal)
      assert.equal(report.bytes, 1024 * 1024)
      assert.ok(performance.now() - t0 >= 0.9 * 1000 * report.bytes / rate, `took ${performance.now() - t0} ms`)
    })

    it('refuses a negative or non-numeric rate', () => {
      for (const rate of [-1, Number.NaN, Infinity]) {
        assert.throws(() => new Scrubber({ ctx: { records, blobs, log }, repair: () => {}, rate }), RangeError)
      }
    })
  })

  describe('on a ring of three, k = 2', () => {
    let net: Testnet | undefined
    after(async () => { await net?.stop() })

    it('a byte flipped in a holder\'s blob on disk is repaired by the holder\'s own pass, without any read', async () => {
      net = await createTestnet({ peers: 2, k: 2 })
      await net.waitForRing()
      const size = 1024 * 1024 + 17
      const put = await net.nodes[0].files.put('rot-on-disk.bin', pseudoRandom(size, 9))
      // Both placement nodes hold the version (replication has moved it where the settled ring places it).
      const placed = async (): Promise<boolean> => {
        const where = await net!.nodes[0].files.locate('rot-on-disk.bin')
        return where.holders.length === 2 && where.holders.every(h => h.record?.hash === put.record.hash)
      }
      await waitFor(placed, { timeoutMs: 20_000, what: 'both placement nodes to hold the file' })
      const primary = (await net.nodes[0].files.locate('rot-on-disk.bin')).placement[0]
      const holder = net.nodes.find(p => p.chord.self.id === primary.id)!
      const store = holder.files.ctx.blobs as FsBlobStore
      const bytes = await readFile(store.path(blobAddress(put.record)))
      bytes[size - 1] ^= 0x80
      await writeFile(store.path(blobAddress(put.record)), bytes)
      const report = await holder.files.scrubber.pass(new AbortController().signal)
      assert.equal(report.bad, 1)
      // A repair that fails (its fetch timed out on a loaded machine) is tried again by the next pass, as the
      // scrubber's own loop would: passes here run back to back instead of an hour apart.
      const sound = async (): Promise<boolean> => {
        const now = await sha256Of(store.get(blobAddress(put.record))).catch(() => undefined)
        if (now?.hash === put.record.hash) return true
        await holder.files.scrubber.pass(new AbortController().signal)
        return false
      }
      await waitFor(sound, { timeoutMs: 30_000, intervalMs: 1_000, what: 'the holder to fetch its blob again' })
      assert.equal((await holder.files.scrubber.pass(new AbortController().signal)).bad, 0)
    })
  })
})
