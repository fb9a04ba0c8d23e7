// S3Tier against a real S3-compatible server (s3rver): the write-behind queue uploads blob and record, keeps the
// newest record, uploads tombstones without a blob, survives a restart, rides out an outage without dropping
// anything, drops only entries whose local blob is gone, and stops promptly mid-backoff.
import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { NotFoundError, NotStartedError } from '../../src/errors.js'
import { blobAddress, ChunkHasher, sha256Hex, type ContentDigest } from '../../src/files/hashing.js'
import { S3Tier } from '../../src/files/s3-tier.js'
import { QUEUE_DIR } from '../../src/files/upload-queue.js'
import { FsBlobStore } from '../../src/storage/fs-blob-store.js'
import { S3BlobStore } from '../../src/storage/s3-blob-store.js'
import { createS3Client } from '../../src/storage/s3-client.js'
import { waitFor } from '../utils/wait.js'
import { collect, pseudoRandom, sha256Of } from '../../harness/bytes.js'
import { flakyS3 } from '../utils/s3-outage.js'
import { startS3rver, type S3Fixture } from '../utils/s3-fixture.js'
import type { S3Config } from '../../src/config.js'
import type { FileRecord, Version } from '../../src/files/record.js'

const MiB = 1024 * 1024
const FAST_RETRY = { minMs: 20, maxMs: 200 }

