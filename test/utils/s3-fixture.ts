// An in-process S3 server for tests: s3rver 3.7.1 on 127.0.0.1 (a free port) over a fresh temp directory, with
// one bucket. `stop()` closes the server, dropping kept-alive client connections, and removes the directory;
// call it from an `after` hook so it runs when a test fails too.
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { S3Config } from '../../src/config.js'

/** The slice of s3rver's API we use (it ships no types). */
export interface S3rverInstance {
  run (): Promise<AddressInfo>
  close (): Promise<void>
  httpServer?: Server
}
type S3rverClass = new (options: {
  address: string
  port: number
  directory: string
  silent: boolean
  configureBuckets: Array<{ name: string }>
}) => S3rverInstance

// s3rver is CommonJS without types; loading it through createRequire keeps the untyped import in one place.
export const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass

export interface S3Fixture {
  /** http://127.0.0.1:<port> */
  endpoint: string
  bucket: string
  /** A ready S3 configuration (path-style, s3rver's fixed credentials). */
  config: S3Config
  stop: () => Promise<void>
}

export async function startS3rver (options: { bucket?: string } = {}): Promise<S3Fixture> {
  const bucket = options.bucket ?? 'chord-peer-test'
  const directory = await mkdtemp(join(tmpdir(), 'chord-peer-s3rver-'))
  let server: S3rverInstance | undefined
  try {
    server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [{ name: bucket }] })
    const { port } = await server.run()
    const endpoint = `http://127.0.0.1:${port}`
    const running = server
    return {
      endpoint,
      bucket,
      config: {
        bucket,
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        forcePathStyle: true
      },
      stop: async () => {
        try {
          running.httpServer?.closeAllConnections()
          await running.close()
        } finally {
          await rm(directory, { recursive: true, force: true })
        }
      }
    }
  } catch (err) {
    await server?.close().catch(() => {})
    await rm(directory, { recursive: true, force: true })
    throw err
  }
}
