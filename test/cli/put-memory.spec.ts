// ApiClient.put against small node:http servers on 127.0.0.1: the body goes out with backpressure (the source
// is read no faster than the server takes it) and nothing keeps a chunk once it is sent, so a put's memory is
// flat whatever the file size; and an answer the server gives before it has read the whole body (413, 503, 408,
// 401) is what the caller gets, as an ApiError with its status and code, never a socket error from the writes
// after it, and the source is read no further.
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { ApiClient } from '../../src/client/index.js'
import { ApiServer, type DaemonApi } from '../../src/api/server.js'
import { QuotaError } from '../../src/errors.js'
import { waitFor } from '../utils/wait.js'
import type { AddressInfo } from 'node:net'

const MiB = 1024 * 1024
const CHUNK = 256 * 1024
/**
 * The most a source here yields when the server is to stop the put first: a client that reads on regardless (the
 * fetch-based one did, against a server that stopped reading) fails the test instead of eating the machine.
 */
const BOUND = 512 * MiB

/** A full garbage collection, so that what is still alive is what something keeps. */
const gc = ((): () => void => {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (exposed !== undefined) return exposed
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
})()

interface TestServer { url: string, close: () => Promise<void> }

async function serve (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const server: Server = createServer(handler)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}

/** An assert.rejects check: an ApiError with this status and the server's code. */
function apiError (status: number, code: string) {
  return (err: Error & { status?: number, code?: string }): boolean => {
    assert.equal(err.name, 'ApiError')
    assert.equal(err.status, status)
    assert.equal(err.code, code)
    return true
  }
}

