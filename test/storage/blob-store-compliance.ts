// The BlobStore compliance suite (in the style of js-stores' interface-blockstore-tests): one `describe` block that
// every BlobStore implementation must pass. `factory.setup` gives each test a fresh, empty store and
// `factory.teardown` disposes of it (also when the test failed).
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import type { BlobInfo, BlobStore } from '../../src/storage/blob-store.js'

export interface BlobStoreFactory<S extends BlobStore = BlobStore> {
  setup (): Promise<S>
  teardown (store: S): Promise<void>
}

const MiB = 1024 * 1024

export function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** `bytes` as a stream of `chunkSize` pieces. */
export async function * chunks (bytes: Uint8Array, chunkSize = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += chunkSize) yield bytes.subarray(i, i + chunkSize)
}

export async function collect (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const part of source) parts.push(part)
  return Buffer.concat(parts)
}

export async function listAll (store: BlobStore): Promise<BlobInfo[]> {
  const all: BlobInfo[] = []
  for await (const info of store.list()) all.push(info)
  return all.sort((a, b) => a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0)
}

/** Assert that `fn` rejects with an error named `name` (never its message). */
export async function rejectsNamed (fn: () => Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(fn, (err: Error) => {
    assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`)
    return true
  })
}

/** A source that yields `before` bytes and then fails, like a peer that drops mid-transfer or a full disk. */
async function * failingSource (before: number): AsyncGenerator<Uint8Array> {
  yield * chunks(randomBytes(before))
  throw Object.assign(new Error('source failed'), { name: 'SourceError' })
}

export function describeBlobStore<S extends BlobStore> (name: string, factory: BlobStoreFactory<S>): void {
  describe(`BlobStore compliance: ${name}`, function () {
    this.timeout(30_000)
    let store: S
    const ABSENT = sha256(new TextEncoder().encode('never stored'))

    beforeEach(async () => { store = await factory.setup() })
    afterEach(async () => { await factory.teardown(store) })

    async function roundTrip (size: number): Promise<void> {
      const bytes = randomBytes(size)
      const info = await store.put(chunks(bytes))
      assert.deepEqual(info, { hash: sha256(bytes), size })
      assert.equal(await store.has(info.hash), true)
      assert.deepEqual(await store.stat(info.hash), { size })
      const back = await collect(store.get(info.hash))
      assert.equal(back.byteLength, size)
      assert.equal(sha256(back), info.hash)
    }

    it('stores and returns 0 bytes', async () => { await roundTrip(0) })
    it('stores and returns 1 byte', async () => { await roundTrip(1) })
    it('stores and returns 1 MiB', async () => { await roundTrip(MiB) })

    it('streams a 20 MiB blob in and out (hash and size checked after the streamed upload)', async () => {
      const size = 20 * MiB
      const expected = createHash('sha256')
      async function * generate (): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < size / MiB; i++) {
          const part = randomBytes(MiB)
          expected.update(part)
          yield part
        }
      }
      const info = await store.put(generate())
      const hash = expected.digest('hex')
      assert.deepEqual(info, { hash, size })
      assert.deepEqual(await store.stat(hash), { size })
      const back = createHash('sha256')
      let read = 0
      for await (const part of store.get(hash)) {
        back.update(part)
        read += part.byteLength
      }
      assert.equal(read, size)
      assert.equal(back.digest('hex'), hash)
    })

    describe('ranges', () => {
      const bytes = randomBytes(200_000)
      const hash = sha256(bytes)
      const range = async (offset?: number, length?: number): Promise<Buffer> => await collect(store.get(hash, { offset, length }))

      beforeEach(async () => { await store.put(chunks(bytes)) })

      it('reads from the start', async () => { assert.deepEqual(await range(0, 1000), bytes.subarray(0, 1000)) })
      it('reads from the middle', async () => { assert.deepEqual(await range(70_001, 65_537), bytes.subarray(70_001, 135_538)) })
      it('reads to the end without a length', async () => { assert.deepEqual(await range(199_000), bytes.subarray(199_000)) })
      it('clamps a length past the end', async () => { assert.deepEqual(await range(199_990, 100), bytes.subarray(199_990)) })
      it('reads nothing for a zero length', async () => { assert.equal((await range(5, 0)).byteLength, 0) })
      it('reads nothing at or past the end', async () => {
        assert.equal((await range(200_000)).byteLength, 0)
        assert.equal((await range(300_000, 10)).byteLength, 0)
      })
      it('rejects a negative or fractional range', async () => {
        await rejectsNamed(async () => await range(-1), 'InvalidInputError')
        await rejectsNamed(async () => await range(0, 1.5), 'InvalidInputError')
      })
    })

    it('has/stat/delete: absent, present, deleted; deleting an absent blob is fine', async () => {
      assert.equal(await store.has(ABSENT), false)
      assert.equal(await store.stat(ABSENT), undefined)
      await store.delete(ABSENT)
      const { hash } = await store.put(chunks(randomBytes(1234)))
      assert.equal(await store.has(hash), true)
      assert.deepEqual(await store.stat(hash), { size: 1234 })
      await store.delete(hash)
      assert.equal(await store.has(hash), false)
      assert.equal(await store.stat(hash), undefined)
      await rejectsNamed(async () => await collect(store.get(hash)), 'NotFoundError')
      await store.delete(hash)
    })

    it('lists every blob with its size', async () => {
      assert.deepEqual(await listAll(store), [])
      const infos = [
        await store.put(chunks(randomBytes(10))),
        await store.put(chunks(randomBytes(0))),
        await store.put(chunks(randomBytes(3000)))
      ]
      assert.deepEqual(await listAll(store), [...infos].sort((a, b) => a.hash < b.hash ? -1 : 1))
    })

    it('a re-put of present bytes is idempotent, with or without the expected hash', async () => {
      const bytes = randomBytes(5000)
      const first = await store.put(chunks(bytes))
      assert.deepEqual(await store.put(chunks(bytes, 999)), first)
      assert.deepEqual(await store.put(chunks(bytes), { expectedHash: first.hash, expectedSize: 5000 }), first)
      assert.deepEqual(await listAll(store), [first])
      assert.deepEqual(await collect(store.get(first.hash)), bytes)
    })

    it('stores with a matching expected hash and size', async () => {
      const bytes = randomBytes(4321)
      assert.deepEqual(await store.put(chunks(bytes), { expectedHash: sha256(bytes), expectedSize: 4321 }),
        { hash: sha256(bytes), size: 4321 })
      assert.deepEqual(await collect(store.get(sha256(bytes))), bytes)
    })

    it('an expected hash or size mismatch throws IntegrityError and stores nothing', async () => {
      const kept = await store.put(chunks(randomBytes(100)))
      const bytes = randomBytes(4096)
      await rejectsNamed(async () => await store.put(chunks(bytes), { expectedHash: ABSENT }), 'IntegrityError')
      await rejectsNamed(async () => await store.put(chunks(bytes), { expectedSize: 4095 }), 'IntegrityError')
      await rejectsNamed(async () => await store.put(chunks(bytes), { expectedSize: 4097 }), 'IntegrityError')
      // Present bytes with a wrong claim: still refused, and the stored blob is untouched.
      await rejectsNamed(async () => await store.put(chunks(bytes), { expectedHash: kept.hash }), 'IntegrityError')
      assert.equal(await store.has(ABSENT), false)
      assert.equal(await store.has(sha256(bytes)), false)
      assert.deepEqual(await listAll(store), [kept])
    })

    it('hashedBy: files the bytes under the caller\'s hash without hashing them again; a wrong size stores nothing', async () => {
      // Pieces of 1 byte and more: a store that batches its writes must keep them in order.
      const bytes = randomBytes(70_000)
      async function * pieces (): AsyncGenerator<Uint8Array> {
        for (let at = 0, n = 1; at < bytes.length; at += n, n = n * 2 + 1) yield bytes.subarray(at, at + n)
        for (let i = 0; i < 600; i++) yield new Uint8Array(0)
      }
      // Not the SHA-256 of the bytes: a store that hashed them itself would file them elsewhere.
      const claimed = sha256(Buffer.from('what the caller computed'))
      assert.deepEqual(await store.put(pieces(), { hashedBy: () => ({ hash: claimed, size: bytes.length }) }),
        { hash: claimed, size: bytes.length })
      assert.deepEqual(await collect(store.get(claimed)), bytes)
      assert.equal(await store.has(sha256(bytes)), false)
      const other = sha256(Buffer.from('another claim'))
      await rejectsNamed(async () => await store.put(chunks(bytes), { hashedBy: () => ({ hash: other, size: bytes.length - 1 }) }),
        'IntegrityError')
      assert.equal(await store.has(other), false)
    })

    it('a source that fails midway leaves nothing visible', async () => {
      const kept = await store.put(chunks(randomBytes(100)))
      await rejectsNamed(async () => await store.put(failingSource(300_000)), 'SourceError')
      await rejectsNamed(async () => await store.put(failingSource(300_000), { expectedHash: ABSENT }), 'SourceError')
      assert.deepEqual(await listAll(store), [kept])
    })

    it('rejects a malformed hash with InvalidInputError', async () => {
      for (const bad of ['', 'xyz', ABSENT.slice(1), ABSENT.toUpperCase(), `${ABSENT}0`, `../${ABSENT.slice(3)}`]) {
        await rejectsNamed(async () => await collect(store.get(bad)), 'InvalidInputError')
        await rejectsNamed(async () => await store.has(bad), 'InvalidInputError')
        await rejectsNamed(async () => await store.stat(bad), 'InvalidInputError')
        await rejectsNamed(async () => await store.delete(bad), 'InvalidInputError')
        await rejectsNamed(async () => await store.put(chunks(randomBytes(1)), { expectedHash: bad }), 'InvalidInputError')
      }
    })

    it('get of an absent blob throws NotFoundError, whole or ranged', async () => {
      await rejectsNamed(async () => await collect(store.get(ABSENT)), 'NotFoundError')
      await rejectsNamed(async () => await collect(store.get(ABSENT, { offset: 10, length: 10 })), 'NotFoundError')
      await rejectsNamed(async () => await collect(store.get(ABSENT, { length: 0 })), 'NotFoundError')
    })

    it('a put aborted midway throws AbortError and stores nothing', async () => {
      const controller = new AbortController()
      async function * endless (): AsyncGenerator<Uint8Array> {
        for (let i = 0; ; i++) {
          if (i === 10) controller.abort()
          yield randomBytes(64 * 1024)
        }
      }
      await rejectsNamed(async () => await store.put(endless(), { signal: controller.signal }), 'AbortError')
      assert.deepEqual(await listAll(store), [])
    })

    it('a get aborted midway throws AbortError', async () => {
      // Larger than any store's read piece, so the abort lands between pieces.
      const { hash } = await store.put(chunks(randomBytes(4 * MiB)))
      const controller = new AbortController()
      let read = 0
      await rejectsNamed(async () => {
        for await (const part of store.get(hash, { signal: controller.signal })) {
          read += part.byteLength
          controller.abort()
        }
      }, 'AbortError')
      assert.ok(read > 0 && read < 4 * MiB)
    })

    it('calls with an aborted signal throw AbortError', async () => {
      const { hash } = await store.put(chunks(randomBytes(10)))
      const signal = AbortSignal.abort()
      await rejectsNamed(async () => await store.has(hash, { signal }), 'AbortError')
      await rejectsNamed(async () => await store.stat(hash, { signal }), 'AbortError')
      await rejectsNamed(async () => await store.delete(hash, { signal }), 'AbortError')
      await rejectsNamed(async () => await collect(store.get(hash, { signal })), 'AbortError')
      await rejectsNamed(async () => await store.put(chunks(randomBytes(10)), { signal }), 'AbortError')
      await rejectsNamed(async () => { for await (const _ of store.list({ signal })) { /* empty */ } }, 'AbortError')
      assert.equal(await store.has(hash), true)
    })
  })
}
