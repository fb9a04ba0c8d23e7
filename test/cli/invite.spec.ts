// `chord-peer invite` against a stub daemon: what it asks the daemon, the token with the command that uses it,
// --json, a bad --ttl (exit 2, nothing asked), and a daemon that refuses (a peer mints no invites): exit 2.
import assert from 'node:assert/strict'
import { runCli, startStubDaemon } from '../utils/cli.js'
import type { StubDaemon } from '../utils/cli.js'
import type { InviteJson } from '../../src/api/types.js'

const TOKEN = 'CAESEJ2mF4v2u0kqgJY0y9lzV8gYgNDc9q8y'

describe('cli: invite', () => {
  let daemon: StubDaemon | undefined
  afterEach(async () => { await daemon?.close() })

  const minting = async (): Promise<StubDaemon> => await startStubDaemon({
    '/api/invites': url => ({
      status: 201,
      body: {
        token: TOKEN,
        role: url.searchParams.get('supernode') === '1' ? 'supernode' : 'peer',
        expires: Date.UTC(2030, 0, 2, 3, 4, 5)
      } satisfies InviteJson
    })
  })

  it('--supernode --ttl 30m asks for a supernode invite of 30 minutes and prints the command that uses it', async () => {
    daemon = await minting()
    const { code, stdout, stderr } = await runCli(['invite', '--supernode', '--ttl', '30m', '--api', daemon.url])
    assert.equal(code, 0, stderr)
    assert.equal(daemon.requests.length, 1)
    assert.equal(daemon.requests[0].pathname, '/api/invites')
    assert.equal(daemon.requests[0].searchParams.get('supernode'), '1')
    assert.equal(daemon.requests[0].searchParams.get('ttlMs'), String(30 * 60_000))
    assert.match(stdout, new RegExp(`^invite +${TOKEN}$`, 'm'))
    assert.match(stdout, /^for +one new supernode$/m)
    assert.match(stdout, new RegExp(`chord-peer --bootstrap --connect <a supernode's multiaddr> --invite ${TOKEN}`))
  })

  it('without --supernode it asks for a peer invite; --json prints the daemon\'s answer', async () => {
    daemon = await minting()
    const { code, stdout, stderr } = await runCli(['invite', '--json', '--api', daemon.url])
    assert.equal(code, 0, stderr)
    assert.equal(daemon.requests[0].searchParams.get('supernode'), null)
    assert.equal(daemon.requests[0].searchParams.get('ttlMs'), null)
    assert.deepEqual(JSON.parse(stdout), { token: TOKEN, role: 'peer', expires: Date.UTC(2030, 0, 2, 3, 4, 5) })
  })

  for (const ttl of ['0s', '8d', 'soon', '500']) {
    it(`--ttl ${ttl} exits 2 and asks nothing`, async () => {
      daemon = await minting()
      const { code, stdout, stderr } = await runCli(['invite', '--ttl', ttl, '--api', daemon.url])
      assert.equal(code, 2)
      assert.match(stderr, /--ttl must be a duration from 1s to 7d/)
      assert.equal(stdout, '')
      assert.equal(daemon.requests.length, 0)
    })
  }

  it('a daemon that mints none (a peer) exits 2 with its message: the wrong daemon was asked', async () => {
    daemon = await startStubDaemon({
      '/api/invites': { status: 400, body: { error: 'only a supernode mints invites', code: 'ERR_INVALID_INPUT' } }
    })
    const { code, stderr } = await runCli(['invite', '--api', daemon.url])
    assert.equal(code, 2)
    assert.match(stderr, /only a supernode mints invites/)
  })
})
