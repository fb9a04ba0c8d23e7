// S3BlobStore beyond the compliance suite: no temp objects survive a put (successful, failed, aborted, in
// several parts), the expected-hash path that uploads straight to the final key, and configuration from the
// environment and a `.env` file.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { envWithDotenv, s3ConfigFromEnv } from '../../src/config.js'
import { S3BlobStore } from '../../src/storage/s3-blob-store.js'
import { createS3Client } from '../../src/storage/s3-client.js'
import { startS3rver, type S3Fixture } from '../utils/s3-fixture.js'
import { chunks, collect, listAll, rejectsNamed, sha256 } from './blob-store-compliance.js'

const MiB = 1024 * 1024

describe('S3BlobStore', function () {
  this.timeout(30_000)
  let s3: S3Fixture | undefined
  let raw: S3Client | undefined
  let store: S3BlobStore | undefined
  let run = 0

  before(async () => {
    s3 = await startS3rver()
    raw = createS3Client(s3.config)
  })
  after(async () => {
    raw?.destroy()
    await s3?.stop()
  })
  beforeEach(() => { store = new S3BlobStore({ ...s3!.config, prefix: `s3-${++run}/` }) })
  afterEach(async () => { await store?.close() })

  /** Every key under the store's prefix, as a raw S3 client sees them. */
  async function keys (): Promise<string[]> {
    const res = await raw!.send(new ListObjectsV2Command({ Bucket: s3!.bucket, Prefix: store!.prefix }))
    return (res.Contents ?? []).map(o => o.Key!.slice(store!.prefix.length)).sort()
  }

  /** `parts` MiB of random bytes, streamed, with the hash of what was generated. */
  function generated (
    mib: number, options: { failAt?: number, onPart?: (i: number) => void } = {}
  ): { source: AsyncGenerator<Uint8Array>, hash: () => string } {
    const sha = createHash('sha256')
    async function * source (): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < mib; i++) {
        if (i === options.failAt) throw Object.assign(new Error('source failed'), { name: 'SourceError' })
        options.onPart?.(i)
        const part = randomBytes(MiB)
        sha.update(part)
        yield part
      }
    }
    return { source: source(), hash: () => sha.digest('hex') }
  }

  it('leaves only blobs/<hash> behind: no temp objects after successful, failed and aborted puts', async () => {
    const small = await store!.put(chunks(randomBytes(1000)))
    const big = generated(17)
    const large = await store!.put(big.source)
    assert.deepEqual(large, { hash: big.hash(), size: 17 * MiB })
    await rejectsNamed(async () => await store!.put(generated(20, { failAt: 18 }).source), 'SourceError')
    await rejectsNamed(async () => await store!.put(chunks(randomBytes(10)), { expectedSize: 9 }), 'IntegrityError')
    const controller = new AbortController()
    const aborted = generated(40, { onPart: i => { if (i === 20) controller.abort() } })
    await rejectsNamed(async () => await store!.put(aborted.source, { signal: controller.signal }), 'AbortError')
    assert.deepEqual(await keys(), [`blobs/${small.hash}`, `blobs/${large.hash}`].sort())
  })

  it('with an expected hash, uploads a multipart blob straight to its key, and removes it on a mismatch', async () => {
    const bytes = randomBytes(9 * MiB)
    const hash = sha256(bytes)
    assert.deepEqual(await store!.put(chunks(bytes, MiB), { expectedHash: hash }), { hash, size: 9 * MiB })
    assert.equal(sha256(await collect(store!.get(hash))), hash)
    await store!.delete(hash)
    const other = sha256(randomBytes(1))
    await rejectsNamed(async () => await store!.put(chunks(bytes, MiB), { expectedHash: other }), 'IntegrityError')
    assert.deepEqual(await keys(), [])
    assert.deepEqual(await listAll(store!), [])
  })

  it('maps a failing server to StorageError', async () => {
    const broken = new S3BlobStore({ ...s3!.config, bucket: 'no-such-bucket' })
    try {
      await rejectsNamed(async () => await listAll(broken), 'StorageError')
      await rejectsNamed(async () => await broken.put(chunks(randomBytes(10))), 'StorageError')
    } finally {
      await broken.close()
    }
  })

  it('rejects an invalid bucket name', () => {
    assert.throws(() => new S3BlobStore({ bucket: 'x' }), { name: 'InvalidInputError' })
  })
})

describe('s3ConfigFromEnv', () => {
  let dir: string | undefined
  afterEach(async () => { if (dir !== undefined) await rm(dir, { recursive: true, force: true }) })

  it('is undefined (S3 off) without CHORD_PEER_S3_BUCKET', () => {
    assert.equal(s3ConfigFromEnv({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }), undefined)
  })

  it('reads the AWS variables and ours', () => {
    assert.deepEqual(s3ConfigFromEnv({
      CHORD_PEER_S3_BUCKET: 'files',
      CHORD_PEER_S3_PREFIX: 'ring-1/',
      AWS_ACCESS_KEY_ID: 'AK',
      AWS_SECRET_ACCESS_KEY: 'SK',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9000',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9001'
    }), {
      bucket: 'files',
      prefix: 'ring-1/',
      endpoint: 'http://127.0.0.1:9001',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
      forcePathStyle: true
    })
    const plain = s3ConfigFromEnv({ CHORD_PEER_S3_BUCKET: 'files', AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'eu-west-1' })
    assert.equal(plain?.region, 'us-west-2')
    assert.equal(plain?.credentials, undefined)
    assert.equal(plain?.forcePathStyle, false)
  })

  it('refuses half a key pair', () => {
    assert.throws(() => s3ConfigFromEnv({ CHORD_PEER_S3_BUCKET: 'files', AWS_ACCESS_KEY_ID: 'AK' }), { name: 'InvalidInputError' })
  })

  it('honours a .env file without overriding real variables, and without touching process.env', async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-env-'))
    assert.deepEqual(await envWithDotenv(dir, { A: '1' }), { A: '1' })
    await writeFile(join(dir, '.env'), 'CHORD_PEER_S3_BUCKET=from-file\nAWS_REGION=eu-central-1\nCHORD_PEER_TEST_ONLY=x\n')
    const env = await envWithDotenv(dir, { AWS_REGION: 'us-east-2' })
    assert.equal(env.CHORD_PEER_S3_BUCKET, 'from-file')
    assert.equal(env.AWS_REGION, 'us-east-2')
    assert.equal(process.env.CHORD_PEER_TEST_ONLY, undefined)
    assert.equal(s3ConfigFromEnv(env)?.bucket, 'from-file')
  })
})
