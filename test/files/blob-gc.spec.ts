// The blob collector removes what no record refers to once it is older than the grace period, and nothing else:
// not a young blob (a put in flight writes its blob before its record), not a referenced one however old, not
// one re-put or pinned by a put or a commit during the sweep; a tombstone keeps nothing; the quota gets the bytes
// back. On a node, an orphan file in the store directory goes while the node's files still read back.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, stat, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { BlobCollector, DEFAULT_GC_GRACE_MS, HashPrefixSet } from '../../src/files/blob-gc.js'
import { blobAddress, sha256Hex } from '../../src/files/hashing.js'
import { RecordStore } from '../../src/files/record-store.js'
import { signRecord } from '../../src/files/signature.js'
import { commitRecord } from '../../src/files/store.js'
import { pullFrom } from '../../src/files/replication/copies.js'
import { newKey } from '../../src/net/identity.js'
import { FsBlobStore } from '../../src/storage/fs-blob-store.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { chunks, rejectsNamed } from '../storage/blob-store-compliance.js'
import { waitFor } from '../utils/wait.js'
import { STATUS } from '../utils/cli-fixtures.js'
import { formatStatus } from '../../src/cli/status.js'
import { version } from '../utils/store-wire.js'
import type { FilesContext } from '../../src/files/context.js'
import type { FileRecord } from '../../src/files/record.js'
import type { NodeRef } from '../../src/ring/index.js'
import type { PutOptions } from '../../src/storage/blob-store.js'

const log = logger('chord-peer:test:blob-gc')
const HOUR = 60 * 60_000

/** Set the mtime of `path` to `ms` ago. */
async function age (path: string, ms: number): Promise<void> {
  const then = new Date(Date.now() - ms)
  await utimes(path, then, then)
}

