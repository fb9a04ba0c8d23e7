// Runs the BlobStore compliance suite against both implementations: FsBlobStore in a temp directory and
// S3BlobStore on an in-process s3rver (each test under its own key prefix of one bucket).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FsBlobStore } from '../../src/storage/fs-blob-store.js'
import { S3BlobStore } from '../../src/storage/s3-blob-store.js'
import { startS3rver, type S3Fixture } from '../utils/s3-fixture.js'
import { describeBlobStore } from './blob-store-compliance.js'

describeBlobStore('FsBlobStore', {
  setup: async () => await FsBlobStore.open(await mkdtemp(join(tmpdir(), 'chord-peer-blobs-'))),
  teardown: async store => {
    await store.close()
    await rm(store.dir, { recursive: true, force: true })
  }
})

describe('S3BlobStore on s3rver', function () {
  let s3: S3Fixture | undefined
  let run = 0

  before(async () => { s3 = await startS3rver() })
  after(async () => { await s3?.stop() })

  describeBlobStore('S3BlobStore', {
    setup: async () => new S3BlobStore({ ...s3!.config, prefix: `run-${++run}/` }),
    teardown: async store => { await store.close() }
  })
})
