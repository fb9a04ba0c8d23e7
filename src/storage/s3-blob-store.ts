// S3BlobStore: the BlobStore of the S3 tier, objects at `<prefix>blobs/<sha256>` in one bucket.
// Why each choice:
// - Uploads go through @aws-sdk/lib-storage `Upload`: a multipart upload for anything over one part, so a blob
//   of any size streams through with bounded memory (partSize 8 MiB × queueSize 2 in flight, plus one part
//   being filled ≈ 24 MiB per put), and a plain PutObject for small blobs.
// - The hash is only known once the last byte has streamed past, so without `expectedHash` a put uploads to a
//   temp key (`<prefix>tmp/<uuid>`), then CopyObject to the final key (server-side, no bytes through us) and
//   deletes the temp: the final key only ever holds complete, correct bytes. With `expectedHash` (the files
//   layer always knows it) and the blob absent, the put uploads straight to the final key, saving the copy, and
//   deletes it if the bytes turn out wrong; S3 makes an object visible only when its upload completes, but a
//   wrong upload is visible under the claimed hash until that delete (readers verify chunk hashes anyway).
//   When the blob is already present a put only hashes the incoming bytes and uploads nothing.
// - The client comes from `createS3Client` (s3-client.ts says why it sends checksums only where S3 requires them).
//   The store owns it and exposes it, so the durable tier sends its record requests through the same client.
// - Errors are mapped here, at the boundary, by `mapS3Error`: a missing object → NotFoundError, an abort → the
//   signal's reason (an AbortError), anything else → StorageError with the SDK error as `cause`.
// - Every SDK call gets the caller's `abortSignal`, except the clean-up of a failed put (deleting the temp
//   object, aborting the multipart upload), which must run precisely when the caller has given up; it gets a
//   timeout of its own instead.
// Limits: CopyObject copies at most 5 GiB, so a put without `expectedHash` of a larger blob fails with
// StorageError (s3rver has no UploadPartCopy to test a multipart copy against). A process that dies mid-put
// leaves a temp object or an unfinished multipart upload: give the bucket a lifecycle rule expiring
// `<prefix>tmp/` and incomplete multipart uploads after a day.
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand, CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, type S3Client
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { InvalidInputError, NotFoundError } from '../errors.js'
import { assertHash, checkPutOptions, checkRange, drainAndCheck, hashingStream, isHash } from './blob-store.js'
import { createS3Client, mapS3Error } from './s3-client.js'
import type { AbortOptions, BlobInfo, BlobStore, PutOptions, RangeOptions } from './blob-store.js'
import type { S3Config } from '../config.js'

/** Multipart part size: 8 MiB (S3's minimum is 5 MiB; 10,000 parts of 8 MiB allow blobs up to 78 GiB). */
export const PART_SIZE = 8 * 1024 * 1024
/** Parts uploaded concurrently by one put. */
export const QUEUE_SIZE = 2
/** Time allowed to clean up after a failed put. */
const CLEANUP_TIMEOUT_MS = 30_000

export class S3BlobStore implements BlobStore {
  readonly bucket: string
  readonly prefix: string
  /** The store's client, destroyed by `close()`; others writing to the same bucket may send through it. */
  readonly client: S3Client

  constructor (config: S3Config) {
    // A bad name fails here rather than at the first request (a missing bucket, only then).
    if (typeof config.bucket !== 'string' || config.bucket.length < 3 || config.bucket.length > 63) {
      throw new InvalidInputError('S3 bucket names have 3 to 63 characters')
    }
    this.bucket = config.bucket
    this.prefix = config.prefix ?? ''
    this.client = createS3Client(config)
  }

  private key (hash: string): string {
    return `${this.prefix}blobs/${hash}`
  }

  async put (source: AsyncIterable<Uint8Array>, options: PutOptions = {}): Promise<BlobInfo> {
    checkPutOptions(options)
    if (options.expectedHash !== undefined) {
      if (await this.has(options.expectedHash, options)) return await drainAndCheck(source, options)
      return await this.upload(this.key(options.expectedHash), source, options)
    }
    const temp = `${this.prefix}tmp/${randomUUID()}`
    try {
      const info = await this.upload(temp, source, options)
      if (!await this.has(info.hash, options)) {
        await this.call('copy a blob into place', async () => await this.client.send(new CopyObjectCommand({
          Bucket: this.bucket,
          CopySource: `${this.bucket}/${temp.split('/').map(encodeURIComponent).join('/')}`,
          Key: this.key(info.hash)
        }), { abortSignal: options.signal }), options)
      }
      return info
    } finally {
      await this.cleanup(temp)
    }
  }