function answer (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/** A source of `total` bytes in fresh CHUNK-sized buffers, made only when pulled. */
class Source {
  pulled = 0
  closed = false
  /** A weak reference to every chunk handed out: which ones are still alive after a gc. */
  readonly chunks: Array<WeakRef<Uint8Array>> = []

  constructor (private readonly total: number, private readonly beforeEach?: (source: Source) => Promise<void> | void) {}

  async * [Symbol.asyncIterator] (): AsyncGenerator<Uint8Array> {
    try {
      while (this.pulled < this.total) {
        await this.beforeEach?.(this)
        const chunk = new Uint8Array(Math.min(CHUNK, this.total - this.pulled)).fill(this.chunks.length & 0xff)
        this.chunks.push(new WeakRef(chunk))
        this.pulled += chunk.byteLength
        yield chunk
      }
    } finally {
      this.closed = true
    }
  }

  /** Chunks handed out before the last `recent` that something still keeps. */
  alive (recent: number): number {
    return this.chunks.slice(0, Math.max(0, this.chunks.length - recent)).filter(c => c.deref() !== undefined).length
  }
}

describe('client: put memory and early answers', function () {
  this.timeout(60_000)
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  async function server (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
    const s = await serve(handler)
    cleanups.push(s.close)
    return s
  }

  it('reads the source no further ahead of a slow server than the connection\'s buffers', async () => {
    const total = 128 * MiB
    let consumed = 0
    let ahead = 0
    const source = new Source(total)
    const s = await server((req, res) => {
      void (async () => {
        // A slow disk: a short pause after each MiB taken.
        let sincePause = 0
        for await (const piece of req) {
          consumed += (piece as Buffer).byteLength
          ahead = Math.max(ahead, source.pulled - consumed)
          sincePause += (piece as Buffer).byteLength
          if (sincePause >= MiB) {
            sincePause = 0
            await new Promise(resolve => setTimeout(resolve, 1))
          }
        }
        answer(res, 201, { bytes: consumed })
      })()
    })
    const progress: number[] = []
    const result = await new ApiClient(s.url).put('big.bin', source, { size: total, onProgress: n => progress.push(n) })
    assert.deepEqual(result, { bytes: total })
    assert.equal(progress.at(-1), total)
    // Loopback socket buffers hold a few MiB each way; a client without backpressure runs 100+ MiB ahead.
    assert.ok(ahead < 24 * MiB, `the source ran ${(ahead / MiB).toFixed(1)} MiB ahead of the server`)
  })

  it('keeps none of the chunks it has sent: 256 MiB go through without the body staying in memory', async () => {
    const total = 256 * MiB
    const s = await server((req, res) => {
      let bytes = 0
      req.on('data', (piece: Buffer) => { bytes += piece.byteLength })
      req.on('end', () => { answer(res, 201, { bytes }) })
    })
    let mostAlive = 0
    // Every 16 MiB pulled: collect, then count the chunks sent before the last 8 that something still keeps.
    // (Counting chunks, not array-buffer bytes: V8 frees backing stores lazily, so bytes lag behind a gc.)
    const source = new Source(total, src => {
      if (src.chunks.length % 64 !== 63) return
      gc()
      mostAlive = Math.max(mostAlive, src.alive(8))
    })
    const result = await new ApiClient(s.url).put('big.bin', source, { size: total })
    assert.deepEqual(result, { bytes: total })
    assert.ok(source.chunks.length >= 1000)
    // A client holding the body keeps every one of them (fetch did: 1015 of 1024); V8 may keep one or two.
    assert.ok(mostAlive <= 4, `${mostAlive} chunks sent earlier were still in memory`)
  })

  it('an early 413 while the body is still going out is an ApiError 413 with the code, and the source stops', async () => {
    // The answer comes on the headers alone, and the server closes the connection after it.
    const s = await server((_req, res) => {
      answer(res, 413, { error: 'the file is larger than this node takes', code: 'ERR_TOO_LARGE' }, { connection: 'close' })
    })
    const source = new Source(1024 * MiB)
    await assert.rejects(new ApiClient(s.url).put('big.bin', source, { size: 1024 * MiB }), apiError(413, 'ERR_TOO_LARGE'))
    await waitFor(() => source.closed, { timeoutMs: 5_000, what: 'the source to be closed' })
    assert.ok(source.pulled < 64 * MiB, `${source.pulled / MiB} MiB were read from the source`)
  })

  it('a 503 from a server that stops reading mid-body is the ApiError, though the body never drains', async () => {
    // Takes 1 MiB, then answers and reads no more, the connection left open: a wait for 'drain' never ends.
    const s = await server((req, res) => {
      let bytes = 0
      const onData = (piece: Buffer): void => {
        bytes += piece.byteLength
        if (bytes < MiB) return
        req.off('data', onData)
        req.pause()
        answer(res, 503, { error: 'no quorum', code: 'ERR_QUORUM' }, { 'retry-after': '5' })
      }
      req.on('data', onData)
    })
    const source = new Source(BOUND) // no size given: sent chunked
    await assert.rejects(new ApiClient({ url: s.url, timeoutMs: 20_000 }).put('big.bin', source), apiError(503, 'ERR_QUORUM'))
    await waitFor(() => source.closed, { timeoutMs: 5_000, what: 'the source to be closed' })
    assert.ok(source.pulled < 64 * MiB, `${source.pulled / MiB} MiB were read from the source`)
  })

  it('an answer that comes while the client waits for its source is the ApiError, without waiting for the source', async () => {
    let release = (): void => {}
    const held = new Promise<void>(resolve => { release = resolve })
    cleanups.push(release)
    // The first chunk, then the source stalls (a pipe into stdin with nothing in it).
    const source = new Source(BOUND, async src => { if (src.pulled > 0) await held })
    const s = await server((req, res) => {
      req.once('data', () => {
        answer(res, 408, { error: 'the upload body stopped arriving', code: 'ERR_REQUEST_TIMEOUT' }, { connection: 'close' })
      })
    })
    await assert.rejects(new ApiClient(s.url).put('slow.bin', source), apiError(408, 'ERR_REQUEST_TIMEOUT'))
    assert.equal(source.pulled, CHUNK, 'nothing was read after the answer')
  })

  it('the daemon\'s own early answer (a put that fails half-way) reaches the client as that ApiError', async () => {
    // The real API server: the put reads 1 MiB of the body, then fails; the server drains the rest and closes.
    let read = 0
    const api = {
      put: async (_name: string, body: AsyncIterable<Uint8Array>) => {
        for await (const piece of body) {
          read += piece.byteLength
          if (read >= MiB) throw new QuotaError('this node is full')
        }
        throw new Error('the body ended before the quota was reached')
      }
    } as unknown as DaemonApi
    const apiServer = new ApiServer(api, { host: '127.0.0.1', port: 0 })
    await apiServer.start()
    cleanups.push(async () => { await apiServer.stop() })
    const total = 512 * MiB
    const source = new Source(total)
    const client = new ApiClient({ url: apiServer.url, token: apiServer.token })
    await assert.rejects(client.put('big.bin', source, { size: total }), apiError(507, 'ERR_QUOTA'))
    await waitFor(() => source.closed, { timeoutMs: 5_000, what: 'the source to be closed' })
    assert.ok(source.pulled < total)

    // And without the token: 401 on the headers, the body not read at all.
    const unauthorized = new Source(total)
    await assert.rejects(new ApiClient(apiServer.url).put('big.bin', unauthorized, { size: total }), apiError(401, 'ERR_UNAUTHORIZED'))
  })

  it('a daemon that stops taking bytes fails the put after the idle timeout; a slow source does not', async () => {
    const stalled = await server(req => { req.pause() }) // takes the headers, then nothing
    const put = new ApiClient({ url: stalled.url, timeoutMs: 300 }).put('big.bin', new Source(BOUND))
    await assert.rejects(put, (err: Error & { url?: string }) => {
      assert.equal(err.name, 'DaemonUnreachableError')
      assert.equal(err.url, stalled.url)
      return true
    })

    // Each wait for this source is longer than the timeout; the daemon takes every byte at once.
    const s = await server((req, res) => {
      let bytes = 0
      req.on('data', (piece: Buffer) => { bytes += piece.byteLength })
      req.on('end', () => { answer(res, 201, { bytes }) })
    })
    const slow = new Source(3 * CHUNK, async src => {
      if (src.pulled > 0) await new Promise(resolve => setTimeout(resolve, 400)) // the source's pace, not a wait
    })
    assert.deepEqual(await new ApiClient({ url: s.url, timeoutMs: 200 }).put('slow.bin', slow), { bytes: 3 * CHUNK })
  })

  it('passes the caller\'s abort through unchanged, and the source stops', async () => {
    let taken = 0
    const s = await server(req => { req.on('data', (piece: Buffer) => { taken += piece.byteLength }) })
    const controller = new AbortController()
    const reason = new Error('stop')
    const source = new Source(BOUND)
    const put = new ApiClient(s.url).put('big.bin', source, { signal: controller.signal })
    await waitFor(() => taken > MiB, { timeoutMs: 5_000, what: 'the server to take 1 MiB' })
    controller.abort(reason)
    await assert.rejects(put, err => err === reason)
    await waitFor(() => source.closed, { timeoutMs: 5_000, what: 'the source to be closed' })
  })

  it('a fetch given to the client carries the put too (whoever passes one owns the transport)', async () => {
    const s = await server((req, res) => {
      let bytes = 0
      req.on('data', (piece: Buffer) => { bytes += piece.byteLength })
      req.on('end', () => { answer(res, 201, { bytes }) })
    })
    let calls = 0
    const counting: typeof fetch = async (input, init) => {
      calls++
      return await fetch(input, init)
    }
    const progress: number[] = []
    const result = await new ApiClient({ url: s.url, fetch: counting }).put('a.bin', new Source(2 * CHUNK), {
      size: 2 * CHUNK, onProgress: n => progress.push(n)
    })
    assert.deepEqual(result, { bytes: 2 * CHUNK })
    assert.equal(calls, 1)
    assert.deepEqual(progress, [CHUNK, 2 * CHUNK])
  })
})
