// The S3 durable tier on a real ring: primaries upload what they commit, and when every replica of a file is
// gone a read falls back to S3 and puts the file back on its placement nodes; so does the new owner's replica
// pass, without a read.
import assert from 'node:assert/strict'
import { sha256Hex } from '../../src/files/hashing.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { waitFor } from '../utils/wait.js'
import { pseudoRandom, sha256Of } from '../../harness/bytes.js'
import { startS3rver } from '../utils/s3-fixture.js'
import type { S3Tier } from '../../src/files/s3-tier.js'
import type { PutResult } from '../../src/files/service.js'

describe('files with the S3 durable tier', function () {
  this.timeout(120_000)
  let net: Testnet | undefined
  let s3: Awaited<ReturnType<typeof startS3rver>> | undefined

  afterEach(async () => {
    await net?.stop()
    await s3?.stop()
  })

  it('uploads each version once via its primary; with every holder gone a read comes from S3 and restores the copies', async () => {
    s3 = await startS3rver()
    net = await createTestnet({ peers: 4, k: 2, s3: s3.config })
    await net.waitForRing()
    const size = 3 * 1024 * 1024 + 7
    const put = await net.nodes[0].files.put('durable.bin', pseudoRandom(size, 11))
    const primary = net.nodes.find(p => p.chord.self.id === put.holders[0].id)!
    const tier = primary.files.durable as S3Tier
    // s3rver (unlike S3) can serve an object while it is still being written: a read error means "not yet".
    const uploaded = async (): Promise<boolean> =>
      (await tier.record(sha256Hex('durable.bin')).catch(() => undefined))?.hash === put.record.hash
    await waitFor(uploaded, { timeoutMs: 20_000, what: 'the upload to S3' })
    await waitFor(async () => tier.stats().uploaded > 0 && await tier.pending() === 0, { timeoutMs: 20_000, what: 'the queue to drain' })
    for (const p of net.nodes) if (p !== primary) assert.equal((p.files.durable as S3Tier).stats().uploaded, 0, 'only the primary uploads')

    for (const h of put.holders) await net.remove(net.nodes.find(p => p.chord.self.id === h.id)!, { leave: false })
    await net.waitForRing()
    const read = await net.nodes[0].files.read('durable.bin')
    assert.deepEqual(await sha256Of(read.body), { hash: put.record.hash, size })
    // The read put the version back on the new placement.
    await waitFor(async () => {
      const held = await Promise.all(net!.nodes.map(async p =>
        (await p.files.ctx.records.get(sha256Hex('durable.bin')))?.hash === put.record.hash))
      return held.filter(Boolean).length >= 2
    }, { timeoutMs: 20_000, what: 'the copies restored from S3' })
  })

  it('with every holder of a range gone, the new owner restores its files from S3 without a read', async () => {
    s3 = await startS3rver()
    net = await createTestnet({ peers: 5, k: 2, s3: s3.config })
    await net.waitForRing()
    const puts: PutResult[] = []
    for (let i = 0; i < 12; i++) puts.push(await net.nodes[0].files.put(`f${i}.bin`, pseudoRandom(1000 + i, i)))
    const tiers = net.nodes.map(p => p.files.durable as S3Tier)
    const inS3 = async (key: string): Promise<boolean> => (await tiers[0].record(key).catch(() => undefined)) !== undefined
    await waitFor(async () => (await Promise.all(puts.map(async p => inS3(p.record.key)))).every(Boolean),
      { timeoutMs: 30_000, what: 'every file in S3' })

    // Kill both holders of one file (never the node we ask from): every file they both held has no replica left.
    const victim = puts.find(p => p.holders.every(h => h.id !== net!.nodes[0].chord.self.id))!
    const dead = new Set(victim.holders.map(h => h.id))
    const lost = puts.filter(p => p.holders.every(h => dead.has(h.id)))
    for (const id of dead) await net.remove(net.nodes.find(p => p.chord.self.id === id)!, { leave: false })
    await net.waitForRing()
    // No read: the new owners find the files in S3 and put them back on 2 nodes each.
    const copies = async (key: string, hash: string): Promise<number> =>
      (await Promise.all(net!.nodes.map(async p => (await p.files.ctx.records.get(key))?.hash === hash))).filter(Boolean).length
    await waitFor(async () => (await Promise.all(lost.map(async p => await copies(p.record.key, p.record.hash) >= 2))).every(Boolean),
      { timeoutMs: 30_000, what: `the ${lost.length} lost files back on 2 nodes` })
    assert.ok(lost.length >= 1)
    assert.ok(net.nodes.some(p => p.files.replicator.totals.restored > 0), 'restored by a replica pass, not by a read')
    for (const p of puts) {
      const read = await net.nodes[0].files.read(p.record.name)
      assert.deepEqual(await sha256Of(read.body), { hash: p.record.hash, size: p.record.size })
    }
  })
})
