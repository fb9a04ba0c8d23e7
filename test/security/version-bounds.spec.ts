// Versions are bounded (protocols/README.md §10.3): a version more than MAX_CLOCK_AHEAD_MS ahead of a node's
// clock, or with a time no JS number holds exactly, is refused by every store hop, ignored by readers and replica
// sync, and moves no clock; counters never wrap, and a number the wire cannot carry is an error, not a wrapped
// value. After each attack the ring still works: a put answers 201 with a version of today, and every node serves
// the new content. On the code before the bounds, the 2223 version was committed, won every read and dragged
// every clock that saw it into 2223 (so every later version of any name written there was dated 2223 as well),
// and a time of 2^64 − 1 became a float that encoded back as another number.
import assert from 'node:assert/strict'
import { FileRecord as WireRecord } from '../../protocols/files.js'
import { HybridClock, MAX_CLOCK_AHEAD_MS, MAX_COUNTER } from '../../src/files/record.js'
import { signRecord } from '../../src/files/signature.js'
import { recordFromWire, recordToWire } from '../../src/files/wire.js'
import { newKey } from '../../src/net/identity.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { collect } from '../../harness/bytes.js'
import { storeBytes, storeFrom, version } from '../utils/store-wire.js'
import type { PutJson } from '../../src/api/types.js'
import type { Peer } from '../../src/peer.js'
import type { PrivateKey } from '@libp2p/interface'
import { holdersOf as placed, nameWhere as firstName } from '../utils/placement.js'
import { settingsOf, stillWorks } from '../utils/still-works.js'
import { apiFetch } from '../utils/api.js'

const K = 3
const YEAR_2223 = Date.UTC(2223, 0, 1)
const once = (bytes: Uint8Array): AsyncIterable<Uint8Array> => (async function * () { yield bytes })()