describe('S3Tier', function () {
  this.timeout(30_000)
  let s3: S3Fixture | undefined
  let raw: S3Client | undefined
  let run = 0
  let dir: string
  let local: FsBlobStore
  let config: S3Config
  let checker: S3BlobStore
  let tiers: S3Tier[]

  before(async () => {
    s3 = await startS3rver()
    raw = createS3Client(s3.config)
  })
  after(async () => {
    raw?.destroy()
    await s3?.stop()
  })
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-s3-tier-'))
    local = await FsBlobStore.open(join(dir, 'local'))
    config = { ...s3!.config, prefix: `tier-${++run}/` }
    checker = new S3BlobStore(config)
    tiers = []
  })
  afterEach(async () => {
    for (const tier of tiers) await tier.stop()
    await checker.close()
    await local.close()
    await rm(dir, { recursive: true, force: true })
  })

  function tier (options: { s3?: S3Config, retry?: { minMs: number, maxMs: number } } = {}): S3Tier {
    const t = new S3Tier({ s3: options.s3 ?? config, local, dir: join(dir, 'node'), retry: options.retry ?? FAST_RETRY })
    tiers.push(t)
    return t
  }

  function version (time: number, counter = 0): Version {
    return { time, counter, writer: 'writer-a' }
  }

  /** Store `size` pseudo-random bytes (from `seed`) in the local store and return the record of that version. */
  async function file (name: string, size: number, seed: number, v: Version, options: { store?: boolean } = {}): Promise<FileRecord> {
    const hasher = new ChunkHasher(MiB)
    async function * source (): AsyncGenerator<Uint8Array> {
      for await (const piece of pseudoRandom(size, seed)) {
        hasher.update(piece)
        yield piece
      }
    }
    let done: ContentDigest | undefined
    const digested = (): ContentDigest => (done ??= hasher.digest())
    if (options.store === false) {
      for await (const _ of source()) { /* hash only */ }
    } else {
      // Filed as the files layer files it: under the root of its chunk hashes.
      await local.put(source(), { hashedBy: () => ({ hash: blobAddress(digested()), size: digested().size }) })
    }
    const digest = digested()
    return {
      name,
      key: sha256Hex(name),
      size: digest.size,
      hash: digest.hash,
      chunkSize: MiB,
      chunkHashes: digest.chunkHashes,
      version: v,
      tombstone: false,
      contentType: 'application/octet-stream',
      created: 1_000,
      modified: v.time,
      signature: ''
    }
  }

  function tombstone (record: FileRecord, v: Version): FileRecord {
    return { ...record, size: 0, hash: '', chunkHashes: [], version: v, tombstone: true, modified: v.time }
  }

  /** Every object key under `prefix`, relative to it, sorted. */
  async function objects (client = raw!, bucket = s3!.bucket, prefix = config.prefix!): Promise<string[]> {
    const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))
    return (res.Contents ?? []).map(o => o.Key!.slice(prefix.length)).sort()
  }

  /** The blob is in S3 under its address, and reading it back hashes to what the record says. */
  async function assertBlob (record: FileRecord, store = checker): Promise<void> {
    assert.deepEqual(await store.stat(blobAddress(record)), { size: record.size })
    assert.deepEqual(await sha256Of(store.get(blobAddress(record))), { hash: record.hash, size: record.size })
  }

  async function drained (t: S3Tier): Promise<void> {
    await t.idle({ signal: AbortSignal.timeout(20_000) })
    assert.equal(await t.pending(), 0)
  }

  it('uploads the blob (verified by hash) and the record, and reads both back', async () => {
    const big = await file('big.bin', 9 * MiB + 123, 1, version(100)) // more than one 8 MiB part: multipart
    const small = await file('small.txt', 5_000, 2, version(101))
    const t = tier()
    await t.enqueue(big)
    await t.enqueue(small)
    assert.equal(await t.pending(), 2)
    await t.start()
    await drained(t)

    await assertBlob(big)
    await assertBlob(small)
    assert.deepEqual(await objects(), [
      `blobs/${blobAddress(big)}`, `blobs/${blobAddress(small)}`, `records/${big.key}.json`, `records/${small.key}.json`
    ].sort())
    assert.deepEqual(await t.record(big.key), big)
    assert.deepEqual(await t.record(small.key), small)
    assert.equal(await t.record(sha256Hex('never stored')), undefined)
    assert.deepEqual(t.stats(), { uploaded: 2, dropped: 0, failures: 0 })

    // Ranges, compared with the same range of the local copy.
    for (const range of [{ offset: 0 }, { offset: 8 * MiB - 10, length: 4_000 }, { offset: 9 * MiB }, { offset: 9 * MiB + 123 }]) {
      assert.deepEqual(await collect(t.read(big, range)), await collect(local.get(blobAddress(big), range)), JSON.stringify(range))
    }
    await assert.rejects(collect(t.read({ ...small, hash: sha256Hex('absent'), chunkHashes: [sha256Hex('absent')] })), NotFoundError)
    // A blob uploaded before blobs were filed under their chunk root is under the content's SHA-256: still read.
    const old = await file('uploaded-long-ago', 3_000, 21, version(50), { store: false })
    await checker.put(pseudoRandom(3_000, 21))
    assert.equal(await checker.has(blobAddress(old)), false)
    assert.deepEqual(await sha256Of(t.read(old)), { hash: old.hash, size: old.size })
  })

  it('keeps the newest record: a newer version replaces it, an older or equal one does not', async () => {
    const v2 = await file('doc', 1_000, 3, version(200))
    const v1 = await file('doc', 2_000, 4, version(100))
    const v3 = await file('doc', 3_000, 5, version(200, 1))
    const t = tier()
    await t.start()

    await t.enqueue(v2)
    await drained(t)
    assert.deepEqual(await t.record(v2.key), v2)

    await t.enqueue(v1)
    await t.enqueue({ ...v2, contentType: 'text/plain' }) // same version: not a replacement
    await drained(t)
    assert.deepEqual(await t.record(v2.key), v2)

    await t.enqueue(v3)
    await drained(t)
    assert.deepEqual(await t.record(v3.key), v3)
    await assertBlob(v3)
    assert.deepEqual(await collect(t.read(v3)), await collect(local.get(blobAddress(v3))))
  })

  it('uploads a tombstone as a record with no blob', async () => {
    const live = await file('gone', 1_000, 6, version(100), { store: false })
    const dead = tombstone(live, version(300))
    const t = tier()
    await t.start()
    await t.enqueue(dead)
    await drained(t)
    assert.deepEqual(await objects(), [`records/${dead.key}.json`])
    assert.deepEqual(await t.record(dead.key), dead)
    await assert.rejects(collect(t.read(dead)), NotFoundError)

    // A live version older than the tombstone uploads its blob but leaves the tombstone in place.
    await local.put(pseudoRandom(1_000, 6))
    await t.enqueue(live)
    await drained(t)
    assert.deepEqual(await t.record(dead.key), dead)
  })

  it('keeps the queue across a restart and uploads it after start', async () => {
    const a = await file('a', 10_000, 7, version(100))
    const b = await file('b', 20_000, 8, version(101))
    const c = await file('c', 30_000, 9, version(102))
    const first = tier()
    await first.enqueue(a)
    await first.enqueue(b)
    assert.equal(await first.pending(), 2)
    await first.stop()
    await assert.rejects(first.enqueue(c), NotStartedError)
    assert.ok((await stat(join(dir, 'node', QUEUE_DIR))).isDirectory())
    assert.deepEqual(await objects(), [])

    const second = tier()
    assert.equal(await second.pending(), 2)
    await second.enqueue(c) // after the surviving entries
    assert.equal(await second.pending(), 3)
    await second.start()
    await drained(second)
    for (const r of [a, b, c]) {
      await assertBlob(r)
      assert.deepEqual(await second.record(r.key), r)
    }
    assert.equal(second.stats().uploaded, 3)

    // A third open finds nothing left to do.
    await second.stop()
    const third = tier()
    assert.equal(await third.pending(), 0)
  })

  it('rides out an S3 outage: entries stay queued with retries, then drain once S3 is back', async () => {
    const flaky = await flakyS3()
    let check: S3BlobStore | undefined
    let client: S3Client | undefined
    try {
      const outage = { ...flaky.config, prefix: 'outage/' }
      const records = [
        await file('o1', 1_000, 10, version(100)),
        await file('o2', 2 * MiB, 11, version(101)),
        tombstone(await file('o3', 10, 12, version(1), { store: false }), version(102))
      ]
      const t = tier({ s3: outage, retry: { minMs: 20, maxMs: 100 } })
      await t.start()
      for (const r of records) await t.enqueue(r)
      await waitFor(() => t.stats().failures >= 4, { timeoutMs: 15_000, what: 'failed upload attempts' })
      assert.equal(await t.pending(), 3)
      assert.equal(t.stats().uploaded, 0)
      assert.equal(t.stats().dropped, 0)
      assert.equal(t.stats().lastError?.name, 'StorageError')

      await flaky.up()
      await drained(t)
      check = new S3BlobStore(outage)
      client = createS3Client(flaky.config)
      await assertBlob(records[0], check)
      await assertBlob(records[1], check)
      for (const r of records) assert.deepEqual(await t.record(r.key), r)
      assert.deepEqual(await objects(client, flaky.config.bucket, 'outage/'), [
        `blobs/${blobAddress(records[0])}`, `blobs/${blobAddress(records[1])}`,
        ...records.map(r => `records/${r.key}.json`)
      ].sort())
      assert.equal(t.stats().uploaded, 3)
      await t.stop()
    } finally {
      await check?.close()
      client?.destroy()
      await flaky.dispose()
    }
  })

  it('drops an entry whose local blob is gone and carries on', async () => {
    const gone = await file('replaced', 4_000, 13, version(100), { store: false })
    const kept = await file('kept', 4_000, 14, version(101))
    const t = tier()
    await t.enqueue(gone)
    await t.enqueue(kept)
    await t.start()
    await drained(t)
    assert.deepEqual(t.stats(), { uploaded: 1, dropped: 1, failures: 0 })
    assert.equal(await t.record(gone.key), undefined)
    assert.deepEqual(await t.record(kept.key), kept)
    assert.equal(await checker.has(blobAddress(gone)), false)
    await assertBlob(kept)
  })

  it('stops promptly in the middle of a long backoff, keeping the entry', async () => {
    const flaky = await flakyS3()
    const backoffs = watchTimers(60_000)
    try {
      const r = await file('late', 1_000, 15, version(100))
      const t = tier({ s3: flaky.config, retry: { minMs: 60_000, maxMs: 60_000 } })
      await t.start()
      await t.enqueue(r)
      await waitFor(() => t.stats().failures >= 1, { timeoutMs: 15_000, what: 'a failed attempt' })
      await waitFor(() => backoffs.timers.length > 0, { timeoutMs: 5_000, what: 'the 60 s backoff' })
      const waiting = assert.rejects(t.idle(), NotStartedError) // attached now: stop() rejects it
      await t.stop()
      // Cleared, not fired: stop() cut the backoff short instead of waiting it out, and left no timer behind.
      assert.deepEqual(backoffs.timers, [{ cleared: true, fired: false }])
      await waiting
      const again = tier({ s3: flaky.config })
      assert.equal(await again.pending(), 1)
    } finally {
      backoffs.restore()
      await flaky.dispose()
    }
  })

  it('rejects malformed records and keys', async () => {
    const t = tier()
    const r = await file('x', 10, 16, version(1))
    await assert.rejects(t.enqueue({ ...r, key: 'not-a-key' }), { name: 'InvalidInputError' })
    await assert.rejects(t.enqueue({ ...r, hash: '' }), { name: 'InvalidInputError' })
    await assert.rejects(t.record('nope'), { name: 'InvalidInputError' })
    assert.equal(await t.pending(), 0)
  })
})

