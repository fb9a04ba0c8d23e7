// Where a node's gauges come from at scrape time: `metricSources` reads the services (the ring's successor list,
// the record index, the quota, the S3 tier, the election, the membership view) and gives NodeMetrics plain
// numbers; `observeNode` also counts the dead nodes the ring reports. It imports only types of the rooms it reads,
// so src/metrics/ adds no dependency between them.
import type { MetricSources, NodeMetrics } from './node-metrics.js'
import type { ChordService } from '../chord/service.js'
import type { ElectionService } from '../election/service.js'
import type { FilesService } from '../files/service.js'
import type { S3TierStats } from '../files/s3-tier.js'
import type { MembershipServer } from '../membership/server.js'
import type { IdSpace, NodeRef } from '../ring/index.js'
import type { Libp2p } from '@libp2p/interface'

/** The parts of a node the gauges read. */
export interface SourceNode {
  role: 'supernode' | 'peer'
  host: Pick<Libp2p, 'getConnections'>
  chord: Pick<ChordService, 'self' | 'space' | 'settings' | 'successors' | 'events'>
  files: Pick<FilesService, 'ctx' | 'scrubber'>
  /** The blob store's quota, when it has one (FsBlobStore). */
  quota: () => { max: number, used: number } | undefined
  /** The S3 tier (S3Tier), when S3 is configured. */
  durable?: { pending: () => Promise<number>, stats: () => S3TierStats }
  election?: Pick<ElectionService, 'snapshot' | 'counts'>
  membership?: Pick<MembershipServer, 'current'>
}

/** Have `metrics` read `node` at every scrape, and count the dead nodes its ring drops (by where it found them). */
export function observeNode (metrics: NodeMetrics, node: SourceNode): void {
  metrics.observe(metricSources(node))
  node.chord.events.addEventListener('node:dead', event => { metrics.deadNode(event.detail.where) })
}

export function metricSources (node: SourceNode): MetricSources {
  const { chord, files, durable, election, membership } = node
  return {
    role: node.role,
    connections: () => node.host.getConnections().length,
    ring: () => {
      const others = chord.successors().filter(n => n.id !== chord.self.id)
      const { r } = chord.settings
      return { successors: others.length, r, size: ringSizeEstimate(chord.space, chord.self, others, r) }
    },
    stored: async () => {
      let count = 0
      let bytes = 0
      for await (const record of files.ctx.records.list({ signal: AbortSignal.timeout(STORED_SCAN_MS) })) {
        if (record.tombstone) continue
        count++
        bytes += record.size
      }
      return { files: count, bytes }
    },
    quota: node.quota,
    served: () => ({ chunks: files.ctx.stats.chunksServed, bytes: files.ctx.stats.bytesServed }),
    lastScrub: () => files.scrubber.last?.finished,
    ...(durable === undefined
      ? {}
      : {
          s3: async () => {
            const stats = durable.stats()
            return { queued: await durable.pending(), uploaded: stats.uploaded, failures: stats.failures, dropped: stats.dropped }
          }
        }),
    ...(election === undefined
      ? {}
      : {
          election: () => {
            const s = election.snapshot()
            return {
              epoch: s.epoch,
              role: s.role,
              actingLeader: s.leader?.id === chord.self.id && s.acting,
              elections: election.counts().elections
            }
          }
        }),
    ...(membership === undefined ? {} : { viewMembers: () => membership.current.members.length })
  }
}

/** The longest a scan of the record index for the files-stored gauges may take before it gives up. */
const STORED_SCAN_MS = 30_000

/**
 * How many nodes the ring has, from this node's successor list (`successors`, this node excluded, nearest first)
 * of length `r`. A list shorter than r has gone all the way round: the ring is those nodes and this one. A full
 * list spans the arc from this node to its last entry; r nodes in that arc suggest r · 2^m ÷ arc nodes in all
 * (ids are uniform: SHA-256 of PeerIds).
 */
export function ringSizeEstimate (space: IdSpace, self: NodeRef, successors: readonly NodeRef[], r: number): number {
  const n = successors.length
  if (n < r || n === 0) return n + 1
  const arc = space.distance(self.id, successors[n - 1].id)
  if (arc === 0n) return n + 1
  return Math.max(n + 1, Math.round(Number(BigInt(n) * space.size * 1000n / arc) / 1000))
}
