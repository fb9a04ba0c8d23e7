// The simulator in simulated time (sim/maintenance.ts): every node runs each maintenance task on its own jittered
// timer, the bytes are the real wire messages (sim/network.ts), and a quiet ring at the default timers costs
// under 1 KB/s per node; churn keeps N constant and lookups stay correct; runs are deterministic.
import assert from 'node:assert/strict'
import { runTraffic, TimedSim, type TrafficReport } from '../../sim/maintenance.js'
import { main } from '../../sim/traffic-cli.js'

const withoutTimes = (report: TrafficReport): unknown => ({ ...report, ms: undefined })

describe('sim/maintenance', function () {
  this.timeout(60_000)

  it('each node runs each task at its own interval (default timers: 1 s, 0.5 s, 2 s)', async () => {
    const rep = await runTraffic({ nodes: 50, warmupS: 5, measureS: 40 })
    const perNodeSecond = (task: string): number => rep.byTask[task].calls / rep.aliveSeconds
    // stabilize: GET_STATE + its reply, no NOTIFY in a quiet ring; check_predecessor: PING + reply
    assert.ok(Math.abs(perNodeSecond('stabilize') - 2) < 0.15, `stabilize ${perNodeSecond('stabilize')} messages/s`)
    assert.ok(Math.abs(perNodeSecond('check_predecessor') - 1) < 0.1, `check_predecessor ${perNodeSecond('check_predecessor')}`)
    assert.equal(rep.aliveSeconds, 50 * 40)
  })

  it('a quiet ring costs under 1 KB/s per node at the default timers; without GET_STATE digests it does not', async () => {
    const options = { nodes: 200, warmupS: 20, measureS: 20 }
    const rep = await runTraffic(options)
    assert.ok(rep.bytesPerNodeSecond < 1000, `${rep.bytesPerNodeSecond} B/s per node`)
    assert.equal(rep.byKind.findSuccessor.calls, 0, 'no lookups: fix_fingers confirms its fingers')
    assert.equal(rep.byKind.notify.calls, 0)
    const full = await runTraffic({ ...options, stateDigests: false })
    assert.ok(full.bytesPerNodeSecond > 3000, `${full.bytesPerNodeSecond} B/s per node without digests`)
  })

  it('under churn N stays constant, joins succeed, and lookups are right', async () => {
    const rep = await runTraffic({ nodes: 100, warmupS: 30, measureS: 300, meanSessionS: 600, lookupIntervalS: 30 })
    assert.ok(rep.churn !== undefined && rep.lookups !== undefined)
    assert.ok(rep.churn.departures > 20, `${rep.churn.departures} departures`)
    assert.equal(rep.churn.joins, rep.churn.departures)
    assert.ok(Math.abs(rep.aliveSeconds - 100 * 300) < 1e-6, `${rep.aliveSeconds} node-alive seconds`)
    const l = rep.lookups
    assert.ok(l.lookups > 500)
    assert.equal(l.correct + l.incorrect + l.failed, l.lookups)
    assert.ok(l.correct >= 0.98 * l.lookups, `${l.correct} of ${l.lookups} correct`)
    assert.ok(l.latencyMs.p50 >= 20 && l.latencyMs.p50 < 1000, `median latency ${l.latencyMs.p50} ms`)
    assert.ok(rep.byTask.join.bytes > 0)
  })

  it('under churn a changed GET_STATE answer goes without the certificates the asker holds: the same ring for fewer bytes', async () => {
    const options = { nodes: 100, warmupS: 30, measureS: 120, meanSessionS: 120, lookupIntervalS: 30, seed: 2 }
    const deltas = await runTraffic(options)
    const resent = await runTraffic({ ...options, certDeltas: false })
    assert.ok(deltas.churn !== undefined && deltas.churn.departures > 20)
    assert.deepEqual(deltas.churn, resent.churn)
    assert.deepEqual(deltas.lookups, resent.lookups, 'only the bytes differ')
    const [a, b] = [deltas.byKind.getState.payload, resent.byKind.getState.payload]
    assert.ok(a < 0.7 * b, `GET_STATE payload ${a} B with deltas, ${b} B without`)
  })

  it('is deterministic: the same seed gives the same report', async () => {
    const options = { nodes: 40, warmupS: 5, measureS: 30, meanSessionS: 120, lookupIntervalS: 10, seed: 3 }
    assert.deepEqual(withoutTimes(await runTraffic(options)), withoutTimes(await runTraffic(options)))
    assert.notDeepEqual(withoutTimes(await runTraffic(options)), withoutTimes(await runTraffic({ ...options, seed: 4 })))
  })

  it('a warm start is a converged ring: owners, predecessors and successor lists from the sorted ids', () => {
    const sim = new TimedSim({ m: 8, r: 3, seed: 5 })
    const nodes = sim.warmStart(20)
    const ids = nodes.map(n => n.self.id).sort((a, b) => (a < b ? -1 : 1))
    for (const node of nodes) {
      const i = ids.indexOf(node.self.id)
      assert.equal(node.state.predecessor?.id, ids[(i + 19) % 20])
      assert.deepEqual(node.state.successors.map(n => n.id), [1, 2, 3].map(k => ids[(i + k) % 20]))
      assert.equal(sim.owner(node.self.id), node.self.id)
    }
    assert.equal(sim.owner(ids[19] + 1n > 255n ? 0n : ids[19] + 1n), ids[0])
  })

  it('the CLI exits 2 on a bad flag and prints the tables', async () => {
    const out: string[] = []
    const err: string[] = []
    const io = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } }
    assert.equal(await main(['--nodes', 'ten'], io), 2)
    assert.equal(await main(['--nodes', '20', '--session-mean', '60', '--session-median', '60'], io), 2)
    out.length = 0
    assert.equal(await main(['--nodes', '20', '--warmup', '2', '--measure', '5', '-q'], io), 0)
    assert.match(out.join(''), /B\/s per node on the wire/)
    assert.match(out.join(''), /\| stabilize \|/)
  })
})
