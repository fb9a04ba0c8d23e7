// A supernode's view in the S3 bucket of the durable tier (`<prefix>membership/view.json`): what lets a cluster
// restarted from nothing but the bucket recover its settings, epoch and members. Loaded by ViewStores (./view.ts)
// only when S3 is configured.
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { NotFoundError } from '../errors.js'
import { createS3Client, mapS3Error } from '../storage/s3-client.js'
import type { ViewJson, ViewStore } from './view.js'
import type { S3Config } from '../config.js'

/** `<prefix>membership/view.json` in the S3 bucket of the durable tier. */
export class S3ViewStore implements ViewStore {
  /** How long one read or write of the view may take, so that a supernode never hangs on S3. */
  private static readonly TIMEOUT_MS = 10_000
  readonly where: string
  private readonly client: S3Client
  private readonly key: string

  constructor (private readonly config: S3Config) {
    this.key = `${config.prefix ?? ''}membership/view.json`
    this.where = `s3://${config.bucket}/${this.key}`
    this.client = createS3Client(config)
  }

  /** The stored view, or undefined when there is none yet. */
  async load (): Promise<ViewJson | undefined> {
    const signal = AbortSignal.timeout(S3ViewStore.TIMEOUT_MS)
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.key }), { abortSignal: signal })
      return JSON.parse(await res.Body!.transformToString('utf8')) as ViewJson
    } catch (err) {
      const mapped = mapS3Error(err, signal, `read ${this.where}`)
      if (mapped instanceof NotFoundError) return undefined
      throw mapped
    }
  }

  async save (view: ViewJson): Promise<void> {
    const signal = AbortSignal.timeout(S3ViewStore.TIMEOUT_MS)
    const body = JSON.stringify(view)
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: this.config.bucket, Key: this.key, Body: body, ContentType: 'application/json', ContentLength: Buffer.byteLength(body)
      }), { abortSignal: signal })
    } catch (err) {
      throw mapS3Error(err, signal, `write ${this.where}`)
    }
  }

  close (): void {
    this.client.destroy()
  }
}
