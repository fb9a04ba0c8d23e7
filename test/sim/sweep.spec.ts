// The simulator at scale: the convergence test (exact, though it stops early), the oracle's finger check against
// its definition, the sweep over ring sizes, its markdown table and SVG plot, and the CLI's --sweep and --plot.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RingOracle } from '../../sim/oracle.js'
import { ConvergenceCheck, runSimulation, Simulation } from '../../sim/simulate.js'
import { halfLog2, hopsSvg, withSuccessorList, type HopsPoint } from '../../sim/plot.js'
import { parseSizes, runSweep, sweepTable, type SweepRow } from '../../sim/sweep.js'
import { main } from '../../sim/cli.js'

/** Tags of an SVG document, checked to nest and close (no XML parser in the dependencies). */
function assertWellFormed (svg: string): void {
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>/)
  const stack: string[] = []
  for (const [, close, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (close === '/') assert.equal(stack.pop(), name, `</${name}> closes <${stack[stack.length] ?? 'nothing'}>`)
    else if (selfClosing !== '/') stack.push(name)
  }
  assert.deepEqual(stack, [], 'unclosed tags')
  assert.doesNotMatch(svg.replace(/<[^>]*>/g, ''), /[<>]|&(?!amp;|lt;|gt;|quot;)/, 'unescaped text')
}

/** The measured points of one series: [N, hops, x, y] per point, from the data attributes and coordinates. */
function points (svg: string, series: 'mean' | 'p99'): Array<[number, number, number, number]> {
  const re = new RegExp(`<(?:circle|rect) class="point ${series}" data-nodes="(\\d+)" data-hops="([\\d.]+)"` +
    '[^>]*?(?:cx|x)="([\\d.]+)" (?:cy|y)="([\\d.]+)"', 'g')
  return [...svg.matchAll(re)].map(m => [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])])
}

describe('sim/simulate ConvergenceCheck', function () {
  this.timeout(60_000)

  it('stops at the first wrong nodes, resumes there, and still finds a node gone wrong before it', async () => {
    const sim = new Simulation({ r: 4, seed: 3 })
    assert.equal((await sim.build(30)).converged, true)
    const nodes = sim.live()
    const oracle = sim.oracle()
    const check = new ConvergenceCheck(oracle, nodes, 'full', 1)
    assert.deepEqual(check.problems(), [])
    const saved = nodes.map(n => n.state.predecessor)
    const breakNode = (i: number): void => { nodes[i].state.predecessor = nodes[i].self }
    const mend = (i: number): void => { nodes[i].state.predecessor = saved[i] }
    breakNode(20)
    breakNode(5)
    assert.deepEqual(check.problems(), [`${nodes[5].self.address}: predecessor`]) // limit 1: the first only
    mend(5)
    assert.deepEqual(check.problems(), [`${nodes[20].self.address}: predecessor`])
    // the next pass starts at the wrong node it found last: while that one stays wrong, it diagnoses only it
    let diagnosed = 0
    const diagnose = oracle.diagnose.bind(oracle)
    oracle.diagnose = (node, level) => { diagnosed++; return diagnose(node, level) }
    assert.deepEqual(check.problems(), [`${nodes[20].self.address}: predecessor`])
    assert.equal(diagnosed, 1)
    mend(20)
    breakNode(2) // behind the cursor, which now stands at node 20: the pass must wrap round to it
    assert.deepEqual(check.problems(), [`${nodes[2].self.address}: predecessor`])
    mend(2)
    assert.deepEqual(check.problems(), [])
    // without a limit it lists every wrong node
    breakNode(7)
    breakNode(9)
    assert.deepEqual(new ConvergenceCheck(sim.oracle(), nodes, 'pointers', 10).problems().length, 2)
  })
})