describe('security: version bounds', function () {
  this.timeout(120_000)

  describe('the clock and the wire (no network)', () => {
    it('the counter never wraps: at 2^32 − 1 the clock moves on one ms', () => {
      const clock = new HybridClock('me')
      clock.observe({ time: 1_000, counter: MAX_COUNTER, writer: 'other' }, 1_000)
      const next = clock.next(1_000)
      assert.deepEqual(next, { time: 1_001, counter: 0, writer: 'me' })
    })

    it('a version more than MAX_CLOCK_AHEAD_MS ahead of now moves no clock', () => {
      const clock = new HybridClock('me')
      clock.observe({ time: 1_000 + MAX_CLOCK_AHEAD_MS + 1, counter: 0, writer: 'other' }, 1_000)
      assert.equal(clock.next(1_000).time, 1_000)
      clock.observe({ time: 1_000 + MAX_CLOCK_AHEAD_MS, counter: 0, writer: 'other' }, 1_000)
      assert.equal(clock.next(1_000).time, 1_000 + MAX_CLOCK_AHEAD_MS)
    })

    it('recordToWire throws on a time, size or counter the wire cannot carry exactly; recordFromWire refuses them', () => {
      const r = version('bounds.txt', Buffer.from('x'), 'w')
      for (const bad of [
        { ...r, version: { ...r.version, time: 2 ** 64 } },
        { ...r, version: { ...r.version, time: -1 } },
        { ...r, version: { ...r.version, time: 1.5 } },
        { ...r, version: { ...r.version, counter: 2 ** 32 } },
        { ...r, size: 2 ** 53 },
        { ...r, modified: Number.MAX_SAFE_INTEGER + 2 }
      ]) {
        assert.throws(() => recordToWire(bad), (err: Error) => err.name === 'RangeError')
      }
      const w = recordToWire(r)
      for (const bad of [
        { ...w, version: { ...w.version!, time: 2n ** 64n - 1n } },
        { ...w, version: { ...w.version!, time: 2n ** 53n } },
        { ...w, created: 2n ** 60n }
      ]) {
        assert.throws(() => recordFromWire(WireRecord.decode(WireRecord.encode(bad)), true),
          (err: Error) => err.name === 'InvalidMessageError')
      }
    })
  })

  describe('on a ring', () => {
    let net: Testnet
    /** The ring's settings as founded: every attack ends by checking the ring still works with them. */
    let founded: ReturnType<typeof settingsOf>
    let hostile: Peer
    let hostileKey: PrivateKey

    const holdersOf = (name: string): Peer[] => placed(net, name, K)
    const nameWhere = (prefix: string, fits: (holders: Peer[]) => boolean): string => firstName(net, K, prefix, fits)

    /** The ring still works: a PUT of `name` answers 201 with a version of now, and every node GETs the content. */
    async function ringStillWorks (name: string): Promise<void> {
      const text = `written at ${new Date().toISOString()}`
      const put = await apiFetch(hostile, `/api/files/${name}`, { method: 'PUT', body: text })
      const json = await put.json() as PutJson
      assert.equal(put.status, 201, JSON.stringify(json))
      assert.ok(json.file.version.time <= Date.now(), `the version is of now, not ${new Date(json.file.version.time).toISOString()}`)
      for (const node of net.nodes) {
        const get = await apiFetch(node, `/api/files/${name}`)
        assert.equal(get.status, 200)
        assert.equal(await get.text(), text)
      }
    }

    /** No node's clock moved past now: a version each node writes now is not ahead of now. */
    async function noClockMoved (prefix: string): Promise<void> {
      for (const [i, node] of net.nodes.entries()) {
        const { record } = await node.files.put(`${prefix}-clock-${i}`, once(Buffer.from('now')))
        assert.ok(record.version.time <= Date.now(), `${node.peerId.slice(-6)} wrote a version dated ${record.version.time}`)
      }
    }

    before(async () => {
      net = await createTestnet({ peers: 2, k: K, api: true })
      founded = settingsOf(net)
      hostileKey = await newKey()
      hostile = await net.add({ privateKey: hostileKey })
      await net.waitForRing()
    })
    after(async () => { await net?.stop() })

    it('a version dated 2223, signed by its writer, is reset by every holder; no clock moves; the ring still works', async () => {
      const name = nameWhere('y2223', () => true)
      const content = Buffer.from('from the future')
      const future = await signRecord(hostileKey, version(name, content, hostile.peerId, { time: YEAR_2223 }))
      for (const holder of holdersOf(name).filter(p => p !== hostile)) {
        assert.equal(await storeFrom(hostile, holder, storeBytes(future, content)), 'reset')
        assert.equal(await holder.files.ctx.records.get(future.key), undefined)
      }
      await noClockMoved('y2223')
      await ringStillWorks(name)
      await stillWorks(net, founded)
    })

    it('a version with time 2^64 − 1 is reset by every holder; no clock moves; the ring still works', async () => {
      const name = nameWhere('u64', () => true)
      const content = Buffer.from('beyond any clock')
      const record = await signRecord(hostileKey, version(name, content, hostile.peerId))
      const header: WireRecord = { ...recordToWire(record), version: { time: 2n ** 64n - 1n, counter: 0, writer: hostile.peerId } }
      for (const holder of holdersOf(name).filter(p => p !== hostile)) {
        assert.equal(await storeFrom(hostile, holder, storeBytes(record, content, header)), 'reset')
        assert.equal(await holder.files.ctx.records.get(record.key), undefined)
      }
      await noClockMoved('u64')
      await ringStillWorks(name)
      await stillWorks(net, founded)
    })

    it('a version dated 2223 planted in a replica\'s own index: no reader serves it, no sync pulls it, no clock moves', async () => {
      const name = nameWhere('planted', holders => holders.indexOf(hostile) > 0)
      const owner = holdersOf(name)[0]
      const { record: put } = await owner.files.put(name, once(Buffer.from('of today')))
      const content = Buffer.from('planted, from the future')
      const future = await signRecord(hostileKey, version(name, content, hostile.peerId, { time: YEAR_2223 }))
      await hostile.files.ctx.blobs.put(once(content))
      assert.equal(await hostile.files.ctx.records.put(future), true)
      for (const node of net.nodes.filter(p => p !== hostile)) {
        assert.equal((await collect((await node.files.read(name)).body)).toString(), 'of today')
      }
      const report = await owner.files.replicator.syncOnce()
      assert.ok(report.errors > 0, 'the pull of the planted version failed')
      for (const holder of holdersOf(name).filter(p => p !== hostile)) {
        assert.deepEqual((await holder.files.ctx.records.get(put.key))?.version, put.version)
      }
      await noClockMoved('planted')
      await stillWorks(net, founded)
    })
  })
})
