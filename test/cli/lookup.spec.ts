// `chord-peer lookup` against a stub daemon: name vs raw key, and the printed route.
import assert from 'node:assert/strict'
import { runCli, startStubDaemon } from '../utils/cli.js'
import { LOOKUP, hexId } from '../utils/cli-fixtures.js'
import type { StubDaemon } from '../utils/cli.js'

describe('cli: lookup', () => {
  let daemon: StubDaemon

  beforeEach(async () => {
    daemon = await startStubDaemon({ '/api/lookup': { body: LOOKUP } })
  })

  afterEach(async () => {
    await daemon.close()
  })

  it('sends a file name as ?key= and prints owner, hops, path and time', async () => {
    const { code, stdout, stderr } = await runCli(['lookup', 'notes.pdf', '--api', daemon.url])
    assert.equal(code, 0, stderr)
    const query = daemon.requests[0].searchParams
    assert.equal(query.get('key'), 'notes.pdf')
    assert.equal(query.get('id'), null)
    assert.match(stdout, /^owner +c1d2e3f4 +12D3Ko…/m)
    assert.match(stdout, /^hops +2$/m)
    assert.match(stdout, /^path +1\. 3f2a9c1b .*\n +2\. 7c00aa01 /m)
    assert.match(stdout, /^time +14 ms$/m)
    assert.match(stdout, new RegExp(`^key +${LOOKUP.key}$`, 'm'))
  })

  it('treats 64 hex digits as a raw key', async () => {
    const key = hexId('ABCDEF')
    const { code } = await runCli(['lookup', key, '--api', daemon.url])
    assert.equal(code, 0)
    assert.equal(daemon.requests[0].searchParams.get('id'), key.toLowerCase())
    assert.equal(daemon.requests[0].searchParams.get('key'), null)
  })

  it('--id sends a short hex key as ?id=, padded to the 64 digits the daemon takes; --name forces a name', async () => {
    assert.equal((await runCli(['lookup', '--id', '0xBEEF', '--api', daemon.url])).code, 0)
    assert.equal(daemon.requests[0].searchParams.get('id'), '0'.repeat(60) + 'beef')
    const key = hexId('ab')
    assert.equal((await runCli(['lookup', '--name', key, '--api', daemon.url])).code, 0)
    assert.equal(daemon.requests[1].searchParams.get('key'), key)
  })

  it('--json prints the daemon answer', async () => {
    const { code, stdout } = await runCli(['lookup', 'notes.pdf', '--json', '--api', daemon.url])
    assert.equal(code, 0)
    assert.deepEqual(JSON.parse(stdout), LOOKUP)
  })

  it('a bad --id is a usage error and asks the daemon nothing', async () => {
    const { code, stderr } = await runCli(['lookup', '--id', 'not-hex', '--api', daemon.url])
    assert.equal(code, 2)
    assert.match(stderr, /--id expects a key/)
    assert.equal(daemon.requests.length, 0)
  })
})
