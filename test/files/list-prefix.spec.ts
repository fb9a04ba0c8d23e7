// `ls --prefix`: a listing of the names that start with a prefix, end to end (protocols/README.md §10.6, §10.7,
// §13). The owner filters its records before sending (the LIST `prefix` field) and examines at most LIST_SCAN
// records per request, its `cursor` past the ones it passed over; the entry filters again, so owners older than
// the field (simulated: their index handler drops the prefix and the cursor) still yield only matches; a filtered
// page sends at most FILTERED_PAGE_REQUESTS requests and may come back short with a `next`. Over HTTP, a prefix
// over 1 024 bytes is a 400, and the CLI's `ls --prefix` pages with --all and --json.
//
// The ring: 1 supernode + 4 peers, k = 2. Names under photos/ and docs/ (and photosphere.png, which `photos`
// matches and `photos/` does not), a deleted photos/gone.jpg, and two names that share their first 1 000 bytes
// (more than a LIST request carries of a prefix).
//
//        ┌──► n0 ──► n1 ──► n2 ──► n3 ──► n4 ──┐   each owns (its predecessor, itself]: a listing walks them
//        └─────────────────────────────────────┘   in key order, so names come back in SHA-256 order
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IndexRequest, type IndexResponse } from '../../protocols/files.js'
import { ApiClient } from '../../src/client/index.js'
import { sha256Hex } from '../../src/files/hashing.js'
import {
  IndexClient, indexHandler, INDEX_PROTOCOL, LIST_SCAN, serveIndex, WIRE_PREFIX_BYTES, wirePrefix, type IndexHandler
} from '../../src/files/index-protocol.js'
import { DEFAULT_CHUNK_SIZE, type FileRecord } from '../../src/files/record.js'
import { RecordStore } from '../../src/files/record-store.js'
import { FILTERED_PAGE_REQUESTS } from '../../src/files/service.js'
import { bytesToHex } from '../../src/files/wire.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { placementOf } from '../../sim/oracle.js'
import { apiFetch } from '../utils/api.js'
import { runCli, startStubDaemon, type StubDaemon } from '../utils/cli.js'
import type { FileJson, ListJson } from '../../src/api/types.js'
import type { Peer } from '../../src/peer.js'

const once = (text: string): AsyncIterable<Uint8Array> => (async function * () { yield Buffer.from(text) })()
const byKey = (names: Iterable<string>): string[] => [...names].sort((a, b) => sha256Hex(a) < sha256Hex(b) ? -1 : 1)
const MAX_KEY = 'f'.repeat(64)

/** Every page of `peer`'s listing with `prefix`, `limit` at a time: the pages' names and `next`s, in order. */
async function pages (peer: Peer, options: { prefix?: string, limit: number }): Promise<Array<{ names: string[], next?: string }>> {
  const out: Array<{ names: string[], next?: string }> = []
  let after: string | undefined
  do {
    const page = await peer.files.list({ ...options, after })
    out.push({ names: page.records.map(r => r.name), next: page.next })
    if (page.next !== undefined) assert.ok(after === undefined || page.next > after, `next ${page.next} does not advance past ${after}`)
    after = page.next
  } while (after !== undefined)
  return out
}

/** Every name of a paged listing, checked to come in key order with no name twice and no page over `limit`. */
async function listAll (peer: Peer, options: { prefix?: string, limit: number }): Promise<string[]> {
  const all = await pages(peer, options)
  for (const p of all) assert.ok(p.names.length <= options.limit, `a page of ${p.names.length} > ${options.limit}`)
  const names = all.flatMap(p => p.names)
  assert.equal(new Set(names).size, names.length, 'no name twice')
  assert.deepEqual(names, byKey(names), 'key order')
  return names
}