describe('blob collector', function () {
  this.timeout(60_000)

  describe('one node\'s stores', () => {
    let dir: string
    let blobs: FsBlobStore
    let records: RecordStore
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'chord-peer-blob-gc-'))
      blobs = await FsBlobStore.open(join(dir, 'blobs'), { maxBytes: 10_000 })
      records = await RecordStore.open(join(dir, 'records'))
    })
    afterEach(async () => {
      await records.close()
      await blobs.close()
      await rm(dir, { recursive: true, force: true })
    })

    const collector = (options: { graceMs?: number } = {}): BlobCollector =>
      new BlobCollector({ ctx: { records, log }, blobs, ...options })

    interface Blob { hash: string, size: number, bytes: Uint8Array, chunkHashes: string[] }

    /** Put options that file `b` as the files layer does: under its chunk root, without hashing it again. */
    const asFiled = (b: Blob): PutOptions =>
      ({ expectedHash: b.hash, expectedSize: b.size, hashedBy: () => ({ hash: b.hash, size: b.size }) })

    /** A blob of `size` (≤ 1 MiB, one chunk) random bytes, filed under its chunk root; its mtime `ageMs` ago. */
    async function blob (size: number, ageMs = 0): Promise<Blob> {
      const bytes = randomBytes(size)
      const chunkHashes = [sha256Hex(bytes)]
      const b = { hash: blobAddress({ chunkHashes }), size, bytes, chunkHashes }
      await blobs.put(chunks(bytes), asFiled(b))
      if (ageMs > 0) await age(blobs.path(b.hash), ageMs)
      return b
    }

    /** A record of `name` that refers to blob `b` (unsigned: the collector reads records, it does not verify them). */
    function recordOf (name: string, b: Blob, tombstone = false): FileRecord {
      return {
        name, key: sha256Hex(name), size: tombstone ? 0 : b.size, hash: sha256Hex(b.bytes), chunkSize: 1024 * 1024,
        chunkHashes: tombstone ? [] : b.chunkHashes,
        version: { time: 1, counter: 0, writer: 'w' }, tombstone, contentType: '', created: 1, modified: 1, signature: ''
      }
    }

    it('removes an old unreferenced blob, keeps a young one and an old referenced one', async () => {
      const orphan = await blob(100, 2 * HOUR)
      const young = await blob(200, DEFAULT_GC_GRACE_MS - 5 * 60_000)
      const held = await blob(300, 30 * 24 * HOUR)
      await records.put(recordOf('held', held))
      const report = await collector().sweep()
      assert.deepEqual({ blobs: report.blobs, removed: report.removed, bytes: report.bytes, errors: report.errors },
        { blobs: 3, removed: 1, bytes: 100, errors: 0 })
      assert.equal(await blobs.has(orphan.hash), false)
      assert.equal(await blobs.has(young.hash), true)
      assert.equal(await blobs.has(held.hash), true)
    })

    it('honours a shorter grace period from the options, and refuses one under a second', async () => {
      const b = await blob(10, 10_000)
      assert.equal((await collector().sweep()).removed, 0)
      assert.equal((await collector({ graceMs: 5_000 }).sweep()).removed, 1)
      assert.equal(await blobs.has(b.hash), false)
      for (const graceMs of [0, 999, Number.NaN]) assert.throws(() => collector({ graceMs }), RangeError)
    })

    it('a tombstone keeps nothing, even one that names a hash', async () => {
      const b = await blob(50, 2 * HOUR)
      await records.put(recordOf('deleted', b, true))
      assert.equal((await collector().sweep()).removed, 1)
      assert.equal(await blobs.has(b.hash), false)
    })

    it('gives the removed bytes back to the quota', async () => {
      await blob(3_000, 2 * HOUR)
      await blob(4_000, 2 * HOUR)
      const kept = await blob(1_000) // young
      assert.equal(blobs.quota?.used, 8_000)
      await rejectsNamed(async () => await blobs.put(chunks(randomBytes(5_000))), 'QuotaError')
      const report = await collector().sweep()
      assert.equal(report.bytes, 7_000)
      assert.equal(blobs.quota?.used, 1_000)
      await blobs.put(chunks(randomBytes(5_000)))
      assert.equal(blobs.quota?.used, 6_000)
      assert.equal(await blobs.has(kept.hash), true)
      // Reopened, the store counts what is on disk: the same.
      await blobs.close()
      blobs = await FsBlobStore.open(join(dir, 'blobs'), { maxBytes: 10_000 })
      assert.equal(blobs.quota?.used, 6_000)
    })

    it('a blob its last record stopped using is dropped unless a commit holds its pin (another name, same bytes)', async () => {
      const b = await blob(400)
      const unpin = await blobs.pin(b.hash)
      assert.equal(await blobs.deleteUnpinned(b.hash), false, 'pinned: kept')
      assert.equal(await blobs.has(b.hash), true)
      unpin()
      assert.equal(await blobs.deleteUnpinned(b.hash), true)
      assert.equal(await blobs.has(b.hash), false)
      assert.equal(blobs.quota?.used, 0)
    })

    it('a re-put of an old blob (its write skipped) makes it young again', async () => {
      const b = await blob(500, 2 * HOUR)
      const before = (await stat(blobs.path(b.hash))).mtimeMs
      // As a replica pull or a repair does: the hash is known, the blob already here.
      await blobs.put(chunks(b.bytes), asFiled(b))
      assert.ok((await stat(blobs.path(b.hash))).mtimeMs > before + HOUR)
      assert.equal((await collector().sweep()).removed, 0)
      assert.equal(await blobs.has(b.hash), true)
      assert.equal(blobs.quota?.used, 500)
    })

    it('keeps a blob while a put of it is in flight, however old it looks', async () => {
      const b = await blob(500, 2 * HOUR)
      let resume!: () => void
      const paused = new Promise<void>(resolve => { resume = resolve })
      let started = false
      async function * slow (): AsyncGenerator<Uint8Array> {
        started = true
        await paused // the put is draining a slow source...
        yield b.bytes
      }
      const put = blobs.put(slow(), asFiled(b))
      try {
        await waitFor(() => started, { what: 'the put to read its source' })
        await age(blobs.path(b.hash), 2 * HOUR) // ...for longer than the grace period
        assert.equal((await collector().sweep()).removed, 0)
        assert.equal(await blobs.has(b.hash), true)
      } finally {
        resume()
        await put
      }
      assert.equal((await collector().sweep()).removed, 0, 'the put left the blob young')
    })

    it('keeps the blob of a record written after the sweep read the record store', async () => {
      const b = await blob(100, 2 * HOUR)
      const late = recordOf('late', b)
      // The record store as the sweep sees it: once the sweep has read it, a commit pins the blob, writes the
      // record and unpins — all before the sweep lists the blobs.
      const racing = {
        async * list (options?: { signal?: AbortSignal }): AsyncGenerator<FileRecord> {
          yield * records.list(options)
          const unpin = await blobs.pin(b.hash)
          await records.put(late)
          unpin()
        }
      }
      const sweeper = new BlobCollector({ ctx: { records: racing as unknown as RecordStore, log }, blobs })
      assert.equal((await sweeper.sweep()).removed, 0)
      assert.equal(await blobs.has(b.hash), true)
      // The next sweep reads the record and keeps the blob for it.
      assert.equal((await collector().sweep()).removed, 0)
      await records.delete(late.key)
      assert.equal((await collector().sweep()).removed, 1)
    })

    it('a pin taken while a collect of the hash is under way waits for it, so `has` after the pin is the truth', async () => {
      const b = await blob(100, 2 * HOUR)
      const pass = blobs.beginCollection()
      try {
        const collecting = pass.collect(b.hash, Date.now() - HOUR)
        // Let the collect pass its pin check (it is queued behind nothing), then pin.
        await new Promise(resolve => setImmediate(resolve))
        const unpin = await blobs.pin(b.hash)
        const present = await blobs.has(b.hash)
        unpin()
        assert.equal(await collecting, present ? undefined : b.size)
        assert.equal(present, false, 'the collect had begun: the blob is gone, and the pin saw it gone')
      } finally {
        pass.end()
      }
    })

    it('a pin taken before a collect runs keeps the blob, also after the unpin within the same pass', async () => {
      const b = await blob(100, 2 * HOUR)
      const pass = blobs.beginCollection()
      try {
        const unpin = await blobs.pin(b.hash)
        assert.equal(await pass.collect(b.hash, Date.now() - HOUR), undefined)
        unpin()
        assert.equal(await pass.collect(b.hash, Date.now() - HOUR), undefined)
      } finally {
        pass.end()
      }
      await assert.rejects(pass.collect(b.hash, Date.now() - HOUR))
      // A new pass, with nothing pinned: it goes.
      const next = blobs.beginCollection()
      try {
        assert.equal(await next.collect(b.hash, Date.now() - HOUR), 100)
      } finally {
        next.end()
      }
    })

    it('collect reads the mtime again: a store hop writing the same bytes over an old orphan mid-sweep keeps it', async () => {
      const b = await blob(100, 2 * HOUR)
      const pass = blobs.beginCollection()
      try {
        // Listed old by the sweep; then a put through a store chain (hash unknown up front, so no pin) renames a
        // fresh copy into place before its record is committed.
        await blobs.put(chunks(b.bytes), { hashedBy: () => ({ hash: b.hash, size: b.size }) })
        assert.equal(await pass.collect(b.hash, Date.now() - HOUR), undefined)
        assert.equal(await blobs.has(b.hash), true)
      } finally {
        pass.end()
      }
    })

    it('commitRecord refuses a record whose blob is gone, and commits one whose blob is here', async () => {
      const key = await newKey()
      const writer = peerIdFromPrivateKey(key).toString()
      const ctx = { records, blobs, log, now: Date.now } as unknown as FilesContext
      const content = randomBytes(1000)
      const record = await signRecord(key, version('commit-me', content, writer))
      await rejectsNamed(async () => { await commitRecord(ctx, record) }, 'NotFoundError')
      assert.equal(await records.get(record.key), undefined)
      await blobs.put(chunks(content), { hashedBy: () => ({ hash: blobAddress(record), size: record.size }) })
      await commitRecord(ctx, record)
      assert.equal((await records.get(record.key))?.hash, record.hash)
    })

    it('a replica pull that finds its blob here (an old orphan) keeps it pinned until its record is committed', async () => {
      const key = await newKey()
      const writer = peerIdFromPrivateKey(key).toString()
      const content = randomBytes(1000)
      const record = await signRecord(key, version('pulled', content, writer))
      await blobs.put(chunks(content), { hashedBy: () => ({ hash: blobAddress(record), size: record.size }) })
      await age(blobs.path(blobAddress(record)), 2 * HOUR)
      // A sweep runs right after the pull looked and found the blob here, before it commits.
      let sweeps = 0
      const racing = {
        pin: async (hash: string) => await blobs.pin(hash),
        delete: async (hash: string) => { await blobs.delete(hash) },
        has: async (hash: string, options?: { signal?: AbortSignal }) => {
          const here = await blobs.has(hash, options)
          await collector().sweep()
          sweeps++
          return here
        }
      }
      const ctx = { records, blobs: racing, log, now: Date.now, isSupernode: () => false } as unknown as FilesContext
      await pullFrom(ctx, record, undefined as unknown as NodeRef, new AbortController().signal)
      assert.ok(sweeps > 0)
      assert.equal((await records.get(record.key))?.hash, record.hash)
      assert.equal(await blobs.has(blobAddress(record)), true)
    })

    it('runs in the background until stopped; a failed sweep is logged and the next one runs', async () => {
      const b = await blob(100, 2 * HOUR)
      let reads = 0
      const flaky = {
        async * list (options?: { signal?: AbortSignal }): AsyncGenerator<FileRecord> {
          if (++reads === 1) throw new Error('the index is unreadable this once')
          yield * records.list(options)
        }
      }
      const sweeper = new BlobCollector({
        ctx: { records: flaky as unknown as RecordStore, log }, blobs, startDelayMs: 0, intervalMs: 20
      })
      const controller = new AbortController()
      const running = sweeper.run(controller.signal)
      try {
        await waitFor(() => sweeper.last !== undefined, { what: 'a sweep to complete after the failed one' })
        assert.ok(reads >= 2)
        assert.equal(await blobs.has(b.hash), false)
      } finally {
        controller.abort()
        await rejectsNamed(async () => { await running }, 'AbortError')
      }
    })

    it('a prefix set finds what was added and nothing else', () => {
      const set = new HashPrefixSet()
      const added = Array.from({ length: 3000 }, (_, i) => sha256Hex(`in ${i}`))
      for (const h of added) set.add(h)
      set.seal()
      for (const h of added) assert.ok(set.has(h))
      for (let i = 0; i < 3000; i++) assert.ok(!set.has(sha256Hex(`out ${i}`)))
      const empty = new HashPrefixSet()
      empty.seal()
      assert.ok(!empty.has(added[0]))
    })
  })

  it('status shows the last sweep once there is one', () => {
    assert.doesNotMatch(formatStatus(STATUS), /^last gc/m)
    const lastGc = { finished: Date.now(), ms: 120, blobs: 40, removed: 2, bytes: 3 * 1024 * 1024, errors: 1 }
    assert.match(formatStatus({ ...STATUS, lastGc }), /^last gc +.*: 2 unreferenced of 40 blobs removed \(3(\.0)? MiB\), 1 could not be$/m)
  })

  describe('on a node', () => {
    let net: Testnet | undefined
    after(async () => { await net?.stop() })

    it('an orphan blob file in the store goes; the node\'s files still read back', async () => {
      net = await createTestnet({ supernodes: 1 })
      const node = net.nodes[0]
      const content = randomBytes(200_000)
      const put = await node.put('kept.bin', content)
      const store = node.files.ctx.blobs as FsBlobStore
      // What a crash between a blob's write and its record's leaves: a blob file and no record.
      const orphan = await store.put(chunks(randomBytes(5_000)))
      await age(store.path(orphan.hash), 2 * HOUR)
      await age(store.path(blobAddress(put.record)), 2 * HOUR) // old, but referenced
      const report = await node.files.collector!.sweep()
      assert.equal(report.removed, 1)
      assert.equal(await store.has(orphan.hash), false)
      assert.equal(await store.has(blobAddress(put.record)), true)
      assert.deepEqual(Buffer.from(await node.get('kept.bin')), content)
      assert.equal(node.files.collector!.last, report)
    })
  })
})
