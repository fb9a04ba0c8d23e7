// S3BlobStore: the BlobStore of the S3 tier (DESIGN §5), objects at `<prefix>blobs/<sha256>` in one bucket.
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
// - `requestChecksumCalculation`/`responseChecksumValidation: 'WHEN_REQUIRED'`: with the SDK's default
//   (WHEN_SUPPORTED) streamed uploads are sent aws-chunked with trailing checksums, which s3rver and other
//   S3-compatible servers store verbatim, framing and all, silently corrupting the blob (REFERENCE.md). We
//   hash every byte ourselves, so the SDK's checksums add nothing.
// - Errors are mapped here, at the boundary: NoSuchKey / NotFound / HTTP 404 → NotFoundError, an abort → the
//   signal's reason (an AbortError), anything else → StorageError with the SDK error as `cause`.
// - Every SDK call gets the caller's `abortSignal`, except the clean-up of a failed put (deleting the temp
//   object, aborting the multipart upload), which must run precisely when the caller has given up; it gets a
//   timeout of its own instead.
// Limits: CopyObject copies at most 5 GiB, so a put without `expectedHash` of a larger blob fails with
// StorageError (s3rver has no UploadPartCopy to test a multipart copy against). A process that dies mid-put
// leaves a temp object or an unfinished multipart upload: give the bucket a lifecycle rule expiring
// `<prefix>tmp/` and incomplete multipart uploads after a day.
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand, CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, S3Client, type S3ClientConfig
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { parse as parseDotenv } from 'dotenv'
import { ChordPeerError, InvalidInputError, NotFoundError, StorageError } from '../errors.js'
import { assertHash, checkPutOptions, checkRange, drainAndCheck, hashingStream, isHash } from './blob-store.js'
import type { AbortOptions, BlobInfo, BlobStore, PutOptions, RangeOptions } from './blob-store.js'

export interface S3BlobStoreConfig {
  bucket: string
  /** Prepended to every key, e.g. `chord-peer/` (default ''). */
  prefix?: string
  /** An S3-compatible endpoint URL (default: AWS for `region`). */
  endpoint?: string
  /** Default us-east-1 (what S3-compatible servers expect; `s3ConfigFromEnv` reads AWS_REGION). */
  region?: string
  /** Default: the SDK's credential chain (env, ~/.aws, instance role). */
  credentials?: { accessKeyId: string, secretAccessKey: string, sessionToken?: string }
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need (default false). */
  forcePathStyle?: boolean
}

/** Multipart part size: 8 MiB (S3's minimum is 5 MiB; 10,000 parts of 8 MiB allow blobs up to 78 GiB). */
export const PART_SIZE = 8 * 1024 * 1024
/** Parts uploaded concurrently by one put. */
export const QUEUE_SIZE = 2
/** Time allowed to clean up after a failed put. */
const CLEANUP_TIMEOUT_MS = 30_000

function isNotFound (err: unknown): boolean {
  const e = err as { name?: string, $metadata?: { httpStatusCode?: number } } | undefined
  // A missing bucket is also a 404, but a configuration error rather than a missing blob. (A HEAD has no body
  // to tell the two apart, so `stat` on a missing bucket answers undefined; every other call reports it.)
  if (e?.name === 'NoSuchBucket') return false
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404
}

export class S3BlobStore implements BlobStore {
  readonly bucket: string
  readonly prefix: string
  private readonly client: S3Client

  constructor (config: S3BlobStoreConfig) {
    if (typeof config.bucket !== 'string' || config.bucket.length < 3 || config.bucket.length > 63) {
      throw new InvalidInputError('S3 bucket names have 3 to 63 characters')
    }
    this.bucket = config.bucket
    this.prefix = config.prefix ?? ''
    const clientConfig: S3ClientConfig = {
      region: config.region ?? 'us-east-1',
      endpoint: config.endpoint,
      credentials: config.credentials,
      forcePathStyle: config.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED'
    }
    this.client = new S3Client(clientConfig)
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
      throw sourceError ?? mapError(err, options, 'upload a blob')
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
      throw mapError(err, options, `read blob ${hash}`)
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
      throw mapError(err, options, what)
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

/** Map an error from an SDK call to what a BlobStore caller expects. */
function mapError (err: unknown, options: AbortOptions, what: string): unknown {
  if (options.signal?.aborted === true) return options.signal.reason
  if (err instanceof ChordPeerError) return err
  if (isNotFound(err)) return new NotFoundError(`cannot ${what}: not found`, { cause: err })
  return new StorageError(`cannot ${what}: ${(err as Error).message}`, { cause: err })
}

/** Where a `.env` file is looked for, relative to the directory given to `envWithDotenv`. */
export const DOTENV_FILE = '.env'

/**
 * `env` merged over the variables of `<dir>/.env` (if it exists): real environment variables win, the file only
 * fills gaps, and nothing is written to `process.env`.
 */
export async function envWithDotenv (dir: string, env: NodeJS.ProcessEnv = process.env): Promise<NodeJS.ProcessEnv> {
  let text: string
  try {
    text = await readFile(join(dir, DOTENV_FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...env }
    throw err
  }
  const merged: NodeJS.ProcessEnv = { ...parseDotenv(text) }
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value
  return merged
}

/**
 * The S3 tier's configuration from environment variables, or undefined when `CHORD_PEER_S3_BUCKET` is unset (S3
 * off). Reads the standard AWS names, so the same variables work for the aws CLI: `AWS_ACCESS_KEY_ID` +
 * `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`; both unset → the SDK's default chain), `AWS_REGION` or
 * `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` (an S3-compatible server; path-style URLs
 * are then used), and ours: `CHORD_PEER_S3_BUCKET`, `CHORD_PEER_S3_PREFIX`. Use `envWithDotenv(dir)` to honour
 * a `.env` file too.
 */
export function s3ConfigFromEnv (env: NodeJS.ProcessEnv = process.env): S3BlobStoreConfig | undefined {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }
  const bucket = get('CHORD_PEER_S3_BUCKET')
  if (bucket === undefined) return undefined
  const accessKeyId = get('AWS_ACCESS_KEY_ID')
  const secretAccessKey = get('AWS_SECRET_ACCESS_KEY')
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new InvalidInputError('set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither')
  }
  const sessionToken = get('AWS_SESSION_TOKEN')
  const endpoint = get('AWS_ENDPOINT_URL_S3') ?? get('AWS_ENDPOINT_URL')
  return {
    bucket,
    prefix: get('CHORD_PEER_S3_PREFIX'),
    endpoint,
    region: get('AWS_REGION') ?? get('AWS_DEFAULT_REGION'),
    credentials: accessKeyId === undefined ? undefined : { accessKeyId, secretAccessKey: secretAccessKey!, ...(sessionToken === undefined ? {} : { sessionToken }) },
    forcePathStyle: endpoint !== undefined
  }
}
