// The pure Chang-Roberts core on a simulated network (sim/election.ts): who wins, how many messages it
// takes against the algorithm's bounds, failover, crashes mid-election, partitions, a returning leader, bad
// input, and — at every virtual instant of every run — never two acting leaders.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ChangRoberts, DEFAULT_ELECTION_CONFIG } from '../../src/election/chang-roberts.js'
import { ElectionSim, permutations } from '../../sim/election.js'

const ids = (n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(1_000 + 37 * i))
const max = (xs: bigint[]): bigint => xs.reduce((a, b) => (a > b ? a : b))

/** After every event: at most one acting leader. */
const oneActing = (sim: ElectionSim) => (): void => {
  const acting = sim.acting()
  if (acting.length > 1) throw new Error(`two acting leaders at t=${sim.now}: ${acting.join(', ')}`)
}

/** Everyone alive agrees on `leader` in one epoch, and exactly that node acts. */
function settledOn (sim: ElectionSim, leader: bigint): boolean {
  const live = sim.live()
  const epochs = new Set(live.map(n => n.core.state().epoch))
  return epochs.size === 1 && live.every(n => n.core.state().leader === leader) && sim.acting().length === 1 && sim.acting()[0] === leader
}

describe('Chang-Roberts core', () => {
  it('every start order of 3–7 supernodes elects the largest id, one at a time and all at once', function () {
    this.timeout(60_000)
    for (let n = 3; n <= 7; n++) {
      const nodes = ids(n)
      for (const order of permutations(nodes)) {
        for (const together of [false, true]) {
          const sim = new ElectionSim(nodes, { seed: n })
          order.forEach((id, i) => { sim.start(id, together ? 0 : i * 20) })
          sim.run(800, oneActing(sim))
          assert.ok(settledOn(sim, max(nodes)), `n=${n} order=${order.join(',')} together=${together}`)
          assert.equal(sim.count('ELECTED'), n, 'ELECTED goes once round the ring')
        }
      }
    }
  })

  it('messages stay within the Chang-Roberts bounds; on a ring ordered by id the worst case is 2n − 1', () => {
    for (const n of [3, 5, 9]) {
      const nodes = ids(n)
      // One initiator: its ELECTION is replaced at each larger node until the largest id, which goes round once.
      const alone = (initiator: bigint): number => {
        const sim = new ElectionSim(nodes)
        sim.start(initiator, 0)
        for (const id of nodes) if (id !== initiator) sim.start(id, 1_000) // first tick after the election: they only answer
        sim.run(2_000)
        assert.ok(settledOn(sim, max(nodes)))
        return sim.count('ELECTION')
      }
      const counts = nodes.map(alone)
      assert.equal(Math.min(...counts), n, 'best case: the largest id starts, n messages')
      assert.equal(counts[0], 2 * n - 1, 'worst case: the smallest id starts, 2n − 1 messages')
      assert.ok(counts.every(c => c >= n && c <= 2 * n - 1))
      // Everyone at once: each smaller id is swallowed by its successor, the largest goes round: 2n − 1, well
      // under the general worst case n(n + 1)/2, which needs ids in decreasing ring order.
      const sim = new ElectionSim(nodes)
      for (const id of nodes) sim.start(id, 0)
      sim.run(2_000)
      assert.equal(sim.count('ELECTION'), 2 * n - 1)
      assert.ok(sim.count('ELECTION') <= (n * (n + 1)) / 2)
    }
  })

  it('the leader dies: the next largest id is elected in a later epoch and acts within 3 s', () => {
    const nodes = ids(5)
    const sim = new ElectionSim(nodes, { seed: 7 })
    for (const id of nodes) sim.start(id, 0)
    sim.run(2_000, oneActing(sim))
    const old = sim.nodes.get(max(nodes))!.core.state()
    sim.crash(max(nodes))
    const t0 = sim.now
    const next = max(nodes.slice(0, -1))
    const at = sim.runUntil(() => sim.acting()[0] === next, t0 + 5_000, oneActing(sim))
    assert.ok(at !== undefined, 'a new leader acts')
    assert.ok(at - t0 < 3_000, `failover took ${at - t0} ms`)
    sim.run(sim.now + 1_000, oneActing(sim))
    assert.ok(settledOn(sim, next))
    assert.ok(sim.nodes.get(next)!.core.state().epoch > old.epoch)
  })

  it('a supernode dies in the middle of an election: it still ends with the largest live id', () => {
    for (const victim of ['largest', 'another'] as const) {
      const nodes = ids(6)
      const sim = new ElectionSim(nodes, { seed: 3 })
      for (const id of nodes) sim.start(id, 0)
      sim.run(3) // ELECTION messages are in flight
      assert.ok(sim.count('ELECTION') > 0 && sim.count('ELECTED') === 0)
      const dead = victim === 'largest' ? max(nodes) : nodes[2]
      sim.crash(dead)
      const live = nodes.filter(id => id !== dead)
      sim.run(6_000, oneActing(sim))
      assert.ok(settledOn(sim, max(live)), `after the ${victim} died`)
    }
  })

  it('a partition: the minority holding the leader stops acting; the majority elects; after healing one leader', () => {
    const nodes = ids(5)
    const sim = new ElectionSim(nodes, { seed: 11 })
    for (const id of nodes) sim.start(id, 0)
    sim.run(2_000, oneActing(sim))
    assert.ok(settledOn(sim, nodes[4]))
    const minority = [nodes[4], nodes[0]]
    const majority = [nodes[1], nodes[2], nodes[3]]
    sim.partition(minority, majority)
    const t0 = sim.now
    sim.run(t0 + DEFAULT_ELECTION_CONFIG.leaseMs + 100, oneActing(sim))
    assert.deepEqual(sim.acting().filter(id => minority.includes(id)), [], 'the minority leader stopped acting when its lease ran out')
    const at = sim.runUntil(() => sim.acting()[0] === nodes[3], t0 + 5_000, oneActing(sim))
    assert.ok(at !== undefined && at - t0 < 3_000, 'the majority elected its largest id')
    sim.run(sim.now + 10_000, oneActing(sim))
    assert.deepEqual(sim.acting(), [nodes[3]], 'the minority never acts while cut off')
    sim.heal()
    sim.run(sim.now + 5_000, oneActing(sim))
    const live = sim.live()
    const top = Math.max(...live.map(n => n.core.state().epoch))
    const leaders = new Set(live.map(n => n.core.state().leader))
    assert.equal(leaders.size, 1, 'one leader after healing')
    assert.ok(live.every(n => n.core.state().epoch === top))
    assert.equal(sim.acting().length, 1)
  })

  it('an old leader that comes back follows: reconnected with its old state, or restarted following the view', () => {
    const nodes = ids(4)
    const sim = new ElectionSim(nodes, { seed: 5 })
    for (const id of nodes) sim.start(id, 0)
    sim.run(2_000, oneActing(sim))
    const old = max(nodes)
    // Cut off, not dead: it keeps its state and comes back with an older epoch.
    sim.partition([old], nodes.slice(0, -1))
    sim.run(sim.now + 5_000, oneActing(sim))
    sim.heal()
    sim.run(sim.now + 3_000, oneActing(sim))
    const leader = sim.acting()[0]
    assert.ok(leader !== undefined)
    assert.equal(sim.live().filter(n => n.core.state().leader === leader).length, 4, 'the returning node follows too')
    // Crash and restart: it joins following the current leader (what admission hands a supernode).
    sim.crash(leader)
    sim.run(sim.now + 3_000, oneActing(sim))
    const now = sim.acting()[0]
    assert.ok(now !== undefined && now !== leader)
    sim.restart(leader, { leader: now, epoch: sim.nodes.get(now)!.core.state().epoch })
    sim.run(sim.now + 5_000, oneActing(sim))
    assert.deepEqual(sim.acting(), [now], 'the restarted node does not take over')
    assert.equal(sim.nodes.get(leader)!.core.state().role, 'follower')
  })

  it('the leader leaving the set starts an election at once', () => {
    const nodes = ids(3)
    const sim = new ElectionSim(nodes, { seed: 2 })
    for (const id of nodes) sim.start(id, 0)
    sim.run(1_000)
    const rest = nodes.slice(0, -1)
    sim.crash(max(nodes))
    for (const n of sim.live()) sim.inject(n.id, n.core.setMembers(rest, sim.now))
    // setMembers started the election; no heartbeat timeout to wait for.
    const t0 = sim.now
    const at = sim.runUntil(() => sim.acting()[0] === max(rest), t0 + 3_000, oneActing(sim))
    assert.ok(at !== undefined && at - t0 < DEFAULT_ELECTION_CONFIG.leaderTimeoutMs, `handover took ${at === undefined ? 'forever' : at - t0} ms`)
  })

  it('rejects messages from unknown supernodes, of stale epochs, or malformed, without changing state', () => {
    const [a, b, c] = ids(3)
    const core = new ChangRoberts({ ...DEFAULT_ELECTION_CONFIG, self: b })
    core.setMembers([a, b, c], 0)
    core.step(c, { type: 'ELECTED', id: c, epoch: 4 }, 10)
    const before = core.state(10)
    const bad: Array<[bigint, Parameters<ChangRoberts['step']>[1]]> = [
      [999n, { type: 'ELECTION', id: 999n, epoch: 9 }],
      [a, { type: 'ELECTION', id: 999n, epoch: 9 }],
      [a, { type: 'ELECTION', id: c, epoch: 3 }],
      [c, { type: 'HEARTBEAT', id: c, epoch: 2, sent: 5 }],
      [a, { type: 'HEARTBEAT', id: c, epoch: 9, sent: 5 }],
      [c, { type: 'HEARTBEAT', id: c, epoch: -1, sent: 5 }],
      [c, { type: 'HEARTBEAT', id: c, epoch: 1.5, sent: 5 }],
      [c, { type: 'HEARTBEAT', id: c, epoch: 5, sent: Number.NaN }],
      [c, { type: 'NOMINATE', id: c, epoch: 5 } as unknown as Parameters<ChangRoberts['step']>[1]],
      [a, { type: 'HEARTBEAT_ACK', id: b, epoch: 4, sent: 1 }]
    ]
    for (const [from, m] of bad) {
      const out = core.step(from, m, 20)
      assert.ok(out.rejected !== undefined, `${m.type} from ${from} should be rejected`)
      assert.deepEqual(out.send, [])
      assert.deepEqual(core.state(20), { ...before, acting: false })
    }
  })

  it('property: under random crashes, restarts and partitions never two acting leaders; once whole and quiet, one', function () {
    this.timeout(120_000)
    const action = fc.oneof(
      fc.record({ kind: fc.constant('crash' as const), who: fc.nat(6) }),
      fc.record({ kind: fc.constant('restart' as const), who: fc.nat(6) }),
      fc.record({ kind: fc.constant('partition' as const), mask: fc.nat(127) }),
      fc.record({ kind: fc.constant('heal' as const) })
    )
    fc.assert(fc.property(fc.integer({ min: 3, max: 7 }), fc.array(fc.tuple(action, fc.integer({ min: 10, max: 3_000 })), { maxLength: 8 }), fc.nat(1_000), (n, schedule, seed) => {
      const nodes = ids(n)
      const sim = new ElectionSim(nodes, { seed })
      nodes.forEach((id, i) => { sim.start(id, i * 7) })
      const check = oneActing(sim)
      sim.run(1_500, check)
      for (const [a, wait] of schedule) {
        if (a.kind === 'crash') sim.crash(nodes[a.who % n])
        else if (a.kind === 'restart') {
          const id = nodes[a.who % n]
          if (!sim.nodes.get(id)!.alive) {
            const leader = sim.live().map(x => x.core.state()).find(s => s.leader !== undefined)
            sim.restart(id, leader?.leader === undefined ? undefined : { leader: leader.leader, epoch: leader.epoch })
          }
        } else if (a.kind === 'partition') {
          sim.partition(nodes.filter((_, i) => (a.mask >> i) & 1), nodes.filter((_, i) => ((a.mask >> i) & 1) === 0))
        } else sim.heal()
        sim.run(sim.now + wait, check)
      }
      sim.heal()
      sim.run(sim.now + 8_000, check)
      if (sim.live().length * 2 <= n) return sim.acting().length === 0 // no majority alive: nobody may act
      const acting = sim.acting()
      return acting.length === 1 && sim.live().every(x => x.core.state().leader === acting[0])
    }), { numRuns: 150 })
  })
})
