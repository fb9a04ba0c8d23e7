// The HTTP API's view of a running node: the `DaemonApi` the route table calls, built from the node's services,
// and the JSON shapes of src/api/types.ts made from their plain results. Nothing here serves or parses HTTP,
// and nothing below the API knows these shapes exist.
import { LookupFailedError } from '../errors.js'
import type { ByteRange, DaemonApi } from './server.js'
import type { FingerJson, FileJson, LeaderJson, LookupJson, NodeJson, S3StatusJson, StatusJson } from './types.js'
import type { EventFeed } from './event-stream.js'
import type { ChordService } from '../chord/service.js'
import type { ElectionService } from '../election/service.js'
import type { FilesService } from '../files/service.js'
import type { FileRecord } from '../files/record.js'
import type { MembershipClient } from '../membership/client.js'
import type { MembershipServer } from '../membership/server.js'
import { newerView, type View } from '../membership/view.js'
import { packageInfo } from './package.js'
import { storageReader, type StoresInfo } from './storage.js'
import type { RingSettings } from '../config.js'
import type { NodeMetrics } from '../metrics/node-metrics.js'
import type { NodeRef } from '../ring/index.js'
import type { Libp2p } from '@libp2p/interface'

/** What the API reads from the node (a Peer has all of it). */
export interface ApiNode {
  readonly role: 'supernode' | 'peer'
  readonly host: Libp2p
  readonly chord: ChordService
  readonly files: FilesService
  readonly settings: RingSettings
  /** A supernode's election and membership server. */
  readonly election?: ElectionService
  readonly membership?: MembershipServer
  /** The supernodes this node knows. */
  supernodes (): readonly NodeRef[]
  /** Listen multiaddrs with /p2p. */
  readonly multiaddrs: string[]
  readonly apiUrl?: string
  /** The node's metrics (src/metrics/): `GET /metrics`, `GET /api/traffic` and status's traffic. */
  readonly metrics?: Pick<NodeMetrics, 'scrape' | 'traffic'>
  /** What the node reports as it happens (src/events.ts), for `GET /api/events`. */
  readonly events?: EventFeed
  invite (options?: { supernode?: boolean, ttlMs?: number }): Promise<{ token: string, expires: number }>
}

/** How long `status` waits for the storage counts (a walk of the record index) before it answers without them. */
const STATUS_STORAGE_MS = 5_000

/** What else the API needs: a client to ask supernodes for their views, and the clock. */
export interface ApiContext {
  client: MembershipClient
  /** When the node started, ms since the epoch (the clock `now` reads). */
  started: number
  now: () => number
  /** The node's stores (their directory and quota), for `GET /api/storage`. */
  stores?: StoresInfo
}

