// `chord-peer status` against a stub daemon: the human block and --json.
import assert from 'node:assert/strict'
import { runCli, startStubDaemon } from '../utils/cli.js'
import { NODE_B, NODE_C, PEER_A, STATUS } from '../utils/cli-fixtures.js'
import type { StubDaemon } from '../utils/cli.js'

describe('cli: status', () => {
  let daemon: StubDaemon

  beforeEach(async () => {
    daemon = await startStubDaemon({ '/api/status': { body: STATUS } })
  })

  afterEach(async () => {
    await daemon.close()
  })

  it('prints an aligned block with ids, role, addresses, neighbours, fingers and settings', async () => {
    const { code, stdout, stderr } = await runCli(['status', '--api', daemon.url])
    assert.equal(code, 0, stderr)
    assert.equal(stderr, '')
    assert.deepEqual(daemon.requests.map(u => u.pathname), ['/api/status'])

    const lines = stdout.trimEnd().split('\n')
    const valueColumn = (label: string): number => {
      const line = lines.find(l => l.startsWith(`${label} `))
      assert.ok(line != null, `no "${label}" line in:\n${stdout}`)
      return line.length - line.slice(label.length).trimStart().length
    }
    // Every label's value starts in the same column.
    const columns = new Set([
      'node', 'peer id', 'role', 'addresses', 'api', 'predecessor', 'successors', 'fingers', 'settings', 'connections'
    ].map(valueColumn))
    assert.equal(columns.size, 1, stdout)

    assert.match(stdout, new RegExp(`^node +3f2a9c1b +${STATUS.node.id}$`, 'm'))
    assert.match(stdout, new RegExp(`^peer id +${PEER_A}$`, 'm'))
    assert.match(stdout, /^role +supernode$/m)
    for (const addr of STATUS.node.addrs ?? []) assert.ok(stdout.includes(addr), `missing ${addr}`)
    assert.match(stdout, /^api +http:\/\/127\.0\.0\.1:4101$/m)
    assert.match(stdout, /^predecessor +c1d2e3f4 /m)
    assert.match(stdout, /^successors +1\. 7c00aa01 /m)
    assert.match(stdout, /^ +2\. c1d2e3f4 /m)
    assert.match(stdout, /^ +3\. 3f2a9c1b .*\(this node\)$/m)
    assert.match(stdout, /^fingers +\[0\.\.253\] +start 3f2a9c1c +→ 7c00aa01 /m)
    assert.match(stdout, /\[254\.\.255\] +start bf2a9c1b +→ c1d2e3f4 /)
    assert.match(stdout, /k=3 .*r=8 /)
    assert.match(stdout, /^connections +5$/m)
    assert.match(stdout, /^uptime +1h 02m 03s$/m)
    assert.ok(!stdout.includes(NODE_B.id) && !stdout.includes(NODE_C.id), 'neighbours should be shown by short id')
  })

  it('shows the last scrub, or that none has completed yet', async () => {
    let { stdout } = await runCli(['status', '--api', daemon.url])
    assert.match(stdout, /^last scrub +not yet /m)
    await daemon.close()
    const lastScrub = { finished: Date.now(), ms: 65_000, blobs: 12, bytes: 3 * 1024 * 1024, bad: 1 }
    daemon = await startStubDaemon({ '/api/status': { body: { ...STATUS, lastScrub } } })
    ;({ stdout } = await runCli(['status', '--api', daemon.url]))
    assert.match(stdout, /^last scrub +.*: 12 files, 3(\.0)? MiB in 1m 05s, 1 bad \(repaired from other holders\)$/m)
  })

  it('marks a node that has not joined yet', async () => {
    await daemon.close()
    daemon = await startStubDaemon({ '/api/status': { body: { ...STATUS, role: 'peer', joined: false, predecessor: undefined } } })
    const { code, stdout } = await runCli(['status', '--api', daemon.url])
    assert.equal(code, 0)
    assert.match(stdout, /^role +peer \(not joined yet\)$/m)
    assert.match(stdout, /^predecessor +-$/m)
  })

  it('--json prints the daemon answer as JSON', async () => {
    const { code, stdout } = await runCli(['status', '--json', '--api', daemon.url])
    assert.equal(code, 0)
    assert.deepEqual(JSON.parse(stdout), STATUS)
  })

  it('accepts --api as host:port and before the command', async () => {
    const { code, stdout } = await runCli(['--api', `127.0.0.1:${daemon.port}`, 'status', '--json'])
    assert.equal(code, 0)
    assert.equal(JSON.parse(stdout).node.peerId, PEER_A)
  })

  it('an error answer exits 1 with the daemon\'s message', async () => {
    await daemon.close()
    daemon = await startStubDaemon({ '/api/status': { status: 503, body: { error: 'node is shutting down', code: 'ERR_NOT_STARTED' } } })
    const { code, stdout, stderr } = await runCli(['status', '--api', daemon.url])
    assert.equal(code, 1)
    assert.equal(stdout, '')
    assert.match(stderr, /^error: node is shutting down$/m)
  })

  it('on a supernode, shows the leader it follows and the epoch', async () => {
    await daemon.close()
    daemon = await startStubDaemon({ '/api/status': { body: { ...STATUS, leader: { peerId: NODE_C.peerId, epoch: 4, acting: false } } } })
    const { code, stdout } = await runCli(['status', '--api', daemon.url])
    assert.equal(code, 0)
    assert.match(stdout, new RegExp(`^leader +${NODE_C.peerId}  epoch 4  \\(not acting\\)$`, 'm'))
  })
})
