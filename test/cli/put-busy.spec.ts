// `chord-peer put` of a file that a busy daemon turns away (503 ERR_BUSY, the body unread) is sent again after
// the Retry-After it was given, a bounded number of times; stdin, which cannot be read twice, is not.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { BUSY_TRIES } from '../../src/cli/put.js'
import { runCli } from '../utils/cli.js'
import type { AddressInfo } from 'node:net'

describe('cli: put to a busy daemon', () => {
  let server: Server
  let dir: string
  let url: string
  /** Puts answered busy before the first one taken; the bodies the server received whole. */
  let busyFor = 0
  let attempts = 0
  const received: string[] = []

  beforeEach(async () => {
    attempts = 0
    received.length = 0
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-put-busy-'))
    server = createServer((req, res) => {
      attempts++
      if (attempts <= busyFor) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0', connection: 'close' })
        res.end(JSON.stringify({ error: 'this node is taking 128 uploads already: try again shortly', code: 'ERR_BUSY' }))
        req.resume()
        return
      }
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        received.push(Buffer.concat(chunks).toString())
        const file = {
          name: 'a.txt', key: '0'.repeat(64), size: 5, hash: '1'.repeat(64), contentType: 'text/plain',
          version: { time: 1, counter: 0, writer: 'w' }, created: 1, modified: 1
        }
        res.writeHead(201, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ file, holders: [], k: 1, ms: 1 }))
      })
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterEach(async () => {
    await new Promise<void>(resolve => server.close(() => resolve()))
    await rm(dir, { recursive: true, force: true })
  })

  it('a file turned away twice is stored on the third try', async () => {
    busyFor = 2
    await writeFile(join(dir, 'a.txt'), 'hello')
    const r = await runCli(['put', join(dir, 'a.txt'), '--json', '--api', url, '--api-token', 't'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(attempts, 3)
    assert.deepEqual(received, ['hello'])
  })

  it(`gives up after ${BUSY_TRIES} tries with the daemon's error`, async () => {
    busyFor = 100
    await writeFile(join(dir, 'a.txt'), 'hello')
    const r = await runCli(['put', join(dir, 'a.txt'), '--api', url, '--api-token', 't'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /try again shortly/)
    assert.equal(attempts, BUSY_TRIES)
  })

  it('stdin is not sent twice', async () => {
    busyFor = 1
    const stdin = Readable.from([Buffer.from('hello')])
    const r = await runCli(['put', '-', '--name', 'a.txt', '--api', url, '--api-token', 't'], { stdin })
    assert.equal(r.code, 1)
    assert.equal(attempts, 1)
  })
})
