// The simulator: its network (Transport semantics, traffic counts), its PRNG, the driver's figures on small
// rings against the literature (Chord SIGCOMM 2001 §6.3, ToN §V-C), determinism, and the CLI's argument handling.
import assert from 'node:assert/strict'
import { IdSpace } from '../../src/ring/id.js'
import { ChordNode } from '../../src/ring/node.js'
import { SimNetwork, WIRE_BYTES_PER_MESSAGE } from '../../sim/network.js'
import { Prng } from '../../sim/prng.js'
import { RingOracle } from '../../sim/oracle.js'
import { defaultR, runSimulation, Simulation, type SimReport } from '../../sim/simulate.js'
import { main } from '../../sim/cli.js'

/** The report without wall-clock times, which are the only thing allowed to differ between two runs. */
function withoutTimes (report: SimReport): unknown {
  return JSON.parse(JSON.stringify(report, (k, v) => (k === 'ms' ? undefined : v)))
}

describe('sim/network SimNetwork', () => {
  const space = new IdSpace(8)
  const setup = (): { net: SimNetwork, a: ChordNode, b: ChordNode } => {
    const net = new SimNetwork(8)
    const a = new ChordNode({ space, self: { id: 10n, address: 'a' }, r: 2, transport: net })
    const b = new ChordNode({ space, self: { id: 90n, address: 'b' }, r: 2, transport: net })
    net.add(a)
    net.add(b)
    return { net, a, b }
  }

  it('delivers calls to the target node\'s handlers and counts each request and reply', async () => {
    const { net, a, b } = setup()
    await net.notify(b.self, a.self)
    assert.equal(b.state.predecessor?.id, 10n)
    assert.deepEqual(await net.getState(b.self), { predecessor: a.self, successors: [a.self] })
    assert.equal(net.stats.messages, 4)
    assert.equal(net.stats.byKind.notify.calls, 1)
    assert.equal(net.stats.byKind.getState.calls, 1)
    // notify, sized by protocols/chord.ts: request = length prefix (1) + type (2) + one 8-byte address (2 + 8),
    // reply = an empty message (its length prefix); on the wire each also pays yamux and noise framing and the
    // receiver's window update: 2 × (12 + 16 + 2)
    assert.equal(net.stats.byKind.notify.payload, 13 + 1)
    assert.equal(WIRE_BYTES_PER_MESSAGE, 60)
    assert.equal(net.stats.byKind.notify.bytes, 13 + 1 + 2 * WIRE_BYTES_PER_MESSAGE)
    assert.equal(net.stats.bytes, net.stats.byKind.notify.bytes + net.stats.byKind.getState.bytes)
  })

  it('rejects calls to a dead or unknown node with UnreachableError', async () => {
    const { net, a, b } = setup()
    net.kill('b')
    assert.equal(net.isLive(b.self), false)
    assert.equal(net.isLive(a.self), true)
    for (const call of [net.ping(b.self), net.getState(b.self), net.findSuccessor(b.self, 5n), net.notify(b.self, a.self)]) {
      await assert.rejects(call, { name: 'UnreachableError' })
    }
    await assert.rejects(net.ping({ id: 1n, address: 'nobody' }), { name: 'UnreachableError' })
    assert.equal(net.stats.failed, 5)
    assert.deepEqual(net.liveNodes(), [a])
    assert.throws(() => net.add(a), /already/)
  })
})

describe('sim/prng Prng', () => {
  it('is a function of its seed', () => {
    const draw = (seed: number): number[] => { const p = new Prng(seed); return Array.from({ length: 5 }, () => p.uint32()) }
    assert.deepEqual(draw(1), draw(1))
    assert.notDeepEqual(draw(1), draw(2))
  })
  it('draws in range, about uniformly', () => {
    const p = new Prng(3)
    const counts = new Array(10).fill(0)
    for (let i = 0; i < 20_000; i++) counts[p.int(10)]++
    for (const c of counts) assert.ok(c > 1800 && c < 2200, `bucket count ${c}`)
    for (let i = 0; i < 100; i++) {
      const x = p.bigint(256)
      assert.ok(x >= 0n && x < 1n << 256n)
      assert.ok(p.bigint(5) < 32n)
    }
    const items = [1, 2, 3, 4, 5]
    assert.deepEqual(p.shuffle([...items]).sort(), items)
  })
})

describe('sim/oracle RingOracle', () => {
  it('answers successor, neighbours, and diagnoses a node against them', async () => {
    const o = new RingOracle(new IdSpace(8), [200n, 10n, 90n])
    assert.deepEqual([o.successor(5n), o.successor(10n), o.successor(11n), o.successor(201n)], [10n, 10n, 90n, 10n])
    assert.deepEqual(o.successorsOf(200n, 5), [10n, 90n])
    assert.equal(o.predecessorOf(10n), 200n)
    const sim = new Simulation({ m: 8, r: 2 })
    const lone = sim.spawn(10n)
    assert.equal(new RingOracle(sim.space, [10n]).diagnose(lone, 'full'), 'finger 0') // fingers not filled yet
    await lone.fixFingers()
    assert.equal(new RingOracle(sim.space, [10n]).diagnose(lone, 'full'), undefined)
  })
})