describe('ls --prefix on a 5-node ring, k = 2', function () {
  this.timeout(180_000)
  let net: Testnet
  const photos = Array.from({ length: 14 }, (_, i) => `photos/${i}.jpg`)
  const docs = Array.from({ length: 12 }, (_, i) => `docs/${i}.txt`)
  const others = ['photosphere.png', 'readme.md', ...Array.from({ length: 10 }, (_, i) => `misc-${i}.bin`)]
  const long = 'x'.repeat(1000) // with `/a`, a prefix too long for a LIST request (1 KiB) whole
  const longNames = [`${long}/a`, `${long}/b`]
  const live = [...photos, ...docs, ...others, ...longNames]

  before(async () => {
    net = await createTestnet({ peers: 4, k: 2, api: true })
    await net.waitForRing()
    for (const [i, name] of live.entries()) await net.nodes[i % net.nodes.length].files.put(name, once(name))
    await net.nodes[1].files.put('photos/gone.jpg', once('gone'))
    await net.nodes[1].files.remove('photos/gone.jpg')
  })
  after(async () => { await net?.stop() })

  it('with a prefix, pages of 3 hold exactly the matching names, all of them, in key order, once each', async () => {
    for (const [prefix, want] of [
      ['photos/', photos],
      ['docs/', docs],
      ['photos', [...photos, 'photosphere.png']],
      ['docs/1', docs.filter(n => n.startsWith('docs/1'))],
      ['nothing/', []]
    ] as const) {
      assert.deepEqual(await listAll(net.nodes[2], { prefix, limit: 3 }), byKey(want), prefix)
    }
  })

  it('without a prefix (or an empty one) the listing holds every live name', async () => {
    assert.deepEqual(await listAll(net.nodes[3], { limit: 7 }), byKey(live))
    assert.deepEqual(await listAll(net.nodes[0], { prefix: '', limit: 1000 }), byKey(live))
  })

  it('a prefix longer than a LIST request carries still matches by the whole prefix', async () => {
    assert.ok(Buffer.byteLength(`${long}/a`) > WIRE_PREFIX_BYTES)
    assert.deepEqual(await listAll(net.nodes[4], { prefix: `${long}/a`, limit: 5 }), [`${long}/a`])
    assert.deepEqual(await listAll(net.nodes[4], { prefix: long, limit: 5 }), byKey(longNames))
    await assert.rejects(net.nodes[4].files.list({ prefix: 'é'.repeat(513) }), (err: Error) => err.name === 'InvalidInputError')
  })

  it('an owner filters before sending: a LIST with a prefix brings only its matching records', async () => {
    const reader = net.nodes[0]
    const index = new IndexClient(reader.files.ctx, indexHandler(reader.files.ctx, { verify: () => {} }))
    try {
      for (const holder of net.nodes.slice(1)) {
        const held: string[] = []
        for await (const r of holder.files.ctx.records.list()) if (!r.tombstone && r.name.startsWith('docs/')) held.push(r.name)
        const page = await index.listPage(holder.chord.self, { upto: MAX_KEY }, {
          includeTombstones: false, limit: 1000, prefix: 'docs/', signal: AbortSignal.timeout(10_000)
        })
        assert.deepEqual(page.records.map(r => r.name), byKey(held), `what ${holder.peerId} sent`)
        assert.equal(page.next, undefined)
      }
    } finally {
      index.close()
    }
  })

  describe('with owners older than the prefix field', () => {
    /** LIST requests the old owners answered. */
    let lists = 0
    let entry: Peer

    /** Serve `peer`'s index with `handler`, and reset the index streams opened before, so the next ask uses it. */
    const reserve = async (peer: Peer, handler: IndexHandler): Promise<void> => {
      await peer.host.unhandle(INDEX_PROTOCOL)
      await serveIndex(peer.files.ctx, handler)
      for (const connection of peer.host.getConnections()) {
        for (const stream of connection.streams) if (stream.protocol === INDEX_PROTOCOL) stream.abort(new Error('the handler changed'))
      }
    }

    before(async () => {
      // The entry owns the fewest names, so that most of the ring answers as an old node.
      const ids = net.nodes.map(p => p.chord.self.id)
      const owned = (p: Peer): number => live.filter(n => placementOf(ids, sha256Hex(n), 1)[0] === p.chord.self.id).length
      entry = net.nodes.reduce((a, b) => owned(b) < owned(a) ? b : a)
      assert.ok(live.length - owned(entry) > FILTERED_PAGE_REQUESTS, 'more names on old owners than one page asks for')
      for (const peer of net.nodes.filter(p => p !== entry)) {
        const current = indexHandler(peer.files.ctx, { verify: () => {} })
        // An old node: no `prefix` read, no `cursor` sent.
        await reserve(peer, async (req, signal): Promise<IndexResponse> => {
          if (req.type === IndexRequest.Type.LIST && req.prefix !== undefined) lists++ // not replication's
          const { cursor: _, ...res } = await current({ ...req, prefix: undefined }, signal)
          return res
        })
      }
    })
    after(async () => {
      for (const peer of net.nodes.filter(p => p !== entry)) await reserve(peer, indexHandler(peer.files.ctx, { verify: () => {} }))
    })

    it('the old owners send every name, and the entry still lists only the matches', async () => {
      const other = net.nodes.find(p => p !== entry)!
      const index = new IndexClient(entry.files.ctx, indexHandler(entry.files.ctx, { verify: () => {} }))
      try {
        const page = await index.listPage(other.chord.self, { upto: MAX_KEY }, {
          includeTombstones: false, limit: 1000, prefix: 'docs/', signal: AbortSignal.timeout(10_000)
        })
        assert.ok(page.records.some(r => !r.name.startsWith('docs/')), 'the simulated old owner ignored the prefix')
      } finally {
        index.close()
      }
      assert.deepEqual(await listAll(entry, { prefix: 'docs/', limit: 2 }), byKey(docs))
      assert.deepEqual(await listAll(entry, { prefix: 'photos/', limit: 1000 }), byKey(photos))
    })

    it(`a filtered page stops after ${FILTERED_PAGE_REQUESTS} LIST requests, short, with a next that goes on`, async () => {
      // Asked for 1 match at a time, an old owner sends 1 record a request: a prefix that matches nothing makes
      // the entry walk the ring a record at a time, FILTERED_PAGE_REQUESTS of them a page.
      lists = 0
      const first = await entry.files.list({ prefix: 'nothing/', limit: 1 })
      assert.deepEqual(first.records, [])
      assert.ok(first.next !== undefined, 'a short page says where to go on')
      assert.ok(lists > 0 && lists <= FILTERED_PAGE_REQUESTS, `${lists} LIST requests for one page`)
      const all = await pages(entry, { prefix: 'nothing/', limit: 1 })
      assert.ok(all.length >= 2, `${all.length} pages`)
      assert.deepEqual(all.flatMap(p => p.names), [])
    })
  })

  it('HTTP: GET /api/files?prefix= pages through the matches; a prefix over 1 024 bytes is a 400', async () => {
    const node = net.nodes[1]
    const client = new ApiClient({ url: node.apiUrl!, token: node.apiToken })
    const names: string[] = []
    let after: string | undefined
    do {
      const page = await client.list({ prefix: 'photos/', limit: 4, after })
      names.push(...page.files.map(f => f.name))
      after = page.next
    } while (after !== undefined)
    assert.deepEqual(names, byKey(photos))
    for (const prefix of ['x'.repeat(1025), 'é'.repeat(513)]) {
      const res = await apiFetch(node, `/api/files?prefix=${encodeURIComponent(prefix)}`)
      assert.equal(res.status, 400)
      assert.equal(((await res.json()) as { code: string }).code, 'ERR_INVALID_INPUT')
    }
    const res = await apiFetch(node, `/api/files?prefix=${encodeURIComponent('é'.repeat(512))}`) // 1 024 bytes
    assert.equal(res.status, 200)
    assert.deepEqual(((await res.json()) as ListJson).files, [])
  })

  it('CLI: ls --prefix --all --json against the daemon lists the matches', async () => {
    const node = net.nodes[2]
    const { code, stdout, stderr } = await runCli(
      ['ls', '--prefix', 'docs/', '--limit', '5', '--all', '--json', '--api', node.apiUrl!, '--api-token', node.apiToken!])
    assert.equal(code, 0, stderr)
    assert.deepEqual((JSON.parse(stdout) as ListJson).files.map(f => f.name), byKey(docs))
  })
})

