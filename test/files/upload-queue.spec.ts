// UploadQueue on its own, without S3: entries in order and kept until removed, across a close and a reopen;
// an entry moved to the back; the count; waiting for an entry and for an empty queue; abort and close.
import assert from 'node:assert/strict'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256Hex } from '../../src/files/hashing.js'
import { QUEUE_DIR, UploadQueue } from '../../src/files/upload-queue.js'
import type { FileRecord } from '../../src/files/record.js'

/** A tombstone record of `name` (no blob needed: the queue only stores records). */
function record (name: string): FileRecord {
  return {
    name,
    key: sha256Hex(name),
    size: 0,
    hash: '',
    chunkSize: 1024 * 1024,
    chunkHashes: [],
    version: { time: 1_000, counter: 0, writer: 'peer-a' },
    tombstone: true,
    contentType: 'application/octet-stream',
    created: 1_000,
    modified: 1_000,
    signature: ''
  }
}

describe('UploadQueue', () => {
  let dir: string
  let queues: UploadQueue[]

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-upload-queue-'))
    queues = []
  })
  afterEach(async () => {
    for (const q of queues) await q.close()
    await rm(dir, { recursive: true, force: true })
  })

  function open (path = dir): UploadQueue {
    const q = new UploadQueue(path)
    queues.push(q)
    return q
  }

  /** Names in queue order, removing every entry. */
  async function drain (q: UploadQueue): Promise<string[]> {
    const names: string[] = []
    while (await q.size() > 0) {
      const entry = await q.next()
      names.push(entry.record.name)
      await q.remove(entry)
    }
    return names
  }

  it('hands out the oldest entry first and keeps it until it is removed', async () => {
    const q = open()
    assert.equal(await q.size(), 0)
    for (const name of ['a', 'b', 'c']) await q.push(record(name))
    assert.equal(await q.size(), 3)
    const first = await q.next()
    assert.deepEqual(first.record, record('a'))
    assert.equal((await q.next()).seq, first.seq)
    await q.remove(first)
    assert.equal(await q.size(), 2)
    assert.deepEqual(await drain(q), ['b', 'c'])
  })

  it('keeps its entries across a close and a reopen, and appends after them', async () => {
    const first = open()
    await first.push(record('a'))
    await first.push(record('b'))
    await first.close()
    assert.ok((await stat(join(dir, QUEUE_DIR))).isDirectory())

    const second = open()
    assert.equal(await second.size(), 2)
    await second.push(record('c'))
    assert.deepEqual(await drain(second), ['a', 'b', 'c'])
    await second.close()
    assert.equal(await open().size(), 0)
  })

  it('moves an entry behind the others, and it stays there after a reopen', async () => {
    const first = open()
    for (const name of ['a', 'b', 'c']) await first.push(record(name))
    await first.moveToBack(await first.next())
    assert.equal(await first.size(), 3)
    assert.equal((await first.next()).record.name, 'b')
    await first.close()
    assert.deepEqual(await drain(open()), ['b', 'c', 'a'])
  })

  it('next() waits for a push; idle() waits until the last entry is removed', async () => {
    const q = open()
    await q.idle() // empty: at once
    const next = q.next()
    await q.push(record('a'))
    const entry = await next
    assert.equal(entry.record.name, 'a')

    let idle = false
    const idled = q.idle().then(() => { idle = true })
    await q.push(record('b'))
    await q.remove(entry)
    assert.equal(idle, false, 'idle with one entry left')
    await q.remove(await q.next())
    await idled
    assert.equal(idle, true)
  })

  it('rejects a waiting next() or idle() with the signal\'s reason on abort', async () => {
    const q = open()
    const controller = new AbortController()
    const next = q.next({ signal: controller.signal })
    controller.abort(new DOMException('enough', 'AbortError'))
    await assert.rejects(next, { name: 'AbortError' })
    await assert.rejects(q.next({ signal: controller.signal }), { name: 'AbortError' })

    await q.push(record('a'))
    const later = new AbortController()
    const idle = q.idle({ signal: later.signal })
    later.abort(new DOMException('enough', 'AbortError'))
    await assert.rejects(idle, { name: 'AbortError' })
    assert.equal(await q.size(), 1)
  })

  it('close() rejects a waiting next() and idle() with NotStartedError, lets a push under way end, and refuses later calls', async () => {
    const empty = open(join(dir, 'empty'))
    const next = assert.rejects(empty.next(), { name: 'NotStartedError' })
    await empty.size() // next() is waiting now
    await empty.close()
    await next

    const q = open(join(dir, 'full'))
    await q.push(record('a'))
    const idle = assert.rejects(q.idle(), { name: 'NotStartedError' })
    const pushing = q.push(record('b'))
    await q.close()
    await idle
    await pushing
    for (const call of [() => q.push(record('c')), () => q.next(), () => q.size(), () => q.idle(), () => q.open()]) {
      await assert.rejects(call(), { name: 'NotStartedError' })
    }
    assert.deepEqual(await drain(open(join(dir, 'full'))), ['a', 'b'])
  })

  it('fails with StorageError when its database cannot be opened', async () => {
    const file = join(dir, 'not-a-directory')
    await writeFile(file, 'x')
    await assert.rejects(open(file).open(), { name: 'StorageError' })
    await open().open()
    await assert.rejects(open().open(), { name: 'StorageError' }, 'a second queue on the same directory')
  })
})
