// The CLI side of metrics: `--metrics <host:port>` (parsed, warned about beyond loopback, remembered in
// config.json), libp2p's own metrics on for the daemon, and `chord-peer status` showing the node's traffic.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { planDaemon } from '../../src/cli/daemon-options.js'
import { resumeFlags } from '../../src/cli/daemon-config.js'
import { formatStatus } from '../../src/cli/status.js'
import { runCli, startStubDaemon } from '../utils/cli.js'
import { STATUS } from '../utils/cli-fixtures.js'
import type { TrafficJson } from '../../src/api/types.js'

const TRAFFIC: TrafficJson = {
  time: 1_700_000_000_000,
  bytesIn: 3 * 1024 * 1024,
  bytesOut: 1536,
  lookups: 40,
  lookupsFailed: 2,
  lookupMs: 100,
  puts: 5,
  gets: 7,
  putBytes: 10 * 1024 * 1024,
  getBytes: 2048
}

describe('metrics: the CLI', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'chord-peer-metrics-cli-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('--metrics gives createPeer its listener, and the daemon exports libp2p\'s metrics', () => {
    const plan = planDaemon({ bootstrap: true, dataDir: dir, metrics: ' 127.0.0.1:9464 ' }, { vars: {} })
    assert.equal(plan.options.metrics, '127.0.0.1:9464')
    assert.equal(plan.options.libp2pMetrics, true)
    assert.deepEqual(plan.warnings, [])
    assert.equal(plan.config.metrics, '127.0.0.1:9464')
    // Remembered: a later start with only the data dir serves it again; a flag given then wins.
    assert.equal(resumeFlags({ dataDir: dir }, plan.config, dir).metrics, '127.0.0.1:9464')
    assert.equal(resumeFlags({ dataDir: dir, metrics: '127.0.0.1:9500' }, plan.config, dir).metrics, '127.0.0.1:9500')
    assert.equal(planDaemon({ bootstrap: true, dataDir: dir }, { vars: {} }).options.metrics, undefined)
  })

  it('warns when /metrics is served beyond loopback, and refuses an address that is not host:port', () => {
    const plan = planDaemon({ bootstrap: true, dataDir: dir, metrics: '0.0.0.0:9464' }, { vars: {} })
    assert.equal(plan.warnings.length, 1)
    assert.match(plan.warnings[0], /\/metrics is served without a token at 0\.0\.0\.0/)
    for (const bad of ['9464', 'localhost:', 'host:port', '127.0.0.1:70000']) {
      assert.throws(() => planDaemon({ bootstrap: true, dataDir: dir, metrics: bad }, { vars: {} }),
        (err: Error) => err.name === 'InvalidInputError' && /^--metrics /m.test(err.message), bad)
    }
  })

  it('status shows the bytes in and out with their mean rates, lookups, puts and gets', () => {
    const text = formatStatus({ ...STATUS, uptimeMs: 1000, traffic: TRAFFIC })
    assert.match(text, /^traffic +in 3\.0 MiB, out 1\.5 KiB \(3\.0 MiB\/s in, 1\.5 KiB\/s out on average since start\)$/m)
    assert.match(text, /^ +40 lookups \(2 failed, mean 2\.5 ms\), 5 puts \(10\.0 MiB\), 7 gets \(2\.0 KiB\)$/m)
    assert.doesNotMatch(formatStatus(STATUS), /^traffic/m, 'a daemon that sends no traffic shows none')
  })

  it('status against a daemon prints the traffic line aligned with the others', async () => {
    const daemon = await startStubDaemon({ '/api/status': { body: { ...STATUS, traffic: TRAFFIC } } })
    try {
      const { code, stdout, stderr } = await runCli(['status', '--api', daemon.url])
      assert.equal(code, 0, stderr)
      const column = (label: string): number => {
        const line = stdout.split('\n').find(l => l.startsWith(`${label} `))
        assert.ok(line !== undefined, `no ${label} line in:\n${stdout}`)
        return line.length - line.slice(label.length).trimStart().length
      }
      assert.equal(column('traffic'), column('connections'))
    } finally {
      await daemon.close()
    }
  })
})
