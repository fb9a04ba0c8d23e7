// FsBlobStore beyond the compliance suite: what a crash leaves behind, corruption on disk, and the temp directory
// after a failed put.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FsBlobStore } from '../../src/storage/fs-blob-store.js'
import { chunks, listAll, rejectsNamed, sha256 } from './blob-store-compliance.js'

describe('FsBlobStore', () => {
  let dir: string
  let store: FsBlobStore | undefined

  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'chord-peer-fsblobs-')) })
  afterEach(async () => {
    await store?.close()
    store = undefined
    await rm(dir, { recursive: true, force: true })
  })

  it('lays blobs out as blobs/<first two hex>/<hash>', async () => {
    store = await FsBlobStore.open(dir)
    const { hash } = await store.put(chunks(randomBytes(10)))
    assert.deepEqual(await readdir(join(dir, 'blobs', hash.slice(0, 2))), [hash])
    assert.equal(store.path(hash), join(dir, 'blobs', hash.slice(0, 2), hash))
  })

  it('never lists a temp file left by a crash, and removes it at the next open', async () => {
    store = await FsBlobStore.open(dir)
    const kept = await store.put(chunks(randomBytes(100)))
    // A put that died before its rename: the partial bytes sit in tmp/ under a random name.
    await writeFile(join(dir, 'tmp', 'crashed-put'), randomBytes(5000))
    assert.deepEqual(await listAll(store), [kept])
    await store.close()
    store = await FsBlobStore.open(dir)
    assert.deepEqual(await readdir(join(dir, 'tmp')), [])
    assert.deepEqual(await listAll(store), [kept])
  })

  it('removes the temp file when the source fails midway (as on ENOSPC)', async () => {
    store = await FsBlobStore.open(dir)
    async function * failing (): AsyncGenerator<Uint8Array> {
      yield randomBytes(100_000)
      throw Object.assign(new Error('no space left on device'), { name: 'SourceError', code: 'ENOSPC' })
    }
    await rejectsNamed(async () => await store!.put(failing()), 'SourceError')
    await rejectsNamed(async () => await store!.put(chunks(randomBytes(10)), { expectedSize: 11 }), 'IntegrityError')
    assert.deepEqual(await readdir(join(dir, 'tmp')), [])
    assert.deepEqual(await listAll(store), [])
  })

  it('verify detects a blob corrupted on disk', async () => {
    store = await FsBlobStore.open(dir)
    const bytes = randomBytes(300_000)
    const { hash } = await store.put(chunks(bytes))
    assert.equal(await store.verify(hash), true)
    bytes[123_456] ^= 0xff
    await writeFile(store.path(hash), bytes)
    assert.equal(await store.verify(hash), false)
    assert.notEqual(sha256(bytes), hash)
    await rejectsNamed(async () => await store!.verify(sha256(randomBytes(1))), 'NotFoundError')
    await rejectsNamed(async () => await store!.verify('nope'), 'InvalidInputError')
  })

  describe('with a storage quota (maxBytes)', () => {
    it('refuses a put that would go over with QuotaError, leaves no temp file, and takes a smaller one', async () => {
      store = await FsBlobStore.open(dir, { maxBytes: 1_000_000 })
      const first = await store.put(chunks(randomBytes(600_000)))
      assert.deepEqual(store.quota, { max: 1_000_000, used: 600_000 })
      await rejectsNamed(async () => await store!.put(chunks(randomBytes(500_000))), 'QuotaError')
      // With the size known, it is refused before a byte is written.
      await rejectsNamed(async () => await store!.put(chunks(randomBytes(500_000)), { expectedSize: 500_000 }), 'QuotaError')
      assert.deepEqual(await readdir(join(dir, 'tmp')), [])
      assert.deepEqual(await listAll(store), [first])
      assert.deepEqual(store.quota, { max: 1_000_000, used: 600_000 })
      await store.put(chunks(randomBytes(400_000)))
      assert.equal(store.quota?.used, 1_000_000)
    })

    it('counts what it holds at open and as blobs come and go; bytes already held cost nothing', async () => {
      const seed = await FsBlobStore.open(dir)
      const bytes = randomBytes(700_000)
      const { hash } = await seed.put(chunks(bytes))
      await seed.close()
      store = await FsBlobStore.open(dir, { maxBytes: 1_000_000 })
      assert.equal(store.quota?.used, 700_000)
      await store.put(chunks(bytes), { expectedHash: hash })
      assert.equal(store.quota?.used, 700_000)
      await rejectsNamed(async () => await store!.put(chunks(randomBytes(300_001))), 'QuotaError')
      await store.delete(hash)
      assert.equal(store.quota?.used, 0)
      await store.put(chunks(randomBytes(1_000_000)))
    })

    it('puts in flight count against the quota together', async () => {
      store = await FsBlobStore.open(dir, { maxBytes: 1_000_000 })
      const results = await Promise.allSettled([0, 1, 2].map(async () => await store!.put(chunks(randomBytes(400_000)))))
      assert.deepEqual(results.map(r => r.status).sort(), ['fulfilled', 'fulfilled', 'rejected'])
      assert.equal(store.quota?.used, 800_000)
      assert.deepEqual(await readdir(join(dir, 'tmp')), [])
    })

    it('rejects a quota that is not a positive number of bytes', async () => {
      for (const maxBytes of [0, -1, 1.5, NaN]) {
        await rejectsNamed(async () => await FsBlobStore.open(dir, { maxBytes }), 'InvalidInputError')
      }
    })
  })
})