describe('sim/oracle RingOracle finger check', function () {
  this.timeout(60_000)

  for (const m of [8, 256]) {
    it(`agrees with the definition finger[i] = successor(n + 2^i) for every node and finger (m = ${m})`, async () => {
      const sim = new Simulation({ m, r: 3, seed: 8 })
      assert.equal((await sim.build(m === 8 ? 40 : 60)).converged, true)
      const oracle = sim.oracle()
      for (const node of sim.live()) {
        for (let i = 0; i < m; i++) {
          assert.equal(node.state.fingers.get(i)?.id, oracle.successor(sim.space.fingerStart(node.self.id, i)))
        }
        assert.equal(oracle.diagnose(node, 'full'), undefined)
      }
      // one wrong entry anywhere is found, at its index: a low one (in the successor's run) and the top one
      const node = sim.live()[7]
      const rightIds = [node.self.id, node.state.successor.id, node.state.fingers.get(m - 1)?.id]
      const other = sim.live().find(n => !rightIds.includes(n.self.id))
      assert.ok(other !== undefined)
      for (const i of [0, m - 1]) {
        node.state.fingers.set(i, other.self)
        assert.equal(oracle.diagnose(node, 'full'), `finger ${i}`)
        // put every entry right again, the way fix_fingers walks the table
        do {
          const { index, start } = node.state.fingers.next()
          const owner = sim.live().find(n => n.self.id === oracle.successor(start))
          assert.ok(owner !== undefined)
          node.state.fingers.set(index, owner.self)
        } while (node.state.fingers.next().index !== 0)
        assert.equal(oracle.diagnose(node, 'full'), undefined)
      }
    })
  }

  it('a one-node ring: every finger is the node itself', async () => {
    const sim = new Simulation({ m: 8, r: 2 })
    const lone = sim.spawn(10n)
    const oracle = new RingOracle(sim.space, [10n])
    assert.equal(oracle.diagnose(lone, 'full'), 'finger 0')
    await lone.fixFingers()
    assert.equal(oracle.diagnose(lone, 'full'), undefined)
  })
})

describe('sim/plot hopsSvg', () => {
  const rows: HopsPoint[] = [
    { nodes: 1000, r: 20, mean: 3.75, p99: 6 },
    { nodes: 100, r: 14, mean: 2.3, p99: 4 },
    { nodes: 100_000, r: 34, mean: 6.9, p99: 11 }
  ]

  it('the formulas', () => {
    assert.equal(halfLog2(1024), 5)
    assert.equal(withSuccessorList(1024, 16), 4)
  })

  it('writes a well-formed SVG with every measured point, placed on a log axis', () => {
    const svg = hopsSvg(rows, { title: 'hops <&> "N"' })
    assertWellFormed(svg)
    assert.match(svg, /hops &lt;&amp;&gt; &quot;N&quot;/)
    for (const series of ['mean', 'p99'] as const) {
      const got = points(svg, series)
      assert.deepEqual(got.map(p => [p[0], p[1]]), [...rows].sort((a, b) => a.nodes - b.nodes).map(r => [r.nodes, r[series]]))
      // x: every decade is as wide (100 → 100,000 is three times 100 → 1,000)
      const [a, b, c] = got.map(p => p[2])
      assert.ok(Math.abs((c - a) - 3 * (b - a)) < 1, `x ${a} ${b} ${c} is not logarithmic`)
      // y: more hops is higher up
      const ys = got.map(p => p[3])
      assert.ok(ys[0] > ys[1] && ys[1] > ys[2], `y ${ys.join(' ')}`)
    }
    assert.match(svg, /<path class="formula-half-log2" d="M[\d.,]+( L[\d.,]+)+"/)
    assert.match(svg, /<path class="formula-successor-list" d="M[\d.,]+( L[\d.,]+)+"/)
    for (const label of ['100', '1,000', '10,000', '100,000']) assert.match(svg, new RegExp(`>${label}</text>`))
  })

  it('refuses what it cannot draw', () => {
    assert.throws(() => hopsSvg([]), RangeError)
    assert.throws(() => hopsSvg([{ nodes: 1, r: 4, mean: 0, p99: 0 }]), RangeError)
    assert.throws(() => hopsSvg([{ nodes: 10, r: 4, mean: NaN, p99: 1 }]), RangeError)
  })
})

describe('sim/sweep', function () {
  this.timeout(60_000)

  it('parses ring sizes, ascending, and rejects anything else', () => {
    assert.deepEqual(parseSizes('1000,100, 10_000'), [100, 1000, 10_000])
    for (const bad of ['', '100,', 'x', '1', '1.5', '-3', '1e4', '100,100', '2000000']) {
      assert.throws(() => parseSizes(bad), RangeError, bad)
    }
  })

  it('runs one simulation per size, smallest first, with the figures of a single run', async () => {
    const seen: number[] = []
    const rows = await runSweep({ sizes: [24, 60], keys: 300, seed: 4, onRow: row => seen.push(row.nodes) })
    assert.deepEqual(seen, [24, 60])
    const single = await runSimulation({ nodes: 60, keys: 300, seed: 4 })
    const row = rows[1]
    assert.deepEqual([row.mean, row.p50, row.p99, row.max, row.finalRounds, row.rounds, row.r],
      [single.hops.mean, single.hops.p50, single.hops.p99, single.hops.max, single.build.finalRounds, single.build.rounds, single.r])
    assert.equal(row.halfLog2N, Math.log2(60) / 2)
    assert.equal(row.withSuccessorList, Math.log2(60) / 2 - Math.log2(single.r) / 2 + 1)
    for (const r of rows) {
      assert.deepEqual([r.converged, r.ringOk, r.failed, r.wrong, r.lookups], [true, true, 0, 0, 300])
      assert.ok(r.resources.cpuSeconds > 0 && r.resources.wallSeconds > 0 && r.resources.peakRssMiB > 10)
    }
    const table = sweepTable(rows).trim().split('\n')
    assert.equal(table.length, 4)
    assert.match(table[2], /^\| 24 \| \d+ \| \d+\.\d\d \| \d+ \| \d+ \| \d+ \| 2\.29 \| [\d.]+ \| 0 \/ 0 \| \d+ \/ \d+ \| [\d.]+ s \| [\d.]+ s \| [\d,]+ MiB \|$/)
  })

  it('marks a ring that did not converge in the table', () => {
    const row: SweepRow = {
      nodes: 100, r: 14, mean: 2, p50: 2, p99: 4, max: 5, lookups: 10, failed: 0, wrong: 0, halfLog2N: 3.32, withSuccessorList: 2.42,
      converged: false, ringOk: true, finalRounds: 3, rounds: 9, resources: { wallSeconds: 130, cpuSeconds: 1.25, peakRssMiB: 99.6 }
    }
    assert.match(sweepTable([row]), /\| 3 \/ 9 \(not converged\) \| 2 min 10 s \| 1\.3 s \| 100 MiB \|/)
  })
})

