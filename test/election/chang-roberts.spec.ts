// The pure Chang-Roberts core (src/election/chang-roberts.ts) on the simulated network of
// sim/election.ts: who wins for every ring order and start order, the message counts against the
// algorithm's bounds, failover, crashes mid-election, partitions, returning leaders, bad input, and — checked by
// the simulator after every event of every run — never two acting leaders at one virtual instant.
//
//   the production ring of 5 (ascending ids): 1000 → 1037 → 1074 → 1111 → 1148
//                                             ↑                              │
//                                             └──────────────────────────────┘
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ChangRoberts, DEFAULT_ELECTION_CONFIG, type ElectionMessage, type ElectionState } from '../../src/election/chang-roberts.js'
import { LagMeter } from '../../src/election/service.js'
import { ElectionSim, arrangedAs, measureElection, permutations, simIds, type Comeback } from '../../sim/election.js'

const D = DEFAULT_ELECTION_CONFIG
const max = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => (a > b ? a : b))
/** Cases per property; FC_RUNS=1000 for a long soak. */
const RUNS = Number(process.env.FC_RUNS ?? 150)

/** Hops from `from` to the first node after it on `ring` with an id larger than `id` (n when there is none). */
function hopsToLarger (ring: readonly bigint[], from: bigint, id: bigint): number {
  const n = ring.length
  const at = ring.indexOf(from)
  for (let k = 1; k < n; k++) if (ring[(at + k) % n] > id) return k
  return n
}

/** ELECTION messages when only `initiator` starts: to the largest id, then once round. */
const singleCost = (ring: readonly bigint[], initiator: bigint): number =>
  initiator === max(ring)
    ? ring.length
    : hopsToLarger(ring, initiator, initiator) +
      singleCost(ring, ring[(ring.indexOf(initiator) + hopsToLarger(ring, initiator, initiator)) % ring.length])
/** ELECTION messages when all start at once: each id travels until a larger node swallows it, the largest once round. */
const allCost = (ring: readonly bigint[]): number => ring.reduce((sum, id) => sum + hopsToLarger(ring, id, id), 0)

/** A sim whose nodes all start at 0, run until one leader acts and all follow it. */
function settledSim (ids: readonly bigint[], seed: number): ElectionSim {
  const sim = new ElectionSim(ids, { seed })
  sim.startAll(0)
  assert.ok(sim.runUntil(() => sim.settled() !== undefined, 5_000) !== undefined, 'no leader to start from')
  return sim
}

