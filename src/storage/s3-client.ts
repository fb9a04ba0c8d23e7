// The one S3 client factory and the one S3 error mapping. Everything that talks to S3 (the blob store, the
// durable tier's records, the stored membership view) gets its client from `createS3Client` and maps an SDK
// failure with `mapS3Error`, so all of them send requests the same way and report the same named errors.
import { S3Client } from '@aws-sdk/client-s3'
import { ChordPeerError, NotFoundError, StorageError } from '../errors.js'
import type { S3Config } from '../config.js'

/** An S3 client for `config`; the caller owns it and calls `destroy()` when done. */
export function createS3Client (config: S3Config): S3Client {
  return new S3Client({
    region: config.region ?? 'us-east-1',
    endpoint: config.endpoint,
    credentials: config.credentials,
    forcePathStyle: config.forcePathStyle,
    // Checksums only where S3 requires them. With the SDK's default (WHEN_SUPPORTED) streamed uploads are sent
    // aws-chunked with trailing checksums, which s3rver and other S3-compatible servers store verbatim, framing
    // and all, silently corrupting the object. We hash every byte ourselves (blobs against their SHA-256, reads
    // chunk by chunk), so the SDK's checksums would add nothing.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED'
  })
}

/** True when an SDK error says the object is missing. */
function isNotFound (err: unknown): boolean {
  const e = err as { name?: string, $metadata?: { httpStatusCode?: number } } | undefined
  // A missing bucket is also a 404, but a configuration error rather than a missing object. (A HEAD has no body
  // to tell the two apart, so a HEAD on a missing bucket maps to NotFoundError; every other call reports it.)
  if (e?.name === 'NoSuchBucket') return false
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404
}

/**
 * What to throw for `err`, the failure of an S3 call made to `what` (e.g. "read blob <hash>") under `signal`:
 * the signal's reason when it aborted (whatever the SDK made of the abort), one of our errors unchanged,
 * NotFoundError for a missing object, and StorageError, with `err` as its `cause`, for anything else.
 */
export function mapS3Error (err: unknown, signal: AbortSignal | undefined, what: string): unknown {
  if (signal?.aborted === true) return signal.reason
  if (err instanceof ChordPeerError) return err
  if (isNotFound(err)) return new NotFoundError(`cannot ${what}: not found`, { cause: err })
  return new StorageError(`cannot ${what}: ${(err as Error).message}`, { cause: err })
}
