// Idle bytes per node per second on a ring of real libp2p peers on 127.0.0.1 (createTestnet, one process), at the
// production default timers, next to the simulator's figure for the same N, r and timers (sim/maintenance.ts), so
// the simulator's byte count is checked against real nodes.
//
// Every node counts its connection bytes (noise and yamux framing included, TCP/IP headers not) and, per
// protocol, the bytes its streams wrote (each protocol's own messages with their length prefixes:
// src/metrics/libp2p.ts). After the ring is correct the run waits `--warmup` seconds (fingers settle, GET_STATE
// digests are held), then measures `--measure` seconds. Each byte is counted once, at its sender.
//
//   node --import tsx --import ./src/polyfill.ts bench/idle-bytes.ts [--peers 32] [--supernodes 1] [--warmup 30] [--measure 60]
import { parseArgs } from 'node:util'
import { CHORD_PROTOCOL } from '../src/chord/messenger.js'
import { DEFAULT_REPLICATION_INTERVAL_MS } from '../src/files/replication/replicator.js'
import { DEFAULT_SETTINGS, type Peer } from '../src/peer.js'
import { createTestnet } from '../src/testnet.js'
import { WIRE_BYTES_PER_MESSAGE } from '../sim/network.js'
import { runTraffic } from '../sim/maintenance.js'

interface Snapshot { out: number, byProtocol: Map<string, number> }

function snapshot (nodes: readonly Peer[]): Snapshot {
  const byProtocol = new Map<string, number>()
  let out = 0
  for (const node of nodes) {
    out += node.metrics.traffic().bytesOut
    for (const [protocol, counts] of Object.entries(node.metrics.protocolTraffic())) {
      byProtocol.set(protocol, (byProtocol.get(protocol) ?? 0) + counts.sent)
    }
  }
  return { out, byProtocol }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      peers: { type: 'string', default: '32' },
      supernodes: { type: 'string', default: '1' },
      warmup: { type: 'string', default: '30' },
      measure: { type: 'string', default: '60' }
    }
  })
  const total = Number(values.peers)
  const supernodes = Number(values.supernodes)
  const warmupS = Number(values.warmup)
  const measureS = Number(values.measure)
  const log = (line: string): void => { process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`) }

  const s = DEFAULT_SETTINGS
  log(`starting ${total} peers (${supernodes} supernodes), default timers`)
  const testnet = await createTestnet({
    supernodes,
    peers: total - supernodes,
    r: s.r,
    stabilizeIntervalMs: s.stabilizeIntervalMs,
    fixFingersIntervalMs: s.fixFingersIntervalMs,
    checkPredecessorIntervalMs: s.checkPredecessorIntervalMs,
    replicationIntervalMs: DEFAULT_REPLICATION_INTERVAL_MS
  })
  try {
    await testnet.waitForRing({ timeoutMs: 120_000 })
    log(`ring correct; warming up ${warmupS} s`)
    await new Promise(resolve => setTimeout(resolve, warmupS * 1000))
    const a = snapshot(testnet.nodes)
    const t0 = performance.now()
    log(`measuring ${measureS} s`)
    await new Promise(resolve => setTimeout(resolve, measureS * 1000))
    const b = snapshot(testnet.nodes)
    const seconds = (performance.now() - t0) / 1000
    const ringOk = testnet.ringCorrect()
    const n = testnet.nodes.length
    const rate = (bytes: number): string => (bytes / n / seconds).toFixed(1)
    const protocols = [...b.byProtocol].map(([p, bytes]) => [p, bytes - (a.byProtocol.get(p) ?? 0)] as const)
      .filter(([, bytes]) => bytes > 0).sort((x, y) => y[1] - x[1])

    log('simulator, same N, r and timers')
    const sim = await runTraffic({ nodes: n, r: s.r, warmupS, measureS })
    const chordSent = protocols.find(([p]) => p === CHORD_PROTOCOL)?.[1] ?? 0

    const lines = [
      `${n} peers (${supernodes} supernode${supernodes === 1 ? '' : 's'}) on 127.0.0.1, r = ${s.r}, ` +
        `stabilize ${s.stabilizeIntervalMs} ms, ` +
        `fix_fingers ${s.fixFingersIntervalMs} ms, check_predecessor ${s.checkPredecessorIntervalMs} ms, replication ` +
        `${DEFAULT_REPLICATION_INTERVAL_MS} ms; measured ${seconds.toFixed(1)} s after ${warmupS} s; ring correct at the end: ${ringOk}`,
      '',
      '| protocol | stream bytes sent per node per second |',
      '|---|---|',
      ...protocols.map(([p, bytes]) => `| \`${p}\` | ${rate(bytes)} |`),
      `| all connections (noise + yamux + every protocol) | **${rate(b.out - a.out)}** |`,
      '',
      '| N = ' + n + ', B/s per node | chord payload | chord on the wire |',
      '|---|---|---|',
      `| real peers (chord stream bytes; wire = + ${WIRE_BYTES_PER_MESSAGE} B per message, messages from the simulator's count) | ` +
        `${rate(chordSent)} | ` +
        `${(chordSent / n / seconds + sim.messagesPerNodeSecond * WIRE_BYTES_PER_MESSAGE).toFixed(1)} |`,
      `| simulator (\`npm run sim:traffic -- --nodes ${n} --warmup ${warmupS} --measure ${measureS}\`) | ` +
        `${sim.payloadPerNodeSecond.toFixed(1)} | ${sim.bytesPerNodeSecond.toFixed(1)} |`
    ]
    process.stdout.write(lines.join('\n') + '\n')
  } finally {
    await testnet.stop()
  }
}

main().catch(err => {
  process.stderr.write(`idle-bytes failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exitCode = 1
})
