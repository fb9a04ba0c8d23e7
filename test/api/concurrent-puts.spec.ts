// Many uploads through one node at once: each waits for a store stream slot (src/files/limits.ts) instead of
// overrunning a holder's transfer budget, so all 100 succeed with k copies; past the cap on uploads the node
// answers 503 ERR_BUSY with Retry-After, before reading the body.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { ApiServer, type DaemonApi } from '../../src/api/server.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { apiFetch } from '../utils/api.js'
import { waitFor } from '../utils/wait.js'
import type { PutJson } from '../../src/api/types.js'

describe('api: concurrent uploads', function () {
  this.timeout(120_000)
  let net: Testnet | undefined
  let server: ApiServer | undefined
  afterEach(async () => {
    await net?.stop()
    net = undefined
    await server?.stop()
    server = undefined
  })

  it('100 concurrent PUTs through one node all succeed, each on k nodes', async () => {
    net = await createTestnet({ peers: 3, k: 3, api: true })
    await net.waitForRing()
    const entry = net.nodes[0]
    const bodies = Array.from({ length: 100 }, (_, i) => randomBytes(256 * 1024 + i))
    const answers = await Promise.all(bodies.map(async (body, i) => {
      const res = await apiFetch(entry, `/api/files/burst-${i}.bin`, { method: 'PUT', body })
      return { status: res.status, json: await res.json() as PutJson & { error?: string } }
    }))
    const failed = answers.filter(a => a.status !== 201).map(a => `${a.status} ${a.json.error ?? ''}`)
    assert.deepEqual(failed, [], `${failed.length} of 100 failed`)
    for (const { json } of answers) assert.equal(json.holders.length, 3, `${json.file.name}: ${json.holders.length} holders`)
    for (const i of [0, 57, 99]) {
      const res = await apiFetch(net.nodes[2], `/api/files/burst-${i}.bin`)
      const got = createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')
      assert.equal(got, createHash('sha256').update(bodies[i]).digest('hex'))
    }
  })

  it('past the cap on uploads: 503 ERR_BUSY with Retry-After, the body left unread; the next upload goes through', async () => {
    let release = (): void => {}
    const holding = new Promise<void>(resolve => { release = resolve })
    let puts = 0
    const api = {
      put: async (name: string, body: AsyncIterable<Uint8Array>): Promise<PutJson> => {
        puts++
        if (name === 'first.bin') await holding
        for await (const _ of body) { /* read it all */ }
        return { file: { name }, holders: [], k: 1, ms: 0 } as unknown as PutJson
      }
    } as unknown as DaemonApi
    server = new ApiServer(api, { host: '127.0.0.1', port: 0, maxUploads: 1 })
    await server.start()
    const s = server
    const auth = { authorization: `Bearer ${s.token}` }
    const first = fetch(`${s.url}/api/files/first.bin`, { method: 'PUT', headers: auth, body: 'one' })
    await waitFor(() => puts === 1, { timeoutMs: 5_000, what: 'the first upload to start' })

    // A raw request that announces a large body and sends none of it: the answer must come anyway.
    const url = new URL(s.url)
    const socket = connect(Number(url.port), url.hostname)
    let received = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => { received += d })
    socket.on('error', () => {})
    socket.write(`PUT /api/files/second.bin HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${s.token}\r\n` +
      'Content-Length: 1000000000\r\n\r\n')
    await waitFor(() => received.includes('\r\n\r\n{'), { timeoutMs: 5_000, what: 'the answer to the upload over the cap' })
    socket.destroy()
    assert.match(received, /^HTTP\/1\.1 503 /)
    assert.match(received, /\r\nretry-after: 2\r\n/i)
    assert.match(received, /"code": "ERR_BUSY"/)
    assert.equal(puts, 1, 'the node never started the refused upload')

    release()
    assert.equal((await first).status, 201)
    const third = await fetch(`${s.url}/api/files/third.bin`, { method: 'PUT', headers: auth, body: 'three' })
    assert.equal(third.status, 201, 'the cap counts uploads in progress only')
  })
})