export function daemonApi (node: ApiNode, context: ApiContext): DaemonApi {
  const { chord, files } = node
  const json = nodeJsonOf(chord)
  const version = packageInfo().version
  const storage = storageReader(files, context.stores, context.now)
  return {
    events: node.events,
    status: async (): Promise<StatusJson> => {
      const counted = await storage(AbortSignal.timeout(STATUS_STORAGE_MS)).catch(() => undefined)
      const s3 = s3Status(files)
      const st = chord.snapshot()
      return {
        node: { ...json(chord.self), addrs: node.multiaddrs },
        role: node.role,
        apiUrl: node.apiUrl ?? '',
        settings: node.settings,
        joined: !st.alone || node.role === 'supernode',
        ...(st.predecessor !== undefined ? { predecessor: json(st.predecessor) } : {}),
        successors: st.successors.map(json),
        fingers: fingerRuns(chord),
        ...leaderSummary(node),
        connections: node.host.getConnections().length,
        uptimeMs: context.now() - context.started,
        ...(files.scrubber.last !== undefined ? { lastScrub: { ...files.scrubber.last } } : {}),
        ...(files.collector?.last !== undefined ? { lastGc: { ...files.collector.last } } : {}),
        ...(s3 !== undefined ? { s3 } : {}),
        ...(counted !== undefined ? { storage: counted } : {}),
        version,
        ...(node.metrics !== undefined ? { traffic: node.metrics.traffic() } : {})
      }
    },
    storage,
    ...(node.metrics !== undefined ? metricsRoutes(node.metrics) : {}),
    ring: async (check, signal) => {
      const result = await chord.checkRing(10_000, { signal })
      return {
        members: result.walk.map(w => ({
          ...json(w.node),
          ...(w.predecessor !== undefined ? { predecessor: json(w.predecessor) } : {}),
          successors: w.successors.map(json)
        })),
        closed: result.closed,
        ...(check ? { check: { ok: result.ok, problems: result.problems } } : {})
      }
    },
    leader: async signal => {
      if (node.election !== undefined && node.membership !== undefined) {
        await node.election.probeSilent(signal)
        const view = node.membership.current
        return electionJson(node.election, { version: view.version, members: view.members.length }, json)
      }
      return await observedLeader(node, context, signal)
    },
    lookup: async (query, signal) => await lookupJson(chord, query, signal),
    put: async (name, body, contentType, signal) => {
      const r = await files.put(name, body, { contentType, signal })
      return { file: fileJson(r.record), holders: r.holders.map(json), k: node.settings.k, ms: round(r.ms) }
    },
    get: async (name, range: ByteRange | undefined, signal) => {
      const r = await files.read(name, range === undefined
        ? { signal }
        : range.suffix !== undefined
          ? { last: range.suffix, signal }
          : { offset: range.start, length: range.end === undefined ? undefined : range.end - range.start, signal })
      return { file: fileJson(r.record), offset: r.offset, length: r.length, body: r.body }
    },
    list: async (page, signal) => {
      const r = await files.list({ ...page, signal })
      return { files: r.records.map(fileJson), ...(r.next !== undefined ? { next: r.next } : {}) }
    },
    locate: async (name, signal) => {
      const r = await files.locate(name, { signal })
      return {
        name,
        key: r.key,
        placement: r.placement.map(json),
        holders: r.holders.map(h => ({
          node: json(h.node),
          has: r.record !== undefined && h.record?.hash === r.record.hash && !h.record.tombstone,
          ...(h.record !== undefined ? { version: h.record.version } : {}),
          ...(h.error !== undefined ? { error: h.error.message } : {})
        })),
        hops: r.hops,
        ...(r.record !== undefined ? { file: fileJson(r.record) } : {})
      }
    },
    invite: async options => {
      const minted = await node.invite(options)
      return { ...minted, role: options.supernode ? 'supernode' : 'peer' }
    },
    remove: async (name, signal) => {
      const r = await files.remove(name, { signal })
      return { name, key: r.record.key, version: r.record.version, holders: r.holders.map(json) }
    }
  }
}

/** The S3 tier's health for status, when one is configured and says. */
function s3Status (files: FilesService): S3StatusJson | undefined {
  const health = files.durable?.health?.()
  return health === undefined ? undefined : { ...health }
}

/** `GET /api/traffic` and `GET /metrics`, from the node's metrics. */
function metricsRoutes (metrics: NonNullable<ApiNode['metrics']>): Pick<DaemonApi, 'traffic' | 'metrics'> {
  return { traffic: () => metrics.traffic(), metrics: async () => await metrics.scrape() }
}

/** A node as JSON: its id, PeerId and the addresses this node knows for it. */
function nodeJsonOf (chord: ChordService): (node: NodeRef) => NodeJson {
  return node => {
    const addrs = chord.peers.addrs(node).map(a => `${a.toString()}/p2p/${node.address}`)
    return { id: chord.space.toHex(node.id), peerId: node.address, ...(addrs.length > 0 ? { addrs } : {}) }
  }
}

