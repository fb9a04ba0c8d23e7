// System test of the supernodes: 3 supernodes and 6 peers as `chord-peer` processes. They agree on one acting
// leader (`chord-peer leader`); SIGKILL of the leader → a new leader acts and joins keep working, including one
// started during the failover; the old leader restarts with its identity and follows; a graceful shutdown of
// the leader hands over. Needs `npm run build`.
import assert from 'node:assert/strict'
import { Processes, type Daemon } from '../../harness/processes.js'
import { waitFor } from '../utils/wait.js'
import type { LeaderJson, RingJson } from '../../src/api/types.js'
import { apiFetch } from '../utils/api.js'

describe('system: 3 supernodes and 6 peers as processes', function () {
  this.timeout(240_000)
  const procs = new Processes()
  after(async () => { await procs.stopAll() })

  /** GET /api/leader straight from the daemon (polling through the CLI would add a process start per try). */
  async function leaderOf (d: Daemon): Promise<LeaderJson | undefined> {
    try {
      const res = await apiFetch(d, `/api/leader`, { signal: AbortSignal.timeout(2_000) })
      return res.ok ? await res.json() as LeaderJson : undefined
    } catch {
      return undefined
    }
  }

  /** Every daemon in `ds` names the same acting leader; returns its PeerId. */
  async function agreedLeader (ds: Daemon[]): Promise<string | undefined> {
    const views = await Promise.all(ds.map(leaderOf))
    const ids = new Set(views.map(v => v?.acting === true ? v.leader?.peerId : undefined))
    return ids.size === 1 && !ids.has(undefined) ? [...ids][0] : undefined
  }

  async function ringOk (via: Daemon, members: number): Promise<boolean> {
    const res = await procs.cli(['ring', '--check', '--json', '--api', via.apiUrl, '--api-token', via.apiToken])
    if (res.code !== 0) return false
    const ring = JSON.parse(res.stdout) as RingJson
    return ring.check?.ok === true && ring.members.length === members
  }

  const peerIdOf = (d: Daemon): string => d.multiaddr.split('/p2p/')[1]

  it('elect one leader, fail over on SIGKILL, keep admitting, take the old leader back as a follower, hand over on SIGTERM', async () => {
    const first = await procs.daemon(['--bootstrap', '--k', '3'])
    const supers = [first, ...await Promise.all([1, 2].map(async () => procs.supernode(first)))]
    const viaAll = (ds: Daemon[]): string[] => ds.flatMap(d => ['--connect', d.multiaddr])
    const peers = await Promise.all(Array.from({ length: 6 }, async () => procs.daemon(viaAll(supers))))
    await waitFor(async () => ringOk(first, 9), { timeoutMs: 60_000, intervalMs: 500, what: 'a 9-member ring' })
    let leader = ''
    await waitFor(async () => (leader = await agreedLeader([...supers, peers[0]]) ?? '') !== '',
      { timeoutMs: 20_000, intervalMs: 200, what: 'one acting leader' })

    // The CLI: the leader, its epoch and three live supernodes, from a peer's daemon too.
    const cli = await procs.cli(['leader', '--json', '--api', peers[0].apiUrl, '--api-token', peers[0].apiToken])
    assert.equal(cli.code, 0, cli.stderr)
    const seen = JSON.parse(cli.stdout) as LeaderJson
    assert.equal(seen.leader?.peerId, leader)
    assert.equal(seen.role, 'peer')
    assert.deepEqual(seen.supernodes.map(s => s.alive), [true, true, true])
    const human = await procs.cli(['leader', '--api', supers[1].apiUrl, '--api-token', supers[1].apiToken])
    assert.equal(human.code, 0)
    assert.match(human.stdout, /3 known, 3 alive/)

    // SIGKILL the leader; start a join at once through all three supernodes, the dead one included.
    const old = supers.find(d => peerIdOf(d) === leader)!
    const survivors = supers.filter(d => d !== old)
    const epoch = (await leaderOf(survivors[0]))!.epoch
    await procs.kill(old, 'SIGKILL')
    const joining = procs.daemon(viaAll(supers), { timeoutMs: 30_000 })
    let next = ''
    // How fast is a figure of bench/election.ts; here only that it happens.
    await waitFor(async () => { next = await agreedLeader(survivors) ?? ''; return next !== '' && next !== leader },
      { timeoutMs: 20_000, intervalMs: 50, what: 'a new acting leader' })
    assert.ok((await leaderOf(survivors[0]))!.epoch > epoch)
    const late = await joining
    await waitFor(async () => ringOk(late, 9), { timeoutMs: 60_000, intervalMs: 500, what: 'the ring with the late joiner' })

    // The old leader restarts with its identity: it joins and follows.
    const back = await procs.daemon(['--bootstrap', '--connect', survivors[0].multiaddr], { dataDir: old.dataDir })
    const group = [...survivors, back]
    await waitFor(async () => (await agreedLeader(group)) === next,
      { timeoutMs: 20_000, intervalMs: 200, what: 'the old leader following' })
    const backView = (await leaderOf(back))!
    assert.equal(backView.role, 'follower')
    assert.equal(backView.supernodes.length, 3)

    // SIGTERM the leader: it leaves the view and the others elect at once.
    const current = group.find(d => peerIdOf(d) === next)!
    const rest = group.filter(d => d !== current)
    assert.equal(await procs.kill(current, 'SIGTERM'), 0)
    await waitFor(async () => { const l = await agreedLeader(rest); return l !== undefined && l !== next },
      { timeoutMs: 20_000, intervalMs: 50, what: 'a leader after the handover' })
    const after = (await leaderOf(rest[0]))!
    assert.equal(after.supernodes.length, 2, 'the leader that shut down left the view')
    await waitFor(async () => ringOk(rest[0], 9), { timeoutMs: 60_000, intervalMs: 500, what: 'the ring after the handover' })
  })
})
