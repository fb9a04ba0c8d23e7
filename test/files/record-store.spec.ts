// RecordStore: newer versions win and older or equal ones are refused, listing in key order with paging, ring
// intervals that wrap past ff…f, and persistence across close/reopen.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RecordStore } from '../../src/files/record-store.js'
import { recordToWire } from '../../src/files/wire.js'
import type { FileRecord, Version } from '../../src/files/record.js'

/** A 64-hex key whose first byte is `first` and the rest zeros (so the ring order is easy to read). */
const key = (first: number): string => first.toString(16).padStart(2, '0') + '0'.repeat(62)

function record (k: string, version: Partial<Version> = {}, name = `file-${k.slice(0, 2)}`): FileRecord {
  return {
    name,
    key: k,
    size: 3,
    hash: 'ab'.repeat(32),
    chunkSize: 1024 * 1024,
    chunkHashes: ['ab'.repeat(32)],
    version: { time: 1000, counter: 0, writer: 'peer-a', ...version },
    tombstone: false,
    contentType: 'text/plain',
    created: 1000,
    modified: 1000,
    signature: ''
  }
}

async function keysOf (records: AsyncIterable<FileRecord>): Promise<string[]> {
  const out: string[] = []
  for await (const r of records) out.push(r.key.slice(0, 2))
  return out
}

describe('RecordStore', () => {
  let dir: string
  let store: RecordStore | undefined

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-records-'))
    store = await RecordStore.open(dir)
  })
  afterEach(async () => {
    await store?.close()
    store = undefined
    await rm(dir, { recursive: true, force: true })
  })

  it('stores a record and reads it back; absent keys are undefined', async () => {
    const r = record(key(0x10))
    assert.equal(await store!.get(r.key), undefined)
    assert.equal(await store!.put(r), true)
    assert.deepEqual(await store!.get(r.key), r)
    assert.equal(await store!.count(), 1)
  })

  it('reads a record stored before versions were signed as unsigned, and it still encodes for the wire', async () => {
    const { signature: _, ...old } = record(key(0x11))
    await store!.put(old as FileRecord)
    const read = await store!.get(old.key)
    assert.equal(read?.signature, '')
    assert.doesNotThrow(() => recordToWire(read!))
    for await (const listed of store!.list()) assert.equal(listed.signature, '')
  })

  it('keeps the newer version: later time, then higher counter, then writer id', async () => {
    const k = key(0x20)
    assert.equal(await store!.put(record(k, { time: 1000 })), true)
    assert.equal(await store!.put(record(k, { time: 2000 }, 'v2')), true)
    assert.equal(await store!.put(record(k, { time: 2000, counter: 1 }, 'v3')), true)
    assert.equal(await store!.put(record(k, { time: 2000, counter: 1, writer: 'peer-b' }, 'v4')), true)
    assert.equal((await store!.get(k))?.name, 'v4')
  })

  it('refuses an older or equal version and writes nothing', async () => {
    const k = key(0x30)
    await store!.put(record(k, { time: 2000, counter: 1, writer: 'peer-b' }, 'kept'))
    assert.equal(await store!.put(record(k, { time: 1999, counter: 9 }, 'older')), false)
    assert.equal(await store!.put(record(k, { time: 2000, counter: 0, writer: 'peer-z' }, 'older')), false)
    assert.equal(await store!.put(record(k, { time: 2000, counter: 1, writer: 'peer-a' }, 'older')), false)
    assert.equal(await store!.put(record(k, { time: 2000, counter: 1, writer: 'peer-b' }, 'equal')), false)
    assert.equal((await store!.get(k))?.name, 'kept')
  })

  it('serializes concurrent puts of one key: each is compared with the winner before it', async () => {
    const k = key(0x40)
    const results = await Promise.all([1, 2, 3, 3, 2, 1].map(time => store!.put(record(k, { time }, `t${time}`))))
    assert.deepEqual(results, [true, true, true, false, false, false])
    assert.equal((await store!.get(k))?.name, 't3')
  })

  it('deletes a record; deleting an absent key is fine', async () => {
    const k = key(0x50)
    await store!.put(record(k))
    await store!.delete(k)
    await store!.delete(k)
    assert.equal(await store!.get(k), undefined)
    assert.equal(await store!.count(), 0)
    // After a delete, any version is new again.
    assert.equal(await store!.put(record(k, { time: 1 })), true)
  })

  it('lists in key order within (gt, lte], with a limit for paging', async () => {
    for (const first of [0xf0, 0x00, 0x80, 0x10, 0x7f, 0xff]) await store!.put(record(key(first)))
    assert.deepEqual(await keysOf(store!.list()), ['00', '10', '7f', '80', 'f0', 'ff'])
    assert.deepEqual(await keysOf(store!.list({ gt: key(0x10), lte: key(0x80) })), ['7f', '80'])
    assert.deepEqual(await keysOf(store!.list({ limit: 0 })), [])
    // Page through two at a time, resuming after the last key seen.
    const pages: string[][] = []
    let after: string | undefined
    for (;;) {
      const page: FileRecord[] = []
      for await (const r of store!.list({ gt: after, limit: 2 })) page.push(r)
      if (page.length === 0) break
      pages.push(page.map(r => r.key.slice(0, 2)))
      after = page[page.length - 1].key
    }
    assert.deepEqual(pages, [['00', '10'], ['7f', '80'], ['f0', 'ff']])
  })

  it('lists a ring interval (from, to], wrapping past ff…f to 00…0', async () => {
    for (const first of [0x00, 0x10, 0x7f, 0x80, 0xf0, 0xff]) await store!.put(record(key(first)))
    //   00 ─ 10 ─ … ─ 7f ─ 80 ─ … ─ f0 ─ ff ─┐
    //   └────────────── wraps ───────────────┘
    assert.deepEqual(await keysOf(store!.listRange(key(0x10), key(0x80))), ['7f', '80'])
    assert.deepEqual(await keysOf(store!.listRange(key(0x80), key(0x10))), ['f0', 'ff', '00', '10'])
    assert.deepEqual(await keysOf(store!.listRange(key(0xf0), key(0x00))), ['ff', '00'])
    assert.deepEqual(await keysOf(store!.listRange(key(0x11), key(0x12))), [])
    // (n, n] is the whole ring, starting after n.
    assert.deepEqual(await keysOf(store!.listRange(key(0x7f), key(0x7f))), ['80', 'f0', 'ff', '00', '10', '7f'])
  })

  it('rejects malformed keys with InvalidInputError', async () => {
    await assert.rejects(store!.get('nope'), { name: 'InvalidInputError' })
    await assert.rejects(store!.put(record('ABC')), { name: 'InvalidInputError' })
    await assert.rejects(store!.delete('g'.repeat(64)), { name: 'InvalidInputError' })
    await assert.rejects(async () => {
      for await (const _ of store!.listRange('x', key(1))) { /* empty */ }
    }, { name: 'InvalidInputError' })
  })

  it('keeps its records across close and reopen', async () => {
    await store!.put(record(key(0x01), { time: 5 }, 'one'))
    await store!.put(record(key(0x02)))
    await store!.close()
    store = await RecordStore.open(dir)
    assert.equal(await store.count(), 2)
    assert.equal((await store.get(key(0x01)))?.name, 'one')
    assert.equal(await store.put(record(key(0x01), { time: 4 })), false)
  })

  it('a second open of the same directory fails with StorageError', async () => {
    await assert.rejects(RecordStore.open(dir), { name: 'StorageError' })
  })
})
