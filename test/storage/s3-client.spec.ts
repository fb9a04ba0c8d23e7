// createS3Client and mapS3Error without a server: the client's settings, and which named error each kind of
// SDK failure becomes.
import assert from 'node:assert/strict'
import { IntegrityError, NotFoundError, StorageError } from '../../src/errors.js'
import { createS3Client, mapS3Error } from '../../src/storage/s3-client.js'

/** An error shaped like the SDK's: a name and the HTTP status in `$metadata`. */
function sdkError (name: string, httpStatusCode?: number): Error {
  return Object.assign(new Error(`${name} (from the SDK)`), { name, $metadata: { httpStatusCode } })
}

describe('createS3Client', () => {
  it('sends and checks checksums only where S3 requires them, and defaults to us-east-1', async () => {
    const client = createS3Client({ bucket: 'chord-peer-test', endpoint: 'http://127.0.0.1:9', forcePathStyle: true })
    try {
      assert.equal(await client.config.requestChecksumCalculation(), 'WHEN_REQUIRED')
      assert.equal(await client.config.responseChecksumValidation(), 'WHEN_REQUIRED')
      assert.equal(await client.config.region(), 'us-east-1')
      assert.equal(client.config.forcePathStyle, true)
    } finally {
      client.destroy()
    }
  })

  it('takes the region and credentials of the configuration', async () => {
    const credentials = { accessKeyId: 'AK', secretAccessKey: 'SK' }
    const client = createS3Client({ bucket: 'chord-peer-test', region: 'eu-west-1', credentials })
    try {
      assert.equal(await client.config.region(), 'eu-west-1')
      const resolved = await client.config.credentials()
      assert.equal(resolved.accessKeyId, 'AK')
      assert.equal(resolved.secretAccessKey, 'SK')
    } finally {
      client.destroy()
    }
  })
})

describe('mapS3Error', () => {
  it('answers the signal\'s reason once it has aborted, whatever the SDK made of the abort', () => {
    const controller = new AbortController()
    const reason = new DOMException('stopped', 'AbortError')
    controller.abort(reason)
    assert.equal(mapS3Error(sdkError('AbortError'), controller.signal, 'get blob b'), reason)
    assert.equal(mapS3Error(sdkError('NoSuchKey', 404), controller.signal, 'get blob b'), reason)
  })

  it('passes our own errors through unchanged', () => {
    const ours = new IntegrityError('the bytes do not match')
    assert.equal(mapS3Error(ours, undefined, 'upload a blob'), ours)
    assert.equal(mapS3Error(ours, new AbortController().signal, 'upload a blob'), ours)
  })

  it('maps a missing object (NoSuchKey, NotFound, any 404) to NotFoundError, with the SDK error as cause', () => {
    for (const err of [sdkError('NoSuchKey'), sdkError('NotFound', 404), sdkError('UnknownError', 404)]) {
      const mapped = mapS3Error(err, new AbortController().signal, 'read the S3 record of k')
      assert.ok(mapped instanceof NotFoundError, err.name)
      assert.equal(mapped.name, 'NotFoundError')
      assert.equal(mapped.cause, err)
    }
  })

  it('maps a missing bucket, and every other failure, to StorageError with the SDK error as cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })
    for (const err of [sdkError('NoSuchBucket', 404), sdkError('AccessDenied', 403), sdkError('InternalError', 500), refused]) {
      const mapped = mapS3Error(err, undefined, 'list blobs')
      assert.ok(mapped instanceof StorageError, err.name)
      assert.equal(mapped.name, 'StorageError')
      assert.equal(mapped.cause, err)
    }
  })
})
