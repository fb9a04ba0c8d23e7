// `chord-peer leader` against a stub daemon: the human block, --json, and exit 1 when no leader acts.
import assert from 'node:assert/strict'
import { runCli, startStubDaemon } from '../utils/cli.js'
import { NODE_B, NODE_C, STATUS } from '../utils/cli-fixtures.js'
import type { StubDaemon } from '../utils/cli.js'
import type { LeaderJson } from '../../src/api/types.js'

const LEADER: LeaderJson = {
  leader: NODE_C,
  epoch: 7,
  acting: true,
  role: 'follower',
  supernodes: [
    { ...STATUS.node, leader: false, alive: true },
    { ...NODE_B, leader: false, alive: false, lastSeenMs: 12_000 },
    { ...NODE_C, leader: true, alive: true, lastSeenMs: 150 }
  ],
  view: { version: 31, members: 9 }
}

describe('cli: leader', () => {
  let daemon: StubDaemon | undefined
  afterEach(async () => { await daemon?.close() })

  it('prints the leader, epoch, role, view and each supernode with its liveness', async () => {
    daemon = await startStubDaemon({ '/api/leader': { body: LEADER } })
    const { code, stdout, stderr } = await runCli(['leader', '--api', daemon.url])
    assert.equal(code, 0, stderr)
    assert.deepEqual(daemon.requests.map(u => u.pathname), ['/api/leader'])
    assert.match(stdout, /^leader +c1d2e3f4 /m)
    assert.match(stdout, /^epoch +7$/m)
    assert.match(stdout, /^this node +follower$/m)
    assert.match(stdout, /^view +version 31, 9 members$/m)
    assert.match(stdout, /3 known, 2 alive \(a majority is 2\)/)
    assert.match(stdout, new RegExp(`\\* +c1d2e3f4 +${NODE_C.peerId} +alive +seen 150 ms ago`))
    assert.match(stdout, new RegExp(`7c00aa01 +${NODE_B.peerId} +silent +seen 12s ago`))
  })

  it('--json prints the daemon\'s answer; no acting leader exits 1', async () => {
    const none: LeaderJson = { ...LEADER, acting: false }
    delete none.leader
    daemon = await startStubDaemon({ '/api/leader': { body: none } })
    const json = await runCli(['leader', '--json', '--api', daemon.url])
    assert.equal(json.code, 1)
    assert.deepEqual(JSON.parse(json.stdout), none)
    const human = await runCli(['leader', '--api', daemon.url])
    assert.equal(human.code, 1)
    assert.match(human.stdout, /^leader +none known/m)
  })
})
