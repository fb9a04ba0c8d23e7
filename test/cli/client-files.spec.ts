// ApiClient's file calls against the stub daemon's file routes: streamed put, get with headers and ranges,
// head, list, locate, delete, name encoding, and the idle timeout of a stalled transfer.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { ApiClient, guessContentType } from '../../src/client/index.js'
import { startStubDaemon } from '../utils/cli.js'
import { FileStore, HOLDERS, K, sha256 } from '../utils/file-stub.js'
import type { StubDaemon } from '../utils/cli.js'

async function collect (body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of body) chunks.push(chunk)
  return Buffer.concat(chunks)
}

describe('client: file calls', () => {
  let files: FileStore
  let daemon: StubDaemon
  let client: ApiClient

  beforeEach(async () => {
    files = new FileStore()
    daemon = await startStubDaemon({}, { files })
    client = new ApiClient(daemon.url)
  })

  afterEach(async () => {
    await daemon.close()
  })

  it('put streams the body: the daemon has the first chunk before the source yields the second', async () => {
    const first = randomBytes(100_000)
    const second = randomBytes(50_000)
    async function * source (): AsyncGenerator<Uint8Array> {
      yield first
      // A client that buffered the whole body before sending would never get past this line.
      await files.waitForBytes(first.length)
      yield second
    }
    const progress: number[] = []
    const result = await client.put('notes.pdf', source(), { size: first.length + second.length, onProgress: n => progress.push(n) })

    const stored = files.files.get('notes.pdf')
    assert.ok(stored != null)
    assert.ok(stored.content.equals(Buffer.concat([first, second])), 'the daemon got the exact bytes')
    assert.equal(result.file.hash, sha256(Buffer.concat([first, second])))
    assert.deepEqual(result.holders, HOLDERS)
    assert.equal(result.k, K)
    const put = files.calls.find(c => c.method === 'PUT')
    assert.equal(put?.path, '/api/files/notes.pdf')
    assert.equal(put?.headers['content-type'], 'application/pdf')
    assert.equal(put?.headers['content-length'], String(first.length + second.length))
    assert.equal(progress.at(-1), first.length + second.length)
  })

  it('put without a size sends no content-length and defaults to application/octet-stream', async () => {
    await client.put('blob', (async function * () { yield new Uint8Array([1, 2, 3]) })())
    const put = files.calls[0]
    assert.equal(put.headers['content-length'], undefined)
    assert.equal(put.headers['content-type'], 'application/octet-stream')
    assert.deepEqual([...files.files.get('blob')?.content ?? []], [1, 2, 3])
  })

  it('put accepts a web ReadableStream', async () => {
    const body = new ReadableStream<Uint8Array>({ start (c) { c.enqueue(new TextEncoder().encode('hello')); c.close() } })
    await client.put('hello.txt', body, { contentType: 'text/x-custom' })
    assert.equal(files.files.get('hello.txt')?.content.toString(), 'hello')
    assert.equal(files.calls[0].headers['content-type'], 'text/x-custom')
  })

  it('get returns the headers and streams the content; a range gives a 206 slice', async () => {
    const content = randomBytes(200_000)
    const stored = files.add('dir/a b?.bin', content)
    const { info, body } = await client.get('dir/a b?.bin')
    assert.equal(files.calls[0].path, '/api/files/dir%2Fa%20b%3F.bin')
    assert.equal(info.size, content.length)
    assert.equal(info.hash, stored.record.hash, 'the etag without its quotes')
    assert.equal(info.contentType, 'application/octet-stream')
    assert.match(info.version ?? '', /^\d+\.\d+\.12D3Koo/)
    assert.ok((await collect(body)).equals(content))

    const part = await client.get('dir/a b?.bin', { range: { start: 10, end: 19 } })
    assert.equal(files.calls[1].headers.range, 'bytes=10-19')
    assert.deepEqual(part.info.range, { start: 10, end: 19 })
    assert.equal(part.info.size, 10)
    assert.equal(part.info.totalSize, content.length)
    assert.ok((await collect(part.body)).equals(content.subarray(10, 20)))
  })

  it('a missing file is an ApiError 404 with the daemon\'s code, for get and head alike', async () => {
    for (const call of [client.get('nope'), client.head('nope'), client.delete('nope')]) {
      await assert.rejects(call, (err: Error & { status?: number, code?: string }) => {
        assert.equal(err.name, 'ApiError')
        assert.equal(err.status, 404)
        assert.equal(err.code, 'ERR_NOT_FOUND')
        return true
      })
    }
  })

  it('head gives the headers without a body', async () => {
    const stored = files.add('x.txt', 'twelve bytes', 'text/plain')
    const info = await client.head('x.txt')
    assert.equal(files.calls[0].method, 'HEAD')
    assert.equal(info.size, 12)
    assert.equal(info.hash, stored.record.hash)
    assert.equal(info.contentType, 'text/plain')
  })

  it('list passes limit and after; locate and delete reach their routes', async () => {
    for (const name of ['a', 'b', 'c']) files.add(name, name)
    const page = await client.list({ limit: 2 })
    assert.equal(page.files.length, 2)
    assert.equal(files.calls[0].query.get('limit'), '2')
    const rest = await client.list({ limit: 2, after: page.next })
    assert.equal(files.calls[1].query.get('after'), page.next)
    assert.equal(rest.next, undefined)
    assert.deepEqual([...page.files, ...rest.files].map(f => f.name).sort(), ['a', 'b', 'c'])

    const located = await client.locate('a')
    assert.equal(files.calls[2].path, '/api/locate/a')
    assert.equal(located.file?.name, 'a')

    const deleted = await client.delete('a')
    assert.equal(files.calls[3].method, 'DELETE')
    assert.equal(deleted.name, 'a')
    assert.equal(files.files.has('a'), false)
  })

  it('refuses names that cannot be a URL path segment, without asking the daemon', async () => {
    for (const name of ['', '.', '..']) {
      await assert.rejects(client.get(name), { name: 'InvalidInputError' })
      await assert.rejects(client.delete(name), { name: 'InvalidInputError' })
    }
    assert.equal(daemon.requests.length, 0)
  })

  it('a download that stalls fails after the idle timeout, naming the daemon', async () => {
    let release = (): void => {}
    const held = new Promise<void>(resolve => { release = resolve })
    await daemon.close()
    files = new FileStore({ holdGet: async () => held })
    files.add('big', randomBytes(300_000))
    daemon = await startStubDaemon({}, { files })
    try {
      const { body } = await new ApiClient({ url: daemon.url, timeoutMs: 300 }).get('big')
      await assert.rejects(collect(body), (err: Error & { url?: string }) => {
        assert.equal(err.name, 'DaemonUnreachableError')
        assert.equal(err.url, daemon.url)
        return true
      })
    } finally {
      release()
    }
  })

  it('guesses content types from the extension', () => {
    assert.equal(guessContentType('notes.PDF'), 'application/pdf')
    assert.equal(guessContentType('a.tar.gz'), 'application/gzip')
    assert.equal(guessContentType('README'), 'application/octet-stream')
    assert.equal(guessContentType('x.unknownext'), 'application/octet-stream')
  })
})