describe('election/chang-roberts on a simulated network', () => {
  describe('every order of 3–7 supernodes (5 910 orders, three runs each)', function () {
    this.timeout(60_000)
    const orders = [3, 4, 5, 6, 7].flatMap(n => permutations(simIds(n)))

    it('ring in that order, only its first node starts: the largest id wins in epoch 1 with dist + n ELECTIONs and n ELECTEDs', () => {
      for (const [i, ring] of orders.entries()) {
        const n = ring.length
        const sim = new ElectionSim(ring, { seed: i, config: { arrange: arrangedAs(ring) } })
        sim.start(ring[0], 0)
        for (const id of ring.slice(1)) sim.start(id, 300) // their timers start after the election is over
        sim.run(1_000)
        const what = `ring ${ring.join(' → ')}`
        assert.deepEqual(sim.settled(), { leader: max(ring), epoch: 1 }, what)
        assert.equal(sim.sent.ELECTION, singleCost(ring, ring[0]), what)
        assert.ok(sim.sent.ELECTION >= n && sim.sent.ELECTION <= 2 * n - 1, what)
        assert.equal(sim.sent.ELECTED, n, what)
        assert.deepEqual(sim.rejected, [], what)
      }
    })

    it('ring in that order, all start at once: the largest id wins; 2n − 1 ≤ ELECTIONs ≤ the arrangement\'s cost ≤ n(n + 1)/2', () => {
      for (const [i, ring] of orders.entries()) {
        const n = ring.length
        const sim = new ElectionSim(ring, { seed: i, config: { arrange: arrangedAs(ring) } })
        sim.startAll(0)
        sim.run(1_000)
        const what = `ring ${ring.join(' → ')}`
        assert.deepEqual(sim.settled(), { leader: max(ring), epoch: 1 }, what)
        const cost = allCost(ring)
        assert.ok(cost <= (n * (n + 1)) / 2 && sim.sent.ELECTION <= cost && sim.sent.ELECTION >= 2 * n - 1,
          `${what}: ${sim.sent.ELECTION} of ${cost}`)
        // A smaller id still travelling when the result is known is dropped early; otherwise the count is exact.
        if (sim.rejected.length === 0) assert.equal(sim.sent.ELECTION, cost, what)
        assert.equal(sim.sent.ELECTED, n, what)
      }
    })

    it('production ring (ascending ids), nodes starting 2 ms apart in that order: the largest id wins, n ≤ ELECTIONs ≤ 2n − 1', () => {
      for (const [i, order] of orders.entries()) {
        const n = order.length
        const sim = new ElectionSim(order, { seed: i })
        order.forEach((id, k) => { sim.start(id, 2 * k) })
        sim.run(1_000)
        const what = `start order ${order.join(', ')}`
        assert.deepEqual(sim.settled(), { leader: max(order), epoch: 1 }, what)
        assert.ok(sim.sent.ELECTION >= n && sim.sent.ELECTION <= 2 * n - 1, `${what}: ${sim.sent.ELECTION}`)
        assert.equal(sim.sent.ELECTED, n, what)
      }
    })
  })

  it('message counts hit the Chang-Roberts bounds exactly in the best and worst arrangements (n = 3…9)', () => {
    for (let n = 3; n <= 9; n++) {
      const ids = simIds(n)
      const fixed = { delay: [1, 1] as const } // equal delays: no message overtakes another
      // One initiator: n when it is the largest id, 2n − 1 when it is the node after the largest.
      assert.equal(measureElection(n, { starters: 'largest', ...fixed }).election, n)
      assert.equal(measureElection(n, { starters: 'smallest', ...fixed }).election, 2 * n - 1)
      for (const id of ids) {
        const sim = new ElectionSim(ids, { seed: n })
        sim.start(id, 0)
        for (const other of ids) if (other !== id) sim.start(other, 300)
        sim.run(1_000)
        assert.equal(sim.settled()?.leader, max(ids))
        assert.ok(sim.sent.ELECTION >= n && sim.sent.ELECTION <= 2 * n - 1)
      }
      // All at once: 2n − 1 on the ascending ring (best), n(n + 1)/2 on the descending ring (worst).
      const best = measureElection(n, { starters: 'all', ...fixed })
      const worst = measureElection(n, { starters: 'all', ring: 'descending', ...fixed })
      assert.equal(best.election, 2 * n - 1)
      assert.equal(worst.election, (n * (n + 1)) / 2)
      for (const r of [best, worst]) {
        assert.equal(r.elected, n)
        assert.equal(r.leader, max(ids))
        assert.ok(r.agreedMs < 100 && r.actingMs < D.promiseMs + D.heartbeatIntervalMs + 50, `${r.agreedMs} / ${r.actingMs} ms`)
      }
    }
  })

  it('each core counts what it sends: the sums equal the network\'s counts', () => {
    const sim = settledSim(simIds(5), 3)
    sim.crash(simIds(5)[4])
    sim.run(sim.now + 3_000)
    for (const type of ['ELECTION', 'ELECTED', 'HEARTBEAT', 'HEARTBEAT_ACK'] as const) {
      const sum = [...sim.nodes.values()].reduce((a, n) => a + n.core.counts().sent[type], 0)
      assert.equal(sum, sim.sent[type], type)
    }
    assert.ok(sim.sent.ELECTION > 0 && sim.sent.HEARTBEAT_ACK > 0)
  })

  it('the leader dies: the next largest id leads a later epoch and acts within 3 s (virtual), whenever it dies', () => {
    let worst = 0
    for (const n of [3, 5, 9]) {
      const ids = simIds(n)
      for (const offset of [0, 37, 101, 163]) { // crash moments spread over a heartbeat period
        const sim = settledSim(ids, n + offset)
        sim.run(sim.now + offset)
        const old = sim.settled()!
        sim.crash(old.leader)
        const t0 = sim.now
        const next = max(ids.slice(0, -1))
        const at = sim.runUntil(() => sim.settled()?.leader === next, t0 + 10_000)
        assert.ok(at !== undefined, `n=${n}: no new leader`)
        const took = at - t0
        // Nobody may notice before leaderTimeoutMs after the last heartbeat; acting must come within 3 s.
        assert.ok(took >= D.leaderTimeoutMs - D.heartbeatIntervalMs && took < 3_000, `n=${n}: failover took ${took} ms`)
        assert.ok(sim.settled()!.epoch > old.epoch)
        worst = Math.max(worst, took)
      }
    }
    assert.ok(worst < 1_300, `worst failover ${worst} ms`) // leaderTimeout + one election + a round trip
  })

  it('a supernode dies while ELECTION messages are in flight: the election still ends with the largest live id', () => {
    const ids = simIds(6)
    let cases = 0
    for (const starters of ['all', 'one'] as const) {
      for (const victim of [ids[5], ids[4], ids[0], ids[2]]) { // the largest, the next, the (one) initiator, another
        for (const at of [1, 2, 3, 5, 8, 10]) {
          const sim = new ElectionSim(ids, { seed: at })
          if (starters === 'all') sim.startAll(0)
          else { sim.start(ids[0], 0); for (const id of ids.slice(1)) sim.start(id, 2_000) }
          sim.run(at)
          if (sim.sent.ELECTION === 0 || sim.sent.ELECTED >= ids.length) continue // not mid-election
          cases++
          sim.crash(victim)
          const live = ids.filter(id => id !== victim)
          const done = sim.runUntil(() => sim.settled()?.leader === max(live), 10_000)
          assert.ok(done !== undefined, `${starters} start, ${victim} died at ${at} ms`)
          sim.run(sim.now + 2_000)
          assert.equal(sim.settled()?.leader, max(live), 'and it stays')
        }
      }
    }
    assert.ok(cases >= 40, `only ${cases} crashes hit an election in flight`)
  })

  it('a 2 | 3 partition with the leader in the minority: the minority stops acting when the lease ends, ' +
    'the majority elects, healing keeps one leader', () => {
    const ids = simIds(5)
    const sim = settledSim(ids, 11)
    assert.equal(sim.settled()?.leader, ids[4])
    const minority = [ids[4], ids[0]]
    const majority = [ids[1], ids[2], ids[3]]
    sim.partition(minority, majority)
    const t0 = sim.now
    const minorityActs = (): boolean => sim.acting().some(id => minority.includes(id))
    sim.run(t0 + D.leaseMs)
    assert.equal(minorityActs(), false, 'the old leader\'s lease ran out')
    const at = sim.runUntil(() => sim.acting()[0] === ids[3], t0 + 5_000)
    assert.ok(at !== undefined && at - t0 < 3_000, `the majority's largest id acts (${at === undefined ? 'never' : at - t0} ms)`)
    assert.equal(sim.runUntil(minorityActs, sim.now + 10_000), undefined, 'the minority never acts while cut off')
    assert.deepEqual(sim.acting(), [ids[3]])
    sim.heal()
    const healed = sim.now
    assert.ok(sim.runUntil(() => sim.settled() !== undefined, healed + 5_000) !== undefined, 'one leader after healing')
    const top = Math.max(...sim.live().map(n => n.core.state().epoch))
    assert.deepEqual(sim.settled(), { leader: ids[3], epoch: top }, 'the returning old leader follows the one of the highest epoch')
    assert.equal(sim.runUntil(() => sim.acting()[0] !== ids[3], healed + 10_000), undefined, 'and leadership does not move')
  })

  it('a leader that acked another just before it won counts its own vote only once that promise is over (non-transitive cut)', () => {
    // a ─ b ─ c ─ (a): c leads. a loses c and calls an election; b, which acked c a moment ago, then loses c
    // too and wins with a's ack. c, alone, still counts b's last ack until its lease ends; b must not count
    // itself before its promise to c ends, or both would act.
    const [a, b, c] = simIds(3)
    const sim = new ElectionSim([a, b, c], { seed: 4, timeoutMs: 20 }) // a cut link fails fast (a reset, not a timeout)
    sim.startAll(0)
    assert.ok(sim.runUntil(() => sim.settled()?.leader === c, 5_000) !== undefined)
    sim.cut(a, c)
    assert.ok(sim.runUntil(() => sim.node(a).core.state().role === 'candidate', sim.now + 2_000) !== undefined)
    const promised = sim.node(b).core.state().promise
    assert.ok(promised?.to === c && promised.until > sim.now + 300, 'b acked c lately')
    sim.cut(b, c)
    const won = sim.runUntil(() => sim.node(b).core.state().role === 'leader', sim.now + 2_000)
    assert.ok(won !== undefined && won < promised.until, 'b wins while its promise to c holds')
    assert.ok(sim.node(c).core.acting(sim.now), 'c still acts on b\'s last ack: if b counted itself now, both would act')
    const acts = sim.runUntil(() => sim.node(b).core.acting(sim.now), sim.now + 2_000)
    assert.equal(acts, promised.until, 'b acts exactly when its promise ends')
    assert.equal(sim.node(c).core.state().role, 'leader', 'c, cut off, still thinks it leads (but does not act)')
  })

  describe('an old leader that comes back follows and never acts', () => {
    it('reconnected after a partition, with its old state', () => {
      const ids = simIds(4)
      const sim = settledSim(ids, 5)
      const old = ids[3]
      sim.partition([old], ids.slice(0, 3))
      sim.run(sim.now + 5_000)
      assert.equal(sim.node(old).core.state().role, 'leader', 'it still thinks it leads, alone')
      const epoch = sim.node(old).core.state().epoch
      sim.heal()
      assert.equal(sim.runUntil(() => sim.node(old).core.acting(sim.now), sim.now + 5_000), undefined)
      assert.deepEqual(sim.settled(), { leader: ids[2], epoch: epoch + 1 })
    })

    for (const how of ['fresh', 'stored-epoch', 'follow'] as const satisfies readonly Comeback[]) {
      it(`restarted (${how})`, () => {
        const ids = simIds(5)
        const sim = settledSim(ids, 9)
        const old = ids[4]
        const before = sim.node(old).core.state().epoch
        sim.crash(old)
        assert.ok(sim.runUntil(() => sim.settled()?.leader === ids[3], sim.now + 3_000) !== undefined)
        const current = sim.settled()!
        if (how === 'stored-epoch') assert.equal(before + 1, current.epoch, 'its ELECTION will name the epoch already won')
        sim.restart(old, how)
        assert.equal(sim.runUntil(
          () => sim.node(old).core.acting(sim.now) || (sim.settled() !== undefined && sim.settled()?.leader !== ids[3]),
          sim.now + 8_000
        ), undefined, 'it never acts and leadership stays')
        assert.deepEqual(sim.settled(), current, 'it follows the current leader, same epoch')
        assert.equal(sim.node(old).core.state().role, 'follower')
      })
    }
  })

  it('the leader leaving the set starts an election at once (no heartbeat timeout)', () => {
    const ids = simIds(3)
    const sim = settledSim(ids, 2)
    const rest = ids.slice(0, 2)
    sim.crash(ids[2])
    const t0 = sim.now
    for (const n of sim.live()) sim.inject(n.id, n.core.setMembers(rest, sim.now))
    const agreed = sim.runUntil(() => sim.live().every(n => n.core.state().leader === rest[1]), t0 + 3_000)
    assert.ok(agreed !== undefined && agreed - t0 < 50, `the election took ${agreed === undefined ? 'forever' : agreed - t0} ms`)
    // It acts once the followers' promises to the old leader (at most promiseMs old) have run out.
    const at = sim.runUntil(() => sim.settled()?.leader === rest[1], t0 + 3_000)
    assert.ok(at !== undefined && at - t0 <= D.promiseMs + 50, `handover took ${at === undefined ? 'forever' : at - t0} ms`)
  })

  describe('the core alone', () => {
    const [a, b, c] = simIds(3)
    const core3 = (self: bigint, config = {}): ChangRoberts => {
      const core = new ChangRoberts({ ...D, ...config, self })
      core.setMembers([a, b, c], 0)
      return core
    }

    it('a lone supernode elects itself at its first tick and acts once its boot quiet period is over', () => {
      const core = new ChangRoberts({ ...D, self: a })
      assert.deepEqual(core.setMembers([a], 0).events, [])
      const first = core.tick(0)
      assert.deepEqual(first.send, [])
      assert.deepEqual(first.events, [{ type: 'election:start', epoch: 1 }, { type: 'leader:change', leader: a, epoch: 1 }])
      assert.equal(core.acting(0), false)
      assert.equal(core.nextTick(), D.heartbeatIntervalMs)
      // Tick when asked to: it heartbeats (to nobody) and starts acting exactly when the quiet period ends.
      let at = 0
      while (!core.acting(at)) {
        at = core.nextTick()
        const out = core.tick(at)
        if (core.acting(at)) assert.deepEqual(out.events, [{ type: 'acting:change', acting: true, epoch: 1 }])
        assert.ok(at <= D.promiseMs)
      }
      assert.equal(at, D.promiseMs)
      const eager = new ChangRoberts({ ...D, self: a, bootQuietMs: 0 })
      eager.setMembers([a], 0)
      eager.tick(0)
      assert.equal(eager.acting(0), true, 'without a quiet period it acts at once')
    })

    it('a follower acks, promises itself for promiseMs, and acks no other leader meanwhile, even of a later epoch', () => {
      const core = core3(a, { bootQuietMs: 0 })
      const hb = (id: bigint, epoch: number, sent: number): ElectionMessage => ({ type: 'HEARTBEAT', id, epoch, sent })
      assert.deepEqual(core.step(c, hb(c, 1, 10), 11).send, [{ to: c, message: { type: 'HEARTBEAT_ACK', id: c, epoch: 1, sent: 10 } }])
      const later = core.step(b, hb(b, 2, 100), 101)
      assert.equal(later.rejected, undefined)
      assert.deepEqual(later.send, [], 'promised to c until 811')
      assert.equal(core.state().leader, b, 'but it follows the later epoch')
      assert.deepEqual(core.state().promise, { to: c, until: 11 + D.promiseMs })
      assert.equal(core.step(b, hb(b, 2, 811), 811).send.length, 1, 'the promise is over')
    })

    it('slack (a starved machine) delays a follower\'s election by exactly that much, and nothing else', () => {
      const hb = (epoch: number, sent: number): ElectionMessage => ({ type: 'HEARTBEAT', id: c, epoch, sent })
      for (const slack of [0, 1_500]) {
        const core = core3(a, { bootQuietMs: 0 })
        core.setSlack(slack)
        core.step(c, hb(1, 10), 10)
        assert.equal(core.state().promise?.until, 10 + D.promiseMs, 'the promise does not stretch')
        assert.equal(core.nextTick(), 10 + D.leaderTimeoutMs + slack)
        assert.deepEqual(core.tick(10 + D.leaderTimeoutMs + slack - 1).events, [], 'still patient')
        const out = core.tick(10 + D.leaderTimeoutMs + slack)
        assert.deepEqual(out.events[0], { type: 'election:start', epoch: 2 })
      }
    })

    it('the lag meter keeps the recent worst delay, halving every half-life', () => {
      const meter = new LagMeter(1_000)
      meter.add(400, 0)
      meter.add(100, 10)
      assert.ok(Math.abs(meter.peak(10) - 400 * 0.5 ** 0.01) < 1e-9)
      assert.ok(Math.abs(meter.peak(1_010) - 200 * 0.5 ** 0.01) < 1e-9)
      meter.add(900, 2_000)
      assert.equal(meter.peak(2_000), 900)
    })

    it('a leader acts only with a majority of fresh acks: it loses the lease leaseMs after the send time of the last one', () => {
      const core = core3(c, { bootQuietMs: 0 })
      core.tick(0) // c calls an election
      const won = core.step(b, { type: 'ELECTION', id: c, epoch: 1 }, 5)
      assert.equal(core.state().role, 'leader')
      const beats = won.send.filter(s => s.message.type === 'HEARTBEAT')
      assert.deepEqual(beats.map(s => s.to), [a, b])
      assert.equal(core.acting(5), false, 'only its own vote: 1 of 3')
      core.step(a, { type: 'HEARTBEAT_ACK', id: c, epoch: 1, sent: 5 }, 7)
      assert.equal(core.acting(7), true)
      assert.equal(core.acting(5 + D.leaseMs - 1), true)
      assert.equal(core.acting(5 + D.leaseMs), false)
      assert.equal(core.nextTick(), 5 + D.heartbeatIntervalMs)
    })

    it('rejects messages from unknown supernodes, of stale epochs, or malformed, and changes nothing', () => {
      const follower = core3(b)
      follower.step(c, { type: 'ELECTED', id: c, epoch: 4 }, 10) // b follows c in epoch 4
      const leader = core3(c, { bootQuietMs: 0 })
      leader.tick(0)
      leader.step(b, { type: 'ELECTION', id: c, epoch: 1 }, 5) // c leads epoch 1, heartbeat sent at 5
      const bad = (m: unknown): ElectionMessage => m as ElectionMessage
      const cases: Array<[ChangRoberts, bigint, ElectionMessage]> = [
        [follower, 999n, { type: 'ELECTION', id: 999n, epoch: 9 }], // unknown sender
        [follower, b, { type: 'HEARTBEAT', id: b, epoch: 9, sent: 1 }], // from ourselves
        [follower, a, { type: 'ELECTION', id: 999n, epoch: 9 }], // unknown candidate
        [follower, c, { type: 'ELECTION', id: a, epoch: 9 }], // a node never sends a smaller id than its own
        [follower, a, { type: 'ELECTION', id: c, epoch: 3 }], // stale
        [follower, a, { type: 'ELECTED', id: a, epoch: 3 }], // stale
        [follower, c, { type: 'HEARTBEAT', id: c, epoch: 2, sent: 5 }], // stale
        [follower, a, { type: 'ELECTION', id: c, epoch: 4 }], // epoch 4 is already won
        [follower, a, { type: 'ELECTED', id: a, epoch: 4 }], // a smaller winner of the same epoch
        [follower, a, { type: 'HEARTBEAT', id: a, epoch: 4, sent: 5 }], // a smaller leader of the same epoch
        [follower, a, { type: 'ELECTED', id: b, epoch: 9 }], // names us, but we do not lead
        [follower, a, { type: 'HEARTBEAT', id: c, epoch: 9, sent: 5 }], // on behalf of another
        [follower, a, { type: 'HEARTBEAT_ACK', id: b, epoch: 4, sent: 1 }], // an ack, but we do not lead
        [follower, c, bad({ type: 'HEARTBEAT', id: c, epoch: -1, sent: 5 })],
        [follower, c, bad({ type: 'HEARTBEAT', id: c, epoch: 4.5, sent: 5 })],
        [follower, c, bad({ type: 'HEARTBEAT', id: c, epoch: 2 ** 60, sent: 5 })],
        [follower, c, bad({ type: 'HEARTBEAT', id: c, epoch: '5', sent: 5 })],
        [follower, c, bad({ type: 'HEARTBEAT', id: c, epoch: 5, sent: Number.NaN })],
        [follower, c, bad({ type: 'HEARTBEAT', id: c, epoch: 5, sent: -3 })],
        [follower, c, bad({ type: 'HEARTBEAT', id: c, epoch: 5 })],
        [follower, c, bad({ type: 'HEARTBEAT', id: Number(c), epoch: 5, sent: 5 })],
        [follower, c, bad({ type: 'NOMINATE', id: c, epoch: 5 })],
        [follower, c, bad({ id: c, epoch: 5 })],
        [follower, c, bad(null)],
        [follower, c, bad(42)],
        [follower, bad('c') as unknown as bigint, { type: 'ELECTION', id: c, epoch: 9 }],
        [leader, a, { type: 'HEARTBEAT_ACK', id: c, epoch: 1, sent: 4 }], // no heartbeat was sent at 4
        [leader, a, { type: 'HEARTBEAT_ACK', id: c, epoch: 2, sent: 5 }], // another epoch
        [leader, a, { type: 'HEARTBEAT_ACK', id: b, epoch: 1, sent: 5 }], // for another leader
        [leader, b, { type: 'ELECTED', id: c, epoch: 0 }] // stale
      ]
      for (const [core, from, m] of cases) {
        const before: ElectionState = core.state(20)
        const due = core.nextTick()
        const rejected = core.counts().rejected
        const out = core.step(from, m, 20)
        const what = JSON.stringify(m, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))
        assert.ok(out.rejected !== undefined && out.rejected.length > 0, `${what} should be rejected`)
        assert.deepEqual(out.send, [], what)
        assert.deepEqual(out.events, [], what)
        assert.deepEqual(core.state(20), before, what)
        assert.equal(core.nextTick(), due, what)
        assert.equal(core.counts().rejected, rejected + 1, what)
      }
      // Still working: a good ack makes the leader act, a good heartbeat is followed.
      assert.equal(leader.step(a, { type: 'HEARTBEAT_ACK', id: c, epoch: 1, sent: 5 }, 20).rejected, undefined)
      assert.equal(leader.acting(20), true)
      assert.equal(follower.step(c, { type: 'HEARTBEAT', id: c, epoch: 4, sent: 30 }, 30).rejected, undefined)
    })

    it('refuses unsafe or inconsistent settings', () => {
      assert.throws(() => new ChangRoberts({ ...D, self: a, leaseMs: 800, promiseMs: 800 }), RangeError)
      assert.throws(() => new ChangRoberts({ ...D, self: a, heartbeatIntervalMs: 600 }), RangeError)
      assert.throws(() => new ChangRoberts({ ...D, self: a, leaderTimeoutMs: 0 }), RangeError)
      assert.throws(() => new ChangRoberts({ ...D, self: a, startEpoch: -1 }), RangeError)
      assert.throws(() => new ChangRoberts({ ...D, self: a, arrange: ids => ids.slice(1) }).setMembers([a, b], 0), RangeError)
      assert.ok(D.leaseMs < D.promiseMs && D.promiseMs < D.leaderTimeoutMs && D.heartbeatIntervalMs * 2 < D.leaseMs)
    })
  })

  it('property: under random crashes, restarts, partitions and cut links, never two acting leaders; ' +
    'once whole and quiet, exactly one that all follow', function () {
    this.timeout(120_000)
    const action = fc.oneof(
      fc.record({ kind: fc.constant('crash' as const), who: fc.nat(6) }),
      fc.record({
        kind: fc.constant('restart' as const),
        who: fc.nat(6),
        how: fc.constantFrom<Comeback>('fresh', 'stored-epoch', 'follow')
      }),
      fc.record({ kind: fc.constant('partition' as const), mask: fc.nat(127) }),
      fc.record({ kind: fc.constant('cut' as const), x: fc.nat(6), y: fc.nat(6) }),
      fc.record({ kind: fc.constant('heal' as const) })
    )
    fc.assert(fc.property(
      fc.integer({ min: 3, max: 7 }),
      fc.array(fc.tuple(action, fc.integer({ min: 1, max: 3_000 })), { maxLength: 10 }),
      fc.nat(),
      fc.boolean(),
      fc.constantFrom(20, 500), // an unreachable node fails a send fast (reset) or slowly (rpc timeout)
      (n, schedule, seed, together, timeoutMs) => {
        const ids = simIds(n)
        const sim = new ElectionSim(ids, { seed, timeoutMs }) // throws at once if two leaders ever act together
        ids.forEach((id, i) => { sim.start(id, together ? 0 : 7 * i) })
        sim.run(1_500)
        for (const [a, wait] of schedule) {
          if (a.kind === 'crash') {
            if (sim.node(ids[a.who % n]).alive) sim.crash(ids[a.who % n])
          } else if (a.kind === 'restart') {
            if (!sim.node(ids[a.who % n]).alive) sim.restart(ids[a.who % n], a.how)
          } else if (a.kind === 'partition') {
            sim.partition(ids.filter((_, i) => (a.mask >> i) & 1), ids.filter((_, i) => ((a.mask >> i) & 1) === 0))
          } else if (a.kind === 'cut') {
            sim.cut(ids[a.x % n], ids[a.y % n])
          } else {
            sim.heal()
          }
          sim.run(sim.now + wait)
        }
        sim.heal()
        sim.run(sim.now + 10_000)
        if (sim.live().length * 2 <= n) return sim.acting().length === 0 // no live majority: nobody may act
        return sim.settled() !== undefined
      }
    ), { numRuns: RUNS })
  })
})
