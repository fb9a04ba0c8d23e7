// The index protocol against an admitted member, and for the replica sync it serves (protocols/README.md §10.6,
// §10.9). A hostile member (a real node: its own libp2p host sends the requests) floods the victim with VERIFY,
// each of which makes the victim hash a whole blob, then with DIGEST, a range scan: past each kind's burst the
// requests' streams are reset (RateLimitError, after REFUSAL_DELAY_MS), and the node keeps answering STAT and
// serving files. On the code before the rates, every request of either flood was answered.
// Replies fit their reader: records whose chunk lists add up to 9 MB (over the 4 MiB that libp2p's reader took by
// default, and over LIST_BYTES, so the listing takes two pages) are listed by another node whole and in order,
// and the digests of the range agree. On the code before, such a reply reset the reader's stream.
import assert from 'node:assert/strict'
import { IndexRequest, IndexResponse } from '../../protocols/files.js'
import { sha256Hex } from '../../src/files/hashing.js'
import {
  digestOf, IndexClient, indexHandler, INDEX_LIMITS, INDEX_PROTOCOL, INDEX_RATES, LIST_BYTES
} from '../../src/files/index-protocol.js'
import { DEFAULT_CHUNK_SIZE, type FileRecord } from '../../src/files/record.js'
import { signRecord } from '../../src/files/signature.js'
import { request } from '../../src/net/rpc.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { collect } from '../../harness/bytes.js'
import type { Peer } from '../../src/peer.js'
import { settingsOf, stillWorks } from '../utils/still-works.js'

const once = (bytes: Uint8Array): AsyncIterable<Uint8Array> => (async function * () { yield bytes })()
const ask = (type: IndexRequest.Type, fields: Partial<IndexRequest> = {}): IndexRequest => ({
  type, key: new Uint8Array(32), after: new Uint8Array(32), upto: new Uint8Array(32), limit: 0, includeTombstones: false, ...fields
})

describe('security: index requests', function () {
  this.timeout(120_000)
  let net: Testnet
  /** The ring's settings as founded: every attack ends by checking the ring still works with them. */
  let founded: ReturnType<typeof settingsOf>
  let victim: Peer
  let hostile: Peer

  before(async () => {
    net = await createTestnet({ supernodes: 1, peers: 1, k: 1 })
    founded = settingsOf(net)
    await net.waitForRing();
    [victim, hostile] = net.nodes
  })
  after(async () => { await net?.stop() })

  /** One request from the hostile member on a fresh stream: true when answered, false when its stream was reset. */
  const send = async (req: IndexRequest): Promise<boolean> => {
    try {
      await request(hostile.host, victim.host.peerId, INDEX_PROTOCOL, req, { request: IndexRequest, response: IndexResponse }, INDEX_LIMITS)
      return true
    } catch (err) {
      if ((err as Error).name === 'UnreachableError') return false
      throw err
    }
  }

  for (const [kind, req] of [
    ['VERIFY', ask(IndexRequest.Type.VERIFY, { key: Buffer.from(sha256Hex('no such file'), 'hex') })],
    ['DIGEST', ask(IndexRequest.Type.DIGEST)]
  ] as const) {
    it(`a ${kind} flood is refused past its burst (the streams are reset); the node keeps serving`, async () => {
      const rate = INDEX_RATES[req.type]!
      const t0 = performance.now()
      const answered: boolean[] = []
      // A refused request holds its stream REFUSAL_DELAY_MS before the reset: a few past the burst are enough.
      for (let i = 0; i < rate.burst + 4; i++) answered.push(await send(req))
      const seconds = (performance.now() - t0) / 1000
      const ok = answered.filter(Boolean).length
      assert.ok(answered.includes(false), `every one of ${answered.length} requests was answered`)
      assert.ok(ok <= rate.burst + Math.ceil(rate.perSecond * seconds) + 1, `${ok} answered in ${seconds.toFixed(1)} s`)
      // STAT is not limited, and the node serves files as before.
      assert.equal(await send(ask(IndexRequest.Type.STAT)), true)
      await victim.files.put(`after-${kind}.txt`, once(Buffer.from(kind)))
      assert.equal((await collect((await hostile.files.read(`after-${kind}.txt`)).body)).toString(), kind)
      await stillWorks(net, founded)
    })
  }

  it('another node lists records whose chunk lists add up to 9 MB, in two pages, and the digests agree', async () => {
    // Three records of 92 000 chunk hashes each (3.1 MB on the wire): a page holds two of them (LIST_BYTES).
    const chunks = 92_000
    const records: FileRecord[] = []
    for (let i = 0; i < 3; i++) {
      const name = `crafted-${i}.bin`
      const time = Date.now()
      const record: FileRecord = {
        name,
        key: sha256Hex(name),
        size: chunks * DEFAULT_CHUNK_SIZE,
        hash: sha256Hex(`content ${i}`),
        chunkSize: DEFAULT_CHUNK_SIZE,
        chunkHashes: Array.from({ length: chunks }, (_, c) => sha256Hex(`${i}/${c}`)),
        version: { time, counter: 0, writer: victim.peerId },
        tombstone: false,
        contentType: 'application/octet-stream',
        created: time,
        modified: time,
        signature: ''
      }
      const signed = await signRecord(victim.files.ctx.key, record)
      assert.equal(await victim.files.ctx.records.put(signed), true)
      records.push(signed)
    }
    records.sort((a, b) => a.key < b.key ? -1 : 1)
    assert.ok(34 * chunks * 3 > LIST_BYTES, 'more than one page of records')

    const reader = hostile.files.ctx
    const index = new IndexClient(reader, indexHandler(reader, { verify: () => {} }))
    try {
      const from = '0'.repeat(64)
      const to = 'f'.repeat(64)
      const signal = AbortSignal.timeout(60_000)
      const listed = [...(await index.listRange(victim.chord.self, from, to, signal)).values()]
        .filter(r => r.name.startsWith('crafted-'))
      assert.deepEqual(listed.map(r => r.key), records.map(r => r.key))
      listed.forEach((r, i) => assert.deepEqual(r.chunkHashes, records[i].chunkHashes, `the chunk list of ${r.name}`))
      const theirs = await index.digest(victim.chord.self, from, to, signal)
      const mine: FileRecord[] = []
      for await (const r of victim.files.ctx.records.listRange(from, to)) mine.push(r)
      assert.deepEqual(theirs, digestOf(mine))
    } finally {
      index.close()
    }
    await stillWorks(net, founded)
  })
})
