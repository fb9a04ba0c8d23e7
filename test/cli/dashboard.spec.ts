// `chord-peer dashboard` against a stub daemon: it asks for a login code and prints the URL; it opens the URL
// only on a desktop and never with --no-open or in CI; --json prints the daemon's answer.
import assert from 'node:assert/strict'
import { runCli, startStubDaemon } from '../utils/cli.js'
import { hasDesktop } from '../../src/cli/dashboard.js'
import type { StubDaemon } from '../utils/cli.js'
import type { LoginCodeJson } from '../../src/api/types.js'

const CODE = 'Yd5i0f8b6x1yQv7mJm4eH9aZk2Wn3Ls0Pq8Rt6Uv4Xw'

describe('cli: dashboard', () => {
  let daemon: StubDaemon | undefined
  afterEach(async () => { await daemon?.close() })

  const minting = async (): Promise<StubDaemon> => {
    const stub: StubDaemon = await startStubDaemon({
      '/api/login-codes': () => ({
        status: 201,
        body: { code: CODE, url: `${stub.url}/#code=${CODE}`, expires: Date.now() + 60_000 } satisfies LoginCodeJson
      })
    })
    return stub
  }

  it('prints the one-time URL, and opens it where a browser can be opened', async () => {
    daemon = await minting()
    const opened: string[] = []
    const { code, stdout, stderr } = await runCli(['dashboard', '--api', daemon.url], { openUrl: url => { opened.push(url) } })
    assert.equal(code, 0, stderr)
    assert.equal(daemon.requests.length, 1)
    assert.equal(daemon.requests[0].pathname, '/api/login-codes')
    assert.match(stdout, /^opening the dashboard in a browser on this machine \(the link logs in once, within 60 s\):$/m)
    assert.ok(stdout.includes(`  ${daemon.url}/#code=${CODE}\n`), stdout)
    assert.deepEqual(opened, [`${daemon.url}/#code=${CODE}`])
  })

  it('--no-open only prints; --json prints the answer', async () => {
    daemon = await minting()
    const opened: string[] = []
    const plain = await runCli(['dashboard', '--no-open', '--api', daemon.url], { openUrl: url => { opened.push(url) } })
    assert.equal(plain.code, 0, plain.stderr)
    assert.match(plain.stdout, /^open the dashboard/m)
    const asJson = await runCli(['dashboard', '--json', '--no-open', '--api', daemon.url])
    assert.equal(asJson.code, 0, asJson.stderr)
    assert.equal((JSON.parse(asJson.stdout) as LoginCodeJson).code, CODE)
    assert.deepEqual(opened, [])
  })

  it('a desktop: macOS, Windows, or a display; never in CI', () => {
    assert.equal(hasDesktop({}, 'darwin'), true)
    assert.equal(hasDesktop({}, 'win32'), true)
    assert.equal(hasDesktop({}, 'linux'), false)
    assert.equal(hasDesktop({ DISPLAY: ':0' }, 'linux'), true)
    assert.equal(hasDesktop({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux'), true)
    assert.equal(hasDesktop({ DISPLAY: ':0', CI: 'true' }, 'linux'), false)
    assert.equal(hasDesktop({ CI: 'true' }, 'darwin'), false)
  })

  it('a daemon that refuses the token: exit 1 with where the token comes from', async () => {
    daemon = await startStubDaemon({
      '/api/login-codes': { status: 401, body: { error: 'the API token is wrong', code: 'ERR_UNAUTHORIZED' } }
    })
    const { code, stderr } = await runCli(['dashboard', '--no-open', '--api', daemon.url, '--api-token', 'x'])
    assert.equal(code, 1)
    assert.match(stderr, /refused the API token/)
  })
})
