// The S3 tier's figures at scrape time: uploads counted once a put's version is in the bucket, the queue empty; with
// the bucket gone, failed attempts counted and the version waiting in the queue.
import assert from 'node:assert/strict'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { counterOf, parsePrometheus, valueOf } from '../utils/prometheus.js'
import { startS3rver, type S3Fixture } from '../utils/s3-fixture.js'
import { waitFor } from '../utils/wait.js'
import type { Peer } from '../../src/peer.js'

describe('metrics: the S3 tier', function () {
  this.timeout(60_000)
  let s3: S3Fixture | undefined
  let net: Testnet | undefined
  after(async () => {
    await net?.stop()
    await s3?.stop()
  })

  const scrape = async (node: Peer): Promise<ReturnType<typeof parsePrometheus>> => parsePrometheus((await node.metrics.scrape()).text)

  it('counts uploads and the queue, then failed uploads while S3 is away', async () => {
    s3 = await startS3rver()
    net = await createTestnet({ s3: s3.config })
    const [node] = net.nodes
    const before = await scrape(node)
    assert.equal(valueOf(before, 'chord_peer_s3_queue_depth'), 0)
    assert.equal(counterOf(before, 'chord_peer_s3_upload_failures_total'), 0)
    await node.put('up.bin', Buffer.alloc(10_000, 1))
    await waitFor(async () => {
      const m = await scrape(node)
      return counterOf(m, 'chord_peer_s3_uploads_total') === 1 && valueOf(m, 'chord_peer_s3_queue_depth') === 0
    }, { timeoutMs: 20_000, intervalMs: 100, what: 'the upload to be counted' })

    await s3.stop()
    s3 = undefined
    await node.put('down.bin', Buffer.alloc(10_000, 2))
    await waitFor(async () => {
      const m = await scrape(node)
      return counterOf(m, 'chord_peer_s3_upload_failures_total') >= 1 && valueOf(m, 'chord_peer_s3_queue_depth') === 1
    }, { timeoutMs: 20_000, intervalMs: 100, what: 'the failed upload to be counted' })
    assert.equal(counterOf(await scrape(node), 'chord_peer_s3_uploads_total'), 1)
  })
})
