// The S3 tier's reports (src/files/s3-tier.ts) against an endpoint that refuses and then comes back (s3rver on a
// reserved port): one `s3.failed` as it starts failing (found by the start-up probe, before anything is queued),
// at most one more per report interval while it keeps failing, counting the rest; `health()` for status; and
// `s3.recovered` once a request works again, also on a node with nothing to upload.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeEvents } from '../../src/events.js'
import { sha256Hex } from '../../src/files/hashing.js'
import { S3Tier } from '../../src/files/s3-tier.js'
import { FsBlobStore } from '../../src/storage/fs-blob-store.js'
import { flakyS3, type FlakyS3 } from '../utils/s3-outage.js'
import { waitFor } from '../utils/wait.js'
import type { NodeEventJson } from '../../src/api/types.js'
import type { FileRecord } from '../../src/files/record.js'

const FAST_RETRY = { minMs: 20, maxMs: 100 }

/** A tombstone: uploaded as a record alone, so it needs no local blob. */
function tombstone (name: string, time: number): FileRecord {
  return {
    name,
    key: sha256Hex(name),
    size: 0,
    hash: '',
    chunkSize: 1024 * 1024,
    chunkHashes: [],
    version: { time, counter: 0, writer: 'writer-a' },
    tombstone: true,
    contentType: 'application/octet-stream',
    created: time,
    modified: time,
    signature: ''
  }
}

describe('events: the S3 tier tells failures and recoveries', function () {
  this.timeout(30_000)
  let s3: FlakyS3
  let dir: string
  let local: FsBlobStore
  let tier: S3Tier | undefined

  beforeEach(async () => {
    s3 = await flakyS3()
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-s3-events-'))
    local = await FsBlobStore.open(join(dir, 'local'))
  })
  afterEach(async () => {
    await tier?.stop()
    tier = undefined
    await local.close()
    await s3.dispose()
    await rm(dir, { recursive: true, force: true })
  })

  function start (events: NodeEvents, reportMs = 60_000): S3Tier {
    tier = new S3Tier({ s3: s3.config, local, dir: join(dir, 'node'), retry: FAST_RETRY, events, reportMs })
    return tier
  }

  const of = <T extends NodeEventJson['type']>(events: NodeEvents, type: T): Array<Extract<NodeEventJson, { type: T }>> =>
    events.history().filter((e): e is Extract<NodeEventJson, { type: T }> => e.type === type)

  it('an endpoint that refuses: one s3.failed at start, none more while uploads keep failing, s3.recovered once it answers', async () => {
    const events = new NodeEvents()
    const t = start(events)
    await t.start()
    await waitFor(() => of(events, 's3.failed').length === 1, { what: 's3.failed at start' })
    const [failed] = of(events, 's3.failed')
    assert.equal(failed.level, 'error')
    assert.match(failed.message, /^S3 start-up check failed: .*ECONNREFUSED.*; bucket "chord-peer-outage" at http:\/\/127\.0\.0\.1:\d+; 0 versions queued/)
    assert.match(failed.error, /ECONNREFUSED/)
    assert.equal(t.health().state, 'failing')

    await t.enqueue(tombstone('a', 1))
    await waitFor(() => t.stats().failures >= 5, { what: 'five failed uploads' })
    assert.equal(of(events, 's3.failed').length, 1, 'a failing tier is told once per report interval')
    const health = t.health()
    assert.equal(health.state, 'failing')
    assert.equal(health.queue, 1)
    assert.ok(health.failingSince !== undefined && health.lastErrorAt !== undefined && health.lastErrorAt >= health.failingSince)
    assert.match(health.lastError ?? '', /ECONNREFUSED/)

    await s3.up()
    await waitFor(() => of(events, 's3.recovered').length === 1, { what: 's3.recovered' })
    await t.idle({ signal: AbortSignal.timeout(10_000) })
    assert.equal(of(events, 's3.recovered')[0].level, 'info')
    assert.equal(t.health().state, 'working')
    assert.match(t.health().lastError ?? '', /ECONNREFUSED/, 'the last failure is kept for status')
    assert.equal(of(events, 's3.failed').length, 1)
  })

  it('while it keeps failing: one more s3.failed per report interval, counting the failures held back', async () => {
    const events = new NodeEvents()
    const t = start(events, 300)
    await t.start()
    await t.enqueue(tombstone('b', 1))
    const began = Date.now()
    await waitFor(() => of(events, 's3.failed').length >= 2, { what: 'a second report' })
    const elapsed = Date.now() - began
    const reports = of(events, 's3.failed')
    assert.ok(reports.length <= Math.ceil(elapsed / 300) + 1, `${reports.length} reports in ${elapsed} ms`)
    assert.equal(reports[1].level, 'warn')
    assert.match(reports[1].message, /^S3 still failing for .*; 1 versions queued \(and \d+ more\)$/)
    assert.ok(reports[1].seq - reports[0].seq >= 1)
  })

  it('a node with nothing to upload learns that S3 is back (the probe tries again)', async () => {
    const events = new NodeEvents()
    const t = start(events)
    await t.start()
    await waitFor(() => of(events, 's3.failed').length === 1, { what: 's3.failed' })
    await s3.up()
    await waitFor(() => of(events, 's3.recovered').length === 1, { what: 's3.recovered with an empty queue' })
    assert.equal(t.health().state, 'working')
  })

  it('an endpoint that answers: no failure, and the tier is working before anything is uploaded', async () => {
    await s3.up()
    const events = new NodeEvents()
    const t = start(events)
    await t.start()
    await waitFor(() => t.health().state === 'working', { what: 'the probe to succeed' })
    assert.deepEqual(events.history(), [])
  })
})