/** The finger table with runs of equal entries merged. */
function fingerRuns (chord: ChordService): FingerJson[] {
  const json = nodeJsonOf(chord)
  const runs: FingerJson[] = []
  for (const f of chord.snapshot().fingers) {
    if (f.node === undefined) continue
    const last = runs[runs.length - 1]
    if (last !== undefined && last.to === f.index - 1 && last.node.id === chord.space.toHex(f.node.id)) last.to = f.index
    else runs.push({ from: f.index, to: f.index, start: chord.space.toHex(f.start), node: json(f.node) })
  }
  return runs
}

export async function lookupJson (
  chord: ChordService, query: { name: string } | { id: string }, signal?: AbortSignal
): Promise<LookupJson> {
  const json = nodeJsonOf(chord)
  const key = 'name' in query ? chord.space.hash(query.name) : BigInt('0x' + query.id)
  const t0 = performance.now()
  const path: NodeJson[] = []
  for await (const event of chord.lookup(key, { signal })) {
    if (event.type === 'hop') path.push(json(event.node))
    if (event.type === 'failed') throw new LookupFailedError(`lookup failed after ${event.hops} hops: ${event.reason}`)
    if (event.type === 'found') {
      return {
        key: chord.space.toHex(key),
        ...('name' in query ? { name: query.name } : {}),
        owner: json(event.nodes[0]),
        successors: event.nodes.map(json),
        hops: event.hops,
        path,
        ms: round(performance.now() - t0)
      }
    }
  }
  throw new LookupFailedError('lookup ended without a result')
}

function electionJson (election: ElectionService, view: LeaderJson['view'], json: (n: NodeRef) => NodeJson): LeaderJson {
  const s = election.snapshot()
  return {
    ...(s.leader !== undefined ? { leader: json(s.leader) } : {}),
    epoch: s.epoch,
    acting: s.acting,
    role: s.role,
    supernodes: s.supernodes.map(n => ({
      ...json(n.node),
      leader: s.leader?.id === n.node.id,
      alive: n.alive,
      ...(n.lastSeenMs !== undefined ? { lastSeenMs: n.lastSeenMs } : {})
    })),
    view
  }
}

function leaderSummary (node: ApiNode): Pick<StatusJson, 'leader'> {
  if (node.election === undefined) return {}
  const s = node.election.snapshot()
  if (s.leader === undefined) return {}
  return { leader: { peerId: s.leader.address, epoch: s.epoch, acting: s.acting } }
}

/** A plain peer's view of the election: ask every supernode it knows for its view; the newest one wins. */
async function observedLeader (node: ApiNode, context: ApiContext, signal: AbortSignal): Promise<LeaderJson> {
  const json = nodeJsonOf(node.chord)
  const known = node.supernodes()
  const t0 = context.now()
  const answers = await Promise.all(known.map(async n =>
    await context.client.fetchView(n, signal).then(v => ({ n, v }), () => ({ n, v: undefined }))))
  let best: View | undefined
  for (const a of answers) if (a.v !== undefined && (best === undefined || newerView(a.v, best))) best = a.v
  const supernodes = best?.supernodes ?? known
  const alive = new Set(answers.filter(a => a.v !== undefined).map(a => a.n.address))
  return {
    ...(best?.leader !== undefined ? { leader: json(best.leader) } : {}),
    epoch: best?.epoch ?? 0,
    acting: best?.leader !== undefined && alive.has(best.leader.address),
    role: 'peer',
    supernodes: supernodes.map(n => ({
      ...json(n),
      leader: best?.leader?.address === n.address,
      alive: alive.has(n.address),
      ...(alive.has(n.address) ? { lastSeenMs: context.now() - t0 } : {})
    })),
    view: { version: best?.version ?? 0, members: best?.members.length ?? 0 }
  }
}

function fileJson (r: FileRecord): FileJson {
  return {
    name: r.name,
    key: r.key,
    size: r.size,
    hash: r.hash,
    contentType: r.contentType,
    version: r.version,
    created: r.created,
    modified: r.modified
  }
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000
