// ApiClient against a stub daemon: named errors for error answers, bad bodies, refused connections, aborts.
import assert from 'node:assert/strict'
import { ApiClient, normalizeApiUrl, parseHostPort } from '../../src/client/index.js'
import { closedPort, startStubDaemon } from '../utils/cli.js'
import { STATUS } from '../utils/cli-fixtures.js'
import type { StubDaemon } from '../utils/cli.js'

describe('client: ApiClient', () => {
  let daemon: StubDaemon

  beforeEach(async () => {
    daemon = await startStubDaemon({
      '/api/status': { body: STATUS },
      '/api/lookup': { status: 404, body: { error: 'no such file', code: 'ERR_NOT_FOUND' } },
      '/api/ring': { status: 500, body: '<html>oops</html>' }
    })
  })

  afterEach(async () => {
    await daemon.close()
  })

  it('returns the JSON answer', async () => {
    assert.deepEqual(await new ApiClient(daemon.url).status(), STATUS)
  })

  it('an error answer becomes an ApiError with the status and the daemon\'s code', async () => {
    await assert.rejects(new ApiClient(daemon.url).lookup({ name: 'x' }), (err: Error & { status?: number, code?: string }) => {
      assert.equal(err.name, 'ApiError')
      assert.equal(err.status, 404)
      assert.equal(err.code, 'ERR_NOT_FOUND')
      return true
    })
  })

  it('an error answer without ErrorJson still becomes an ApiError', async () => {
    await assert.rejects(new ApiClient(daemon.url).ring(), (err: Error & { status?: number, code?: string }) => {
      assert.equal(err.name, 'ApiError')
      assert.equal(err.status, 500)
      assert.equal(err.code, 'ERR_API')
      return true
    })
  })

  it('a refused connection becomes DaemonUnreachableError naming the URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    await assert.rejects(new ApiClient(url).status(), (err: Error & { url?: string, code?: string }) => {
      assert.equal(err.name, 'DaemonUnreachableError')
      assert.equal(err.code, 'ERR_DAEMON_UNREACHABLE')
      assert.equal(err.url, url)
      return true
    })
  })

  it('passes the caller\'s abort through unchanged', async () => {
    const controller = new AbortController()
    const reason = new Error('stop')
    controller.abort(reason)
    await assert.rejects(new ApiClient(daemon.url).status({ signal: controller.signal }), err => err === reason)
  })

  it('normalises API URLs', () => {
    assert.equal(normalizeApiUrl('127.0.0.1:4001'), 'http://127.0.0.1:4001')
    assert.equal(normalizeApiUrl('http://localhost:4001/'), 'http://localhost:4001')
    assert.equal(normalizeApiUrl('[::1]:4001'), 'http://[::1]:4001')
    assert.throws(() => normalizeApiUrl('127.0.0.1'), { name: 'InvalidInputError' })
    assert.throws(() => normalizeApiUrl('127.0.0.1:0'), { name: 'InvalidInputError' })
    assert.throws(() => normalizeApiUrl('ftp://127.0.0.1:21'), { name: 'InvalidInputError' })
    assert.deepEqual(parseHostPort('0.0.0.0:0', { allowZero: true }), { host: '0.0.0.0', port: 0 })
  })
})