describe('LIST with a prefix on one node\'s index', function () {
  this.timeout(60_000)
  let dir: string
  let records: RecordStore
  let handler: IndexHandler
  const bulk = Array.from({ length: LIST_SCAN + 200 }, (_, i) => `bulk-${i}`)
  const rare = ['rare/a', 'rare/b', 'rare/c']

  const record = (name: string): FileRecord => ({
    name,
    key: sha256Hex(name),
    size: 0,
    hash: sha256Hex(''),
    chunkSize: DEFAULT_CHUNK_SIZE,
    chunkHashes: [],
    version: { time: 1, counter: 0, writer: 'writer' },
    tombstone: false,
    contentType: 'text/plain',
    created: 1,
    modified: 1,
    signature: ''
  })
  const list = async (fields: Partial<IndexRequest>): Promise<IndexResponse> => await handler({
    type: IndexRequest.Type.LIST, key: new Uint8Array(0), after: new Uint8Array(0), upto: Buffer.from(MAX_KEY, 'hex'),
    limit: 10, includeTombstones: false, ...fields
  }, AbortSignal.timeout(10_000))

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-list-prefix-'))
    records = await RecordStore.open(dir)
    await Promise.all([...bulk, ...rare].map(async n => await records.put(record(n))))
    // Only the records matter to LIST.
    handler = indexHandler({ records } as unknown as Parameters<typeof indexHandler>[0], { verify: () => {} })
  })
  after(async () => {
    await records?.close()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it(`examines at most LIST_SCAN (${LIST_SCAN}) records a request; the cursor goes on past the ones it passed over`, async () => {
    const keys = [...bulk, ...rare].map(sha256Hex).sort()
    const found: string[] = []
    let after = new Uint8Array(0)
    let requests = 0
    for (;;) {
      const res = await list({ prefix: 'rare/', after })
      requests++
      found.push(...res.records.map(r => r.name))
      if (!res.more) break
      const cursor = bytesToHex(res.cursor!)
      // Each request examines exactly LIST_SCAN records (none matches often enough to fill `limit` = 10).
      assert.equal(cursor, keys[requests * LIST_SCAN - 1], `the cursor of request ${requests}`)
      after = res.cursor!
    }
    assert.equal(requests, Math.ceil(keys.length / LIST_SCAN))
    assert.deepEqual(found, byKey(rare))
  })

  it('stops at `limit` matches with the cursor at the last one; unfiltered LIST is as before', async () => {
    const res = await list({ prefix: 'bulk-', limit: 5 })
    assert.equal(res.records.length, 5)
    assert.ok(res.more)
    assert.deepEqual(res.cursor, res.records[4].key)
    const all = await list({ limit: 1000 })
    assert.equal(all.records.length, 1000)
    assert.ok(all.more)
  })

  it('a LIST request carries at most WIRE_PREFIX_BYTES of a prefix, cut at a character', () => {
    assert.equal(wirePrefix('photos/'), 'photos/')
    assert.equal(wirePrefix('é'.repeat(300)), 'é'.repeat(256))
    const emoji = wirePrefix(`a${'😀'.repeat(200)}`)
    assert.equal(emoji, `a${'😀'.repeat(127)}`) // 1 + 127 × 4 = 509 bytes; one more would be 513
    assert.ok(Buffer.byteLength(emoji) <= WIRE_PREFIX_BYTES)
  })
})