describe('sim/simulate', function () {
  this.timeout(60_000)

  it('defaults r to 2·log2 N rounded up, at least 4', () => {
    assert.deepEqual([1, 2, 4, 16, 200, 300, 1000, 10_000].map(defaultR), [4, 4, 4, 8, 16, 17, 20, 27])
  })

  it('200 nodes: converges, every lookup is correct, mean hops ≤ ½·log2 N + 1', async () => {
    const rep = await runSimulation({ nodes: 200, seed: 11, keys: 3000 })
    assert.equal(rep.build.converged, true)
    assert.equal(rep.build.joins, 199)
    assert.equal(rep.ringOk, true)
    assert.equal(rep.hops.failed, 0)
    assert.equal(rep.hops.wrong, 0)
    assert.equal(rep.hops.lookups, 3000)
    assert.ok(rep.hops.mean <= Math.log2(200) / 2 + 1, `mean ${rep.hops.mean}`)
    assert.ok(rep.hops.mean >= 1, `mean ${rep.hops.mean} is implausibly low`)
    assert.ok(rep.hops.max <= 2 * Math.ceil(Math.log2(200)), `max ${rep.hops.max}`)
    assert.ok(rep.maintenance.bytesPerNodePerRound > 0)
  })

  it('300 nodes, 50 % crash at once with r = 2·log2 N: no lookup fails once re-stabilised', async () => {
    const rep = await runSimulation({ nodes: 300, seed: 5, keys: 3000, fail: 0.5 })
    assert.equal(rep.r, 17)
    const f = rep.failure
    assert.ok(f !== undefined)
    assert.equal(f.killed, 150)
    assert.equal(f.live, 150)
    assert.equal(f.restabilize.converged, true)
    assert.ok(f.restabilize.rounds > 0)
    assert.equal(f.ringOk, true)
    assert.equal(f.after.failed, 0)
    assert.equal(f.after.wrong, 0)
    assert.equal(f.after.timeouts, 0)
    // before repair, lookups route around the dead: they time out on some hops, yet still find the owner
    assert.ok(f.immediate.timeouts > 0)
    assert.equal(f.immediate.failed, 0)
    assert.equal(f.immediate.wrong, 0)
  })

  it('is deterministic: the same seed gives the same figures, another seed other ones', async () => {
    const run = async (seed: number): Promise<SimReport> => runSimulation({ nodes: 120, seed, keys: 500, fail: 0.3 })
    const [a, b, c] = [await run(9), await run(9), await run(10)]
    assert.deepEqual(withoutTimes(a), withoutTimes(b))
    assert.notDeepEqual(withoutTimes(a), withoutTimes(c))
  })

  it('builds rings of given ids in a small space, and refuses an impossible size', async () => {
    const sim = new Simulation({ m: 4, r: 3, seed: 2 })
    const built = await sim.build([3n, 7n, 12n, 15n, 0n])
    assert.equal(built.converged, true)
    assert.deepEqual(sim.live().map(n => n.state.successor.id), [7n, 12n, 15n, 0n, 3n])
    await assert.rejects(runSimulation({ nodes: 300, m: 8 }), RangeError)
  })
})

describe('sim/cli', function () {
  this.timeout(60_000)
  const run = async (...argv: string[]): Promise<{ code: number, out: string, err: string }> => {
    let out = ''
    let err = ''
    const code = await main(argv, { stdout: { write: t => { out += t } }, stderr: { write: t => { err += t } } })
    return { code, out, err }
  }

  it('exits 2 with a clear message on a bad argument', async () => {
    for (const [argv, message] of [
      [[], /required option '-n, --nodes <N>'/],
      [['--nodes', 'ten'], /expected an integer/],
      [['--nodes', '0'], /expected an integer in \[1,/],
      [['--nodes', '10', '--fail', '1'], /expected a fraction in \[0, 1\)/],
      [['--nodes', '10', '--fail', 'half'], /expected a fraction/],
      [['--nodes', '10', '--m', '300'], /expected an integer in \[1, 256\]/],
      [['--nodes', '10', '--r', '-1'], /expected an integer/],
      [['--nodes', '300', '--m', '8'], /do not fit in a 8-bit identifier space/],
      [['--nodes', '10', '--bogus'], /unknown option/]
    ] as Array<[string[], RegExp]>) {
      const res = await run(...argv)
      assert.equal(res.code, 2, argv.join(' '))
      assert.match(res.err, message)
    }
  })

  it('prints a summary, or the report as JSON', async () => {
    const text = await run('--nodes', '40', '--keys', '200', '--fail', '0.25', '-q')
    assert.equal(text.code, 0)
    assert.equal(text.err, '')
    assert.match(text.out, /N = 40, m = 256, r = 11/)
    assert.match(text.out, /lookups after repair: 200 keys, 0 failed, 0 wrong/)
    const json = await run('--nodes', '30', '--keys', '100', '--m', '16', '--r', '5', '--seed', '4', '--json')
    assert.equal(json.code, 0)
    const rep = JSON.parse(json.out) as SimReport
    assert.deepEqual([rep.nodes, rep.m, rep.r, rep.seed, rep.hops.lookups, rep.hops.failed], [30, 16, 5, 4, 100, 0])
    assert.match(json.err, /converged: true/) // progress goes to stderr
  })
})