/**
 * Record what becomes of every timer set for exactly `ms` (cleared, or fired), by wrapping the global
 * setTimeout and clearTimeout that the code under test calls, until `restore()`.
 */
function watchTimers (ms: number): { timers: Array<{ cleared: boolean, fired: boolean }>, restore: () => void } {
  const realSet = globalThis.setTimeout
  const realClear = globalThis.clearTimeout
  const timers: Array<{ cleared: boolean, fired: boolean }> = []
  const watched = new Map<unknown, { cleared: boolean, fired: boolean }>()
  const set = (fn: (...args: unknown[]) => void, delay?: number, ...args: unknown[]): NodeJS.Timeout => {
    if (delay !== ms) return realSet(fn, delay, ...args)
    const timer = { cleared: false, fired: false }
    const handle = realSet((...a: unknown[]) => {
      timer.fired = true
      fn(...a)
    }, delay, ...args)
    timers.push(timer)
    watched.set(handle, timer)
    return handle
  }
  const clear = (handle?: Parameters<typeof clearTimeout>[0]): void => {
    const timer = watched.get(handle)
    if (timer !== undefined && !timer.fired) timer.cleared = true
    realClear(handle)
  }
  globalThis.setTimeout = set as unknown as typeof setTimeout
  globalThis.clearTimeout = clear as typeof clearTimeout
  return {
    timers,
    restore: () => {
      globalThis.setTimeout = realSet
      globalThis.clearTimeout = realClear
    }
  }
}
