// An upload whose body stops arriving is cut off: 408 ERR_REQUEST_TIMEOUT and the connection closed, so a client
// that trickles bytes holds no descriptor, temp file or transfer for long. A body that keeps coming, however
// slowly the node takes it, is not.
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { ApiServer, type DaemonApi } from '../../src/api/server.js'
import { waitFor } from '../utils/wait.js'
import type { PutJson } from '../../src/api/types.js'

describe('api: upload bodies', function () {
  this.timeout(30_000)
  let server: ApiServer | undefined
  let consumed = 0
  let failure: Error | undefined
  afterEach(async () => { await server?.stop() })

  /** An API whose put reads the whole body, slowly (50 ms a piece), and remembers how it ended. */
  async function start (bodyIdleMs: number): Promise<ApiServer> {
    consumed = 0
    failure = undefined
    const api = {
      put: async (_name: string, body: AsyncIterable<Uint8Array>): Promise<PutJson> => {
        try {
          for await (const piece of body) {
            consumed += piece.byteLength
            await new Promise(resolve => setTimeout(resolve, 50))
          }
        } catch (err) {
          failure = err as Error
          throw err
        }
        return { file: {} as PutJson['file'], holders: [], ms: 0 } as unknown as PutJson
      }
    } as unknown as DaemonApi
    server = new ApiServer(api, { host: '127.0.0.1', port: 0, bodyIdleMs })
    await server.start()
    return server
  }

  /** A raw PUT of `length` announced bytes; returns the socket and everything it receives. */
  function rawPut (s: ApiServer, length: number): { send: (bytes: string) => void, received: () => string, closed: () => boolean } {
    const url = new URL(s.url)
    const socket = connect(Number(url.port), url.hostname)
    let received = ''
    let closed = false
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => { received += d })
    socket.on('close', () => { closed = true })
    socket.on('error', () => {})
    socket.write(`PUT /api/files/slow.bin HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${s.token}\r\n` +
      `Content-Length: ${length}\r\n\r\n`)
    return { send: bytes => { socket.write(bytes) }, received: () => received, closed: () => closed }
  }

  it('a body that pauses past the idle time gets 408 ERR_REQUEST_TIMEOUT and its connection closes', async () => {
    const s = await start(400)
    const client = rawPut(s, 1000)
    client.send('x')
    await waitFor(() => client.closed(), { timeoutMs: 5_000, what: 'the server to close the trickling upload' })
    assert.match(client.received(), /^HTTP\/1\.1 408 /)
    assert.match(client.received(), /"code": "ERR_REQUEST_TIMEOUT"/)
    assert.equal(consumed, 1)
    assert.equal(failure?.name, 'RequestTimeoutError')
  })

  it('a body that keeps coming is not cut, even when the node takes each piece slowly', async () => {
    const s = await start(400)
    const client = rawPut(s, 20)
    for (let i = 0; i < 20; i++) {
      client.send('y')
      await new Promise(resolve => setTimeout(resolve, 100)) // the client's pace, under the idle time
    }
    await waitFor(() => client.received().startsWith('HTTP/1.1 201'), { timeoutMs: 5_000, what: 'the 201' })
    assert.equal(consumed, 20)
    assert.equal(failure, undefined)
  })
})
