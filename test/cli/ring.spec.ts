// `chord-peer ring [--check]` against a stub daemon: the walk, a passing check, a failing check → exit 1.
import assert from 'node:assert/strict'
import { runCli, startStubDaemon } from '../utils/cli.js'
import { RING_BROKEN, RING_OK } from '../utils/cli-fixtures.js'
import type { RingJson } from '../../src/api/types.js'
import type { StubDaemon } from '../utils/cli.js'

describe('cli: ring', () => {
  let daemon: StubDaemon | undefined

  afterEach(async () => {
    await daemon?.close()
    daemon = undefined
  })

  async function serve (ring: RingJson): Promise<StubDaemon> {
    daemon = await startStubDaemon({
      // Like the real API: the check is only there when asked for.
      '/api/ring': url => ({ body: url.searchParams.get('check') === '1' ? ring : { ...ring, check: undefined } })
    })
    return daemon
  }

  it('prints one line per member in ring order', async () => {
    const { url, requests } = await serve(RING_OK)
    const { code, stdout } = await runCli(['ring', '--api', url])
    assert.equal(code, 0)
    assert.equal(requests[0].searchParams.get('check'), null)
    const rows = stdout.split('\n').filter(line => /^\d+ +[0-9a-f]{8} /.test(line))
    assert.deepEqual(rows.map(r => r.split(/ +/).slice(0, 2)), [['1', '3f2a9c1b'], ['2', '7c00aa01'], ['3', 'c1d2e3f4']])
    assert.deepEqual(rows.map(r => r.split(/ +/).at(-1)), ['3', '3', '1'])
    assert.match(rows[0], /12D3Ko…sXMB8x/)
    assert.ok(!stdout.includes('ring OK'), 'no verdict without --check')
  })

  it('--check on a healthy ring says so and exits 0', async () => {
    const { url, requests } = await serve(RING_OK)
    const { code, stdout } = await runCli(['ring', '--check', '--api', url])
    assert.equal(code, 0)
    assert.equal(requests[0].searchParams.get('check'), '1')
    assert.match(stdout, /^ring OK: 3 members, ordered, closed$/m)
  })

  it('--check on a broken ring prints the problems and exits 1', async () => {
    const { url } = await serve(RING_BROKEN)
    const { code, stdout } = await runCli(['ring', '--check', '--api', url])
    assert.equal(code, 1)
    assert.match(stdout, /ring check FAILED/)
    for (const problem of RING_BROKEN.check?.problems ?? []) assert.ok(stdout.includes(`  - ${problem}`), problem)
    assert.ok(!stdout.includes('ring OK'))
  })

  it('--check fails when the daemon reports ok but the walk did not close', async () => {
    const { url } = await serve({ ...RING_OK, closed: false })
    const { code, stdout } = await runCli(['ring', '--check', '--api', url])
    assert.equal(code, 1)
    assert.match(stdout, /did not come back to its start/)
  })

  it('--json --check prints the JSON and still exits 1 on a failed check', async () => {
    const { url } = await serve(RING_BROKEN)
    const { code, stdout } = await runCli(['ring', '--json', '--check', '--api', url])
    assert.equal(code, 1)
    assert.deepEqual(JSON.parse(stdout), RING_BROKEN)
  })
})