describe('cli: ls --prefix', () => {
  let daemon: StubDaemon
  /** The stub's files: in key order; a request examines 3 of them, as a daemon bounds a filtered page's work. */
  const names = [...Array.from({ length: 8 }, (_, i) => `photos/${i}.jpg`), ...Array.from({ length: 8 }, (_, i) => `docs/${i}`)]
  const files: FileJson[] = byKey(names)
    .map(name => ({
      name, key: sha256Hex(name), size: 1, hash: sha256Hex(name), contentType: 'text/plain',
      version: { time: 1, counter: 0, writer: '12D3KooWstub' }, created: 1, modified: 1
    }))
  const wanted = (prefix: string): string[] => files.filter(f => f.name.startsWith(prefix)).map(f => f.name)

  beforeEach(async () => {
    daemon = await startStubDaemon({
      '/api/files': url => {
        const prefix = url.searchParams.get('prefix') ?? ''
        const limit = Number(url.searchParams.get('limit') ?? 100)
        const after = url.searchParams.get('after')
        const rest = files.filter(f => after === null || f.key > after)
        const page: ListJson = { files: [] }
        let examined = 0
        for (const f of rest) {
          if (examined === 3 || page.files.length === limit) { page.next = rest[examined - 1].key; break }
          if (f.name.startsWith(prefix)) page.files.push(f)
          examined++
        }
        return { body: page }
      }
    })
  })
  afterEach(async () => { await daemon?.close() })

  const cli = async (argv: string[]): ReturnType<typeof runCli> => await runCli([...argv, '--api', daemon.url])
  const listCalls = (): URL[] => daemon.requests.filter(u => u.pathname === '/api/files')

  it('--all follows the pages, short ones too, and sends the prefix each time', async () => {
    const { code, stdout, stderr } = await cli(['ls', '--prefix', 'docs/', '--limit', '2', '--all'])
    assert.equal(code, 0, stderr)
    const shown = stdout.split('\n').filter(line => /^(docs|photos)\//.test(line)).map(line => line.split(/ +/)[0])
    assert.deepEqual(shown, wanted('docs/'))
    assert.ok(listCalls().length > 1)
    for (const call of listCalls()) {
      assert.equal(call.searchParams.get('prefix'), 'docs/')
      assert.equal(call.searchParams.get('limit'), '2')
    }
  })

  it('--json --all prints every match in one list', async () => {
    const { code, stdout } = await cli(['ls', '--prefix', 'photos/', '--all', '--json'])
    assert.equal(code, 0)
    const json = JSON.parse(stdout) as ListJson
    assert.deepEqual(json.files.map(f => f.name), wanted('photos/'))
    assert.equal(json.next, undefined)
  })

  it('without --all, ls goes on past empty pages to the first with files, and says how to see more', async () => {
    // docs/4 is the 9th name in key order: the stub's first two pages come back empty.
    const prefix = 'docs/4'
    const firstAt = files.findIndex(f => f.name.startsWith(prefix))
    assert.ok(firstAt >= 3, `docs/4 is at ${firstAt}`)
    const { code, stdout, stderr } = await cli(['ls', '--prefix', prefix, '--limit', '1'])
    assert.equal(code, 0, stderr)
    assert.equal(listCalls().length, Math.floor(firstAt / 3) + 1)
    assert.equal(stdout.split('\n').filter(line => line.startsWith(prefix)).length, 1)
    assert.match(stdout, new RegExp(`more files: chord-peer ls --prefix ${prefix} --all`))
  })

  it('a --prefix over 1 024 bytes is a usage error and asks nothing', async () => {
    const { code, stderr } = await cli(['ls', '--prefix', 'é'.repeat(513)])
    assert.equal(code, 2)
    assert.match(stderr, /--prefix must be at most 1024 bytes/)
    assert.equal(daemon.requests.length, 0)
  })
})