describe('sim/cli --sweep, --plot and resources', function () {
  this.timeout(60_000)
  const run = async (...argv: string[]): Promise<{ code: number, out: string, err: string }> => {
    let out = ''
    let err = ''
    const code = await main(argv, { stdout: { write: t => { out += t } }, stderr: { write: t => { err += t } } })
    return { code, out, err }
  }

  it('exits 2 with a clear message on a bad sweep or plot', async () => {
    for (const [argv, message] of [
      [['--sweep', '100,x'], /--sweep <sizes>.*expected ring sizes that are integers/],
      [['--sweep', '100,100'], /listed twice/],
      [['--sweep', '1'], /integers in \[2, 1000000\]/],
      [['--sweep', ''], /expected comma-separated ring sizes/],
      [['--sweep', '100', '--nodes', '10'], /exclude each other/],
      [['--sweep', '100', '--fail', '0.5'], /--fail applies to one run/],
      [['--nodes', '10', '--plot', 'hops.svg'], /--plot needs --sweep/],
      [['--sweep', '100', '--plot', 'hops.png'], /ending in \.svg/],
      [['--sweep', '100', '--plot', join(tmpdir(), 'no-such-dir-for-sim', 'x.svg')], /cannot write to directory/],
      [['--sweep', '10,300', '--m', '8'], /300 nodes do not fit in a 8-bit identifier space/],
      [['--m', '8'], /required option '-n, --nodes <N>' \(or '--sweep <sizes>'\)/]
    ] as Array<[string[], RegExp]>) {
      const res = await run(...argv)
      assert.equal(res.code, 2, argv.join(' '))
      assert.match(res.err, message, argv.join(' '))
      assert.equal(res.out, '')
    }
  })

  it('sweeps, prints the table and writes the plot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-sweep-'))
    try {
      const file = join(dir, 'hops.svg')
      const res = await run('--sweep', '40,20', '--keys', '200', '--plot', file, '-q')
      assert.equal(res.code, 0, res.err)
      assert.equal(res.err, '')
      assert.match(res.out, /\n\| 20 \| 9 \| .*\n\| 40 \| 11 \| .* 0 \/ 0 \|/)
      const svg = await readFile(file, 'utf8')
      assertWellFormed(svg)
      assert.deepEqual(points(svg, 'mean').map(p => p[0]), [20, 40])
      assert.deepEqual(points(svg, 'p99').map(p => p[0]), [20, 40])
      const json = await run('--sweep', '20', '--keys', '100', '--json', '-q')
      assert.equal(json.code, 0)
      const rows = (JSON.parse(json.out) as { rows: SweepRow[] }).rows
      assert.deepEqual(rows.map(r => [r.nodes, r.lookups, r.failed]), [[20, 100, 0]])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('reports the wall and CPU time and the peak memory of a single run', async () => {
    const text = await run('--nodes', '30', '--keys', '100', '-q')
    assert.equal(text.code, 0)
    assert.match(text.out, /process: wall \d+\.\d s, CPU \d+\.\d s \(user\+sys\), peak RSS \d+ MiB/)
    const json = await run('--nodes', '30', '--keys', '100', '--json', '-q')
    const { resources } = JSON.parse(json.out) as { resources: { wallSeconds: number, cpuSeconds: number, peakRssMiB: number } }
    assert.ok(resources.cpuSeconds > 0 && resources.peakRssMiB > 10)
  })
})