  /** Upload `source` to `key`, hashing it; a complete upload that fails the expectations is removed again. */
  private async upload (key: string, source: AsyncIterable<Uint8Array>, options: PutOptions): Promise<BlobInfo> {
    const { stream, result } = hashingStream(source, options)
    // A failure of the source (or an abort, or too many bytes) surfaces from inside the SDK; remember the
    // original so the caller gets it rather than the SDK's rewrapping.
    let sourceError: unknown
    const body = Readable.from((async function * () {
      try {
        yield * stream
      } catch (err) {
        sourceError = err
        throw err
      }
    })(), { objectMode: false })
    const upload = new Upload({
      client: this.withSignal(options.signal),
      params: { Bucket: this.bucket, Key: key, Body: body },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE
    })
    try {
      await upload.done()
    } catch (err) {
      // Nothing was stored at `key`: Upload aborts an unfinished multipart upload itself.
      throw sourceError ?? mapS3Error(err, options.signal, 'upload a blob')
    } finally {
      // Ends the source too (its `finally` runs) when the upload stopped pulling early.
      body.destroy()
    }
    try {
      return result()
    } catch (err) {
      await this.cleanup(key)
      throw err
    }
  }

  async * get (hash: string, options: RangeOptions = {}): AsyncGenerator<Uint8Array> {
    assertHash(hash)
    const { offset, length } = checkRange(options)
    if (offset > 0 || length !== undefined) {
      // S3 answers a range starting at or past the end with 416 InvalidRange, never an empty body: ask first.
      const info = await this.stat(hash, options)
      if (info === undefined) throw new NotFoundError(`no blob ${hash}`)
      if (length === 0 || offset >= info.size) return
    }
    const range = offset === 0 && length === undefined
      ? undefined
      : `bytes=${offset}-${length === undefined ? '' : offset + length - 1}`
    const res = await this.call(`get blob ${hash}`, async () => await this.client.send(new GetObjectCommand({
      Bucket: this.bucket, Key: this.key(hash), Range: range
    }), { abortSignal: options.signal }), options)
    const body = res.Body as Readable | undefined
    if (body === undefined) return
    try {
      for await (const chunk of body) {
        options.signal?.throwIfAborted()
        yield chunk as Uint8Array
      }
    } catch (err) {
      throw mapS3Error(err, options.signal, `read blob ${hash}`)
    } finally {
      // Early exit (break, abort, error): free the socket instead of leaving the response half read.
      body.destroy()
    }
  }

  async has (hash: string, options: AbortOptions = {}): Promise<boolean> {
    return (await this.stat(hash, options)) !== undefined
  }

  async stat (hash: string, options: AbortOptions = {}): Promise<{ size: number } | undefined> {
    assertHash(hash)
    try {
      const res = await this.call(`stat blob ${hash}`, async () => await this.client.send(new HeadObjectCommand({
        Bucket: this.bucket, Key: this.key(hash)
      }), { abortSignal: options.signal }), options)
      return { size: res.ContentLength ?? 0 }
    } catch (err) {
      if (err instanceof NotFoundError) return undefined
      throw err
    }
  }

  async delete (hash: string, options: AbortOptions = {}): Promise<void> {
    assertHash(hash)
    // S3 deletes are idempotent: an absent key is a success.
    await this.call(`delete blob ${hash}`, async () => await this.client.send(new DeleteObjectCommand({
      Bucket: this.bucket, Key: this.key(hash)
    }), { abortSignal: options.signal }), options)
  }

  async * list (options: AbortOptions = {}): AsyncGenerator<BlobInfo> {
    const prefix = `${this.prefix}blobs/`
    let token: string | undefined
    do {
      const res = await this.call('list blobs', async () => await this.client.send(new ListObjectsV2Command({
        Bucket: this.bucket, Prefix: prefix, ContinuationToken: token
      }), { abortSignal: options.signal }), options)
      for (const object of res.Contents ?? []) {
        const hash = object.Key?.slice(prefix.length)
        if (isHash(hash)) yield { hash, size: object.Size ?? 0 }
      }
      token = res.IsTruncated === true ? res.NextContinuationToken : undefined
    } while (token !== undefined)
  }

  async close (): Promise<void> {
    this.client.destroy()
  }

  /** Run one SDK call, mapping its failure to our errors. */
  private async call<T> (what: string, fn: () => Promise<T>, options: AbortOptions): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw mapS3Error(err, options.signal, what)
    }
  }

  /** Best-effort removal of what a failed or finished put left, even when the caller's signal has fired. */
  private async cleanup (key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), {
      abortSignal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS)
    }).catch(() => {})
  }

  /**
   * The client as `Upload` should see it: every command carries the caller's signal except
   * AbortMultipartUpload, the upload's own clean-up. (`Upload` passes no signal to the parts it sends.)
   */
  private withSignal (signal: AbortSignal | undefined): S3Client {
    if (signal === undefined) return this.client
    const client = this.client
    const wrapped = Object.create(client) as S3Client
    wrapped.send = (async (command: Parameters<S3Client['send']>[0], opts?: object) => {
      const abortSignal = command instanceof AbortMultipartUploadCommand ? AbortSignal.timeout(CLEANUP_TIMEOUT_MS) : signal
      return await client.send(command, { ...opts, abortSignal })
    }) as S3Client['send']
    return wrapped
  }
}
