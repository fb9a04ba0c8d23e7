// An S3 endpoint that can go away and come back, for outage tests: an address reserved on 127.0.0.1 where
// nothing listens until `up()` starts s3rver there (over a directory that outlives restarts), and `down()` stops
// it again. The port is reserved by binding port 0 and closing; between that and `up()` another process could take
// it, which on loopback in a test run is unlikely enough (up() then fails with EADDRINUSE, not a wrong result).
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { S3Config } from '../../src/config.js'

import { S3rver, type S3rverInstance } from './s3-fixture.js'

export interface FlakyS3 {
  endpoint: string
  config: S3Config
  /** Start s3rver on the reserved port (the bucket and its objects persist across down/up). */
  up (): Promise<void>
  /** Stop it, dropping open connections. */
  down (): Promise<void>
  /** down() and remove the directory. */
  dispose (): Promise<void>
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  await new Promise<void>(resolve => server.close(() => { resolve() }))
  return port
}

/** A reserved S3 endpoint, initially down. */
export async function flakyS3 (options: { bucket?: string } = {}): Promise<FlakyS3> {
  const bucket = options.bucket ?? 'chord-peer-outage'
  const directory = await mkdtemp(join(tmpdir(), 'chord-peer-s3-outage-'))
  const port = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  let server: S3rverInstance | undefined
  const down = async (): Promise<void> => {
    const running = server
    server = undefined
    if (running === undefined) return
    running.httpServer?.closeAllConnections()
    await running.close()
  }
  return {
    endpoint,
    config: {
      bucket,
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true
    },
    up: async () => {
      if (server !== undefined) return
      const s = new S3rver({ address: '127.0.0.1', port, directory, silent: true, configureBuckets: [{ name: bucket }] })
      await s.run()
      server = s
    },
    down,
    dispose: async () => {
      try {
        await down()
      } finally {
        await rm(directory, { recursive: true, force: true })
      }
    }
  }
}
