// An upload cut off midway leaves nothing visible on any node and loses nothing that was there; bad names and
// bad requests get a 4xx with a message.
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { sha256Hex } from '../../src/files/hashing.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { pseudoRandom, sha256Of } from '../../harness/bytes.js'
import { waitFor } from '../utils/wait.js'
import { apiFetch, authHeader } from '../utils/api.js'

describe('files: bad uploads and bad requests', function () {
  this.timeout(120_000)
  let net: Testnet
  before(async () => {
    net = await createTestnet({ peers: 3, k: 3, api: true })
    await net.waitForRing()
  })
  after(async () => { await net?.stop() })

  const url = (i: number, path: string): string => `${net.nodes[i].apiUrl!}${path}`

  it('a PUT whose body stops halfway commits nothing anywhere and keeps the previous version', async () => {
    const name = 'half.bin'
    const first = await net.nodes[0].files.put(name, pseudoRandom(300_000, 1))
    await new Promise<void>((resolve) => {
      const req = request(url(1, `/api/files/${name}`), {
        method: 'PUT', headers: { ...authHeader(net.nodes[1]), 'content-length': String(8 * 1024 * 1024) }
      })
      req.on('error', () => resolve()) // we cut it ourselves
      req.write(Buffer.alloc(3 * 1024 * 1024, 7), () => { setImmediate(() => { req.destroy(); resolve() }) })
    })
    // Every node's temp area empties once the aborted writes are cleaned up.
    const tempsEmpty = async (): Promise<boolean> => {
      for (const p of net.nodes) {
        const dir = join((p.files.ctx.blobs as unknown as { dir: string }).dir, 'tmp')
        if ((await readdir(dir)).length > 0) return false
      }
      return true
    }
    await waitFor(tempsEmpty, { timeoutMs: 20_000, what: 'temp files of the aborted put to be removed' })
    for (const p of net.nodes) {
      const rec = await p.files.ctx.records.get(sha256Hex(name))
      const holder = first.holders.some(h => h.id === p.chord.self.id)
      assert.equal(rec?.hash, holder ? first.record.hash : undefined, 'the previous version stays, nothing new appears')
      for await (const b of p.files.ctx.blobs.list()) assert.ok(b.size !== 3 * 1024 * 1024, 'no partial blob')
    }
    const read = await net.nodes[2].files.read(name)
    assert.deepEqual(await sha256Of(read.body), { hash: first.record.hash, size: 300_000 })
  })

  it('bad names and requests answer 4xx with a message', async () => {
    const cases: Array<[string, string, number]> = [
      ['GET', '/api/files/%00x', 400],
      ['GET', `/api/files/${'a'.repeat(1100)}`, 400],
      ['GET', '/api/files/%E0%A4%A', 400],
      ['GET', '/api/files/nope.txt', 404],
      ['POST', '/api/files/x', 405],
      ['GET', '/api/files?limit=0', 400],
      ['GET', '/api/files?after=xyz', 400]
    ]
    for (const [method, path, status] of cases) {
      const res = await apiFetch(net.nodes[0], path, { method })
      assert.equal(res.status, status, `${method} ${path}`)
      const body = await res.json() as { error: string, code: string }
      assert.ok(body.error.length > 0 && body.code.startsWith('ERR_'), `${method} ${path} has a message`)
    }
    const range = await apiFetch(net.nodes[0], '/api/files/half.bin', { headers: { range: 'bytes=5-2' } })
    assert.equal(range.status, 416)
    const past = await apiFetch(net.nodes[0], '/api/files/half.bin', { headers: { range: 'bytes=300000-' } })
    assert.equal(past.status, 416, 'a range starting at the end')
    assert.equal(past.headers.get('content-range'), 'bytes */300000')
    const tail = await apiFetch(net.nodes[0], '/api/files/half.bin', { headers: { range: 'bytes=-10' } })
    assert.equal(tail.status, 206)
    assert.equal((await tail.arrayBuffer()).byteLength, 10)
  })

  it('a name with slashes and dots is data: stored and read back under exactly that name', async () => {
    const name = '../../etc/passwd/../x y?#.txt'
    const put = await apiFetch(net.nodes[0], `/api/files/${encodeURIComponent(name)}`, { method: 'PUT', body: 'hello' })
    assert.equal(put.status, 201)
    const get = await apiFetch(net.nodes[2], `/api/files/${encodeURIComponent(name)}`)
    assert.equal(await get.text(), 'hello')
    const { records } = await net.nodes[1].files.list({ limit: 1000 })
    assert.ok(records.some(r => r.name === name))
  })
})
