// The composition root: createPeer() wires a libp2p host, the Chord service, the files service, on a supernode
// the election and membership services, and the HTTP API into one running node. The CLI daemon, the test-net
// helper and scripts all start nodes here.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { startApiServer, type ApiServer, type DaemonApi } from './api/server.js'
import { API_FILE, parseHostPort } from './client/api-url.js'
import { ChordService, DEFAULT_LIMITS, type DeadNodeDetail } from './chord/service.js'
import { AddressBook, nodeRefOf } from './chord/wire.js'
import { InvalidInputError, LookupFailedError } from './errors.js'
import { FilesService } from './files/service.js'
import { ElectionService } from './election/service.js'
import type { ElectionConfig } from './election/chang-roberts.js'
import { admissionDecoder, announceLeave, fetchView, MembershipService, reportDeadTo, requestAdmission, type RingSettings } from './membership/service.js'
import { FileViewStore, S3ViewStore, newerView, viewFromJson, viewToJson, withNode, type View, type ViewJson, type ViewStore } from './membership/view.js'
import { createHost, type Host } from './net/host.js'
import { loadOrCreateKey, newKey } from './net/identity.js'
import { IdSpace, type NodeRef } from './ring/index.js'
import { S3Tier } from './files/s3-tier.js'
import { FsBlobStore } from './storage/fs-blob-store.js'
import { RecordStore } from './storage/record-store.js'
import type { DeleteJson, FileJson, FingerJson, LeaderJson, ListJson, LocateJson, LookupJson, NodeJson, PutJson, RingJson, StatusJson } from './api/types.js'
import type { FileRecord } from './files/record.js'
import type { S3BlobStoreConfig } from './storage/s3-blob-store.js'
import type { PrivateKey } from '@libp2p/interface'

export interface PeerOptions {
  /** Start as a supernode: the first node of a ring, or (with `connect`) a further supernode. */
  bootstrap?: boolean
  /** Supernode multiaddrs (with /p2p/<id>) to join through. */
  connect?: string[]
  /** Listen multiaddrs (default `/ip4/0.0.0.0/tcp/0`). */
  listen?: string[]
  /** HTTP API `host:port` (default `127.0.0.1:0`); false for none. */
  api?: string | false
  /** Identity key and state; the daemon writes `<dataDir>/api`. Without one the identity is fresh each start. */
  dataDir?: string
  /** Replication factor handed to joiners (supernode starting a ring; default 3). */
  k?: number
  /** Successor list length (supernode starting a ring; default 16). */
  r?: number
  /** Maintenance intervals in ms (supernode starting a ring; defaults 1000, 500, 2000). */
  stabilizeIntervalMs?: number
  fixFingersIntervalMs?: number
  checkPredecessorIntervalMs?: number
  /** How long to retry unreachable supernodes before giving up (default 30000 ms). */
  joinTimeoutMs?: number
  /** Time allowed for one chord request (default 3000 ms). */
  rpcTimeoutMs?: number
  /** Use this identity instead of loading one from `dataDir`. */
  privateKey?: PrivateKey
  /** Chunk size for files this node writes (default 1 MiB). */
  chunkSize?: number
  /** Mean interval of the replica anti-entropy pass (default 10000 ms); ring changes also start one. */
  replicationIntervalMs?: number
  /** The S3 durable tier behind the replicas (off by default). The CLI builds it from flags, AWS_* and `.env`. */
  s3?: S3BlobStoreConfig
  /** Election timers of a supernode (defaults in src/election/chang-roberts.ts: DEFAULT_ELECTION_CONFIG). */
  election?: Partial<Omit<ElectionConfig, 'self' | 'startEpoch'>>
}

/** Longest successor list: replies carry r + 1 nodes and must stay within the wire's MAX_PEERS. */
export const MAX_R = 32

export const DEFAULT_SETTINGS: RingSettings = {
  k: 3,
  r: 16,
  stabilizeIntervalMs: 1_000,
  fixFingersIntervalMs: 500,
  checkPredecessorIntervalMs: 2_000
}

export interface Peer {
  readonly peerId: string
  /** Ring id, 64 hex digits. */
  readonly id: string
  readonly role: 'supernode' | 'peer'
  /** Listen multiaddrs with /p2p/<peerId>. */
  readonly multiaddrs: string[]
  readonly apiUrl?: string
  readonly settings: RingSettings
  readonly host: Host
  /** A supernode's election and membership services. */
  readonly election?: ElectionService
  readonly membership?: MembershipService
  /** The supernodes this node knows (a peer: from its admission). */
  supernodes (): NodeRef[]
  readonly chord: ChordService
  readonly files: FilesService
  /** The owner of a name's key (or of a raw 64-hex key) and the lookup's path. */
  lookup (query: { name: string } | { id: string }, options?: { signal?: AbortSignal }): Promise<LookupJson>
  /** Leave gracefully (tell the neighbours) and shut down; `{ leave: false }` just stops, like a crash. */
  stop (options?: { leave?: boolean }): Promise<void>
}

export async function createPeer (options: PeerOptions = {}): Promise<Peer> {
  const log = logger('chord-peer:peer')
  const started = Date.now()
  const connect = (options.connect ?? []).map(parseConnect)
  const bootstrap = options.bootstrap === true
  if (!bootstrap && connect.length === 0) throw new InvalidInputError('give bootstrap: true to start a ring or connect: [<multiaddr>] to join one')
  const apiListen = options.api === false ? undefined : parseHostPort(options.api ?? '127.0.0.1:0', { allowZero: true })

  const privateKey = options.privateKey ?? (options.dataDir === undefined ? await newKey() : await loadOrCreateKey(options.dataDir))
  const host = await createHost({ privateKey, listen: options.listen })

  let chord: ChordService | undefined
  let files: FilesService | undefined
  let election: ElectionService | undefined
  let membership: MembershipService | undefined
  let api: ApiServer | undefined
  // Files live in <dataDir>/store; a node without a data dir keeps them in a temp dir removed at stop.
  const storeDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'chord-peer-store-')) : join(options.dataDir, 'store')
  const blobs = await FsBlobStore.open(storeDir)
  const records = await RecordStore.open(storeDir)
  // A supernode keeps the membership view in its data dir and, with S3, in the bucket.
  const viewStores: ViewStore[] = []
  if (bootstrap && options.dataDir !== undefined) viewStores.push(new FileViewStore(join(options.dataDir, VIEW_FILE)))
  if (bootstrap && options.s3 !== undefined) viewStores.push(new S3ViewStore(options.s3))
  const closeStores = async (): Promise<void> => {
    await records.close()
    await blobs.close()
    for (const v of viewStores) if (v instanceof S3ViewStore) v.close()
    if (options.dataDir === undefined) await rm(storeDir, { recursive: true, force: true })
  }
  try {
    const space = new IdSpace()
    const book = new AddressBook()
    const self = nodeRefOf(space, host.peerId)
    // Where to join: the given supernodes; then the ones this node learned before (a peer's supernodes.json, a
    // supernode's stored view), so a node restarts through any live supernode even if its --connect one is gone.
    const stored = await loadView(viewStores, space, book, log)
    const learned = !bootstrap && options.dataDir !== undefined ? await loadSupernodes(options.dataDir, space, book) : []
    const remembered = [...(stored?.supernodes ?? []), ...learned].filter(n => n.address !== self.address)
    const via = [...connect, ...remembered.flatMap(n => dialAddrs(book, n))]
    // A supernode with nobody to ask starts a ring. Recovering a cluster from a stored view, a supernode first
    // asks the stored supernodes (so it rejoins a group that is still running); if none answers, the one with
    // the highest id starts the ring again after RECOVERY_PROBE_MS, and the others join it, or start alone only
    // after the join timeout.
    const founder = bootstrap && via.length === 0
    const highest = remembered.every(n => n.id < self.id)
    let settings: RingSettings = stored?.settings ?? { ...DEFAULT_SETTINGS, ...definedSettings(options) }
    let successors: NodeRef[] = []
    let supernodes: NodeRef[] = [self]
    let joinedView: View | undefined
    if (!founder) {
      try {
        const admission = await requestAdmission({
          host,
          bootstrap: via,
          supernode: bootstrap,
          timeoutMs: bootstrap && connect.length === 0 && highest ? Math.min(RECOVERY_PROBE_MS, options.joinTimeoutMs ?? 30_000) : options.joinTimeoutMs ?? 30_000,
          onRetry: (err, attempt) => log('join attempt %d failed: %s', attempt, err.message)
        }, admissionDecoder({ space, book }))
        settings = admission.settings
        successors = admission.successors
        supernodes = admission.supernodes
        joinedView = admission.view
      } catch (err) {
        if (connect.length > 0 || !bootstrap) throw err
        log('no supernode of the stored view answered (%s): starting the ring again alone', (err as Error).message)
      }
    }
    if (stored !== undefined && definedSettings(options).k !== undefined && definedSettings(options).k !== settings.k) {
      log('warning: the ring was created with k = %d; --k %d is ignored', settings.k, definedSettings(options).k)
    }
    validateSettings(settings)
    chord = new ChordService({ host, book, ...settings, limits: { ...DEFAULT_LIMITS, timeoutMs: options.rpcTimeoutMs ?? DEFAULT_LIMITS.timeoutMs } })
    await chord.serve()
    const durable = options.s3 === undefined ? undefined : new S3Tier({ s3: options.s3, local: blobs, dir: storeDir, log: logger('chord-peer:s3') })
    files = new FilesService({ host, chord, blobs, records, k: settings.k, chunkSize: options.chunkSize, replicationIntervalMs: options.replicationIntervalMs, durable })
    await files.serve()
    if (successors.length > 0) await chord.node.join(successors)
    if (bootstrap) {
      // A new ring (or one restarted from its stored view) starts a view of its own, in a later epoch than the
      // stored one; a supernode that joined a group starts from the leader's view and follows that leader.
      const view: View = joinedView ?? {
        version: (stored?.version ?? 0) + 1,
        epoch: stored?.epoch ?? 0,
        settings,
        supernodes: [self],
        members: withNode(stored?.members ?? [], self)
      }
      const follow = joinedView?.leader !== undefined ? { leader: joinedView.leader, epoch: joinedView.epoch } : undefined
      election = new ElectionService({
        host,
        chord,
        supernodes: view.supernodes,
        ...(follow !== undefined ? { follow } : { startEpoch: view.epoch }),
        config: options.election,
        viewVersion: () => membership?.current.version ?? 0,
        onBehind: node => membership?.push(undefined, [node]),
        onLead: () => { membership?.lead().catch(err => log('cannot take over the view: %s', (err as Error).message)) }
      })
      membership = new MembershipService({ host, chord, view, election, stores: viewStores })
      const members = membership
      chord.addEventListener('node:dead', (e: Event) => {
        void members.reportDead((e as CustomEvent<DeadNodeDetail>).detail.node)
      })
      await membership.serve()
      await election.start()
    } else {
      // A peer's ring neighbours are often peers, which no supernode watches: a peer that finds a member dead
      // tells a supernode, which checks for itself (REPORT_DEAD) and has the leader take it out of the view.
      const reporting = new Set<string>()
      chord.addEventListener('node:dead', (e: Event) => {
        const node = (e as CustomEvent<DeadNodeDetail>).detail.node
        if (reporting.has(node.address) || supernodes.some(s => s.address === node.address)) return
        reporting.add(node.address)
        void reportDeadTo(host, book, supernodes, node, REPORT_DEAD_MS).catch(() => false).finally(() => reporting.delete(node.address))
      })
      if (options.dataDir !== undefined) await saveSupernodes(options.dataDir, book, supernodes)
    }
    chord.startMaintenance()
    files.startReplication()

    const role = bootstrap ? 'supernode' : 'peer'
    let stopping: Promise<void> | undefined
    const peer: Peer = {
      peerId: host.peerId.toString(),
      id: space.toHex(chord.self.id),
      role,
      multiaddrs: host.getMultiaddrs().map(a => a.toString()),
      settings,
      host,
      chord,
      files,
      election,
      membership,
      supernodes: () => membership?.current.supernodes ?? supernodes,
      lookup: async (query, opts) => lookupJson(chord!, query, opts?.signal),
      stop: async (opts = {}) => {
        stopping ??= (async () => {
          await api?.close()
          const leave = opts.leave !== false
          // Leaving goes through the leader (DESIGN §4); when no supernode answers, the ring still hears of it.
          if (leave && membership !== undefined) await membership.leave(LEAVE_NOTICE_MS).catch(err => log('leave notice failed: %s', (err as Error).message))
          else if (leave) await announceLeave(host, book, supernodes, LEAVE_NOTICE_MS)
          await election?.stop()
          await membership?.stop()
          if (leave) await files!.handOff()
          await files!.stop()
          await chord!.stop({ leave })
          await host.stop()
          await closeStores()
          if (options.dataDir !== undefined && api !== undefined) await removeApiFile(options.dataDir, api.url)
        })()
        return stopping
      }
    }

    if (apiListen !== undefined) {
      api = await startApiServer(daemonApi(peer, started), { host: apiListen.host.replace(/^\[|\]$/g, ''), port: apiListen.port })
      Object.assign(peer, { apiUrl: api.url })
      if (!isLoopback(apiListen.host.replace(/^\[|\]$/g, ''))) log('warning: the HTTP API is bound to %s, reachable from other hosts', apiListen.host)
      if (options.dataDir !== undefined) {
        await mkdir(options.dataDir, { recursive: true })
        await writeFile(join(options.dataDir, API_FILE), api.url + '\n')
      }
    }
    return peer
  } catch (err) {
    await api?.close()
    await election?.stop()
    await membership?.stop()
    await files?.stop()
    await chord?.stop()
    await host.stop()
    await closeStores()
    throw err
  }
}

/** The view file in a supernode's data dir; a peer's list of supernodes. */
export const VIEW_FILE = 'view.json'
export const SUPERNODES_FILE = 'supernodes.json'
/** How long a leaving node waits for the leader to note it. */
const LEAVE_NOTICE_MS = 2_000
/** How long a peer tries the supernodes with one dead-node report. */
const REPORT_DEAD_MS = 10_000
/** How long the stored supernode with the highest id looks for its group before it restarts the ring. */
const RECOVERY_PROBE_MS = 2_000

/** The newest view in `stores`, or undefined; a store that fails to load is logged and skipped. */
async function loadView (stores: ViewStore[], space: IdSpace, book: AddressBook, log: (f: string, ...a: unknown[]) => void): Promise<View | undefined> {
  let best: View | undefined
  for (const store of stores) {
    try {
      const json = await store.load()
      if (json === undefined) continue
      const view = viewFromJson(space, book, json)
      if (best === undefined || newerView(view, best)) best = view
    } catch (err) {
      log('cannot load the view from %s: %s', store.where, (err as Error).message)
    }
  }
  return best
}

async function loadSupernodes (dataDir: string, space: IdSpace, book: AddressBook): Promise<NodeRef[]> {
  const text = await readFile(join(dataDir, SUPERNODES_FILE), 'utf8').catch(() => undefined)
  if (text === undefined) return []
  try {
    const json = JSON.parse(text) as Pick<ViewJson, 'supernodes'>
    return viewFromJson(space, book, { version: 0, epoch: 0, settings: DEFAULT_SETTINGS, supernodes: json.supernodes, members: [] }).supernodes
  } catch {
    return []
  }
}

async function saveSupernodes (dataDir: string, book: AddressBook, supernodes: NodeRef[]): Promise<void> {
  const json = viewToJson(book, { version: 0, epoch: 0, settings: DEFAULT_SETTINGS, supernodes, members: [] })
  await writeFile(join(dataDir, SUPERNODES_FILE), JSON.stringify({ supernodes: json.supernodes }, null, 2) + '\n')
}

function dialAddrs (book: AddressBook, node: NodeRef): Multiaddr[] {
  return (book.get(node.address)?.addrs ?? []).map(a => a.encapsulate(`/p2p/${node.address}`))
}

function definedSettings (o: PeerOptions): Partial<RingSettings> {
  const out: Partial<RingSettings> = {}
  if (o.k !== undefined) out.k = o.k
  if (o.r !== undefined) out.r = o.r
  if (o.stabilizeIntervalMs !== undefined) out.stabilizeIntervalMs = o.stabilizeIntervalMs
  if (o.fixFingersIntervalMs !== undefined) out.fixFingersIntervalMs = o.fixFingersIntervalMs
  if (o.checkPredecessorIntervalMs !== undefined) out.checkPredecessorIntervalMs = o.checkPredecessorIntervalMs
  return out
}

function validateSettings (s: RingSettings): void {
  const positive = (name: string, v: number, max: number): void => {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new InvalidInputError(`${name} must be an integer in [1, ${max}], got ${v}`)
  }
  positive('k', s.k, 16)
  positive('r', s.r, MAX_R)
  positive('stabilizeIntervalMs', s.stabilizeIntervalMs, 3_600_000)
  positive('fixFingersIntervalMs', s.fixFingersIntervalMs, 3_600_000)
  positive('checkPredecessorIntervalMs', s.checkPredecessorIntervalMs, 3_600_000)
}

function parseConnect (addr: string): Multiaddr {
  let ma: Multiaddr
  try {
    ma = multiaddr(addr)
  } catch (err) {
    throw new InvalidInputError(`invalid multiaddr ${JSON.stringify(addr)}: ${(err as Error).message}`)
  }
  if (ma.getComponents().every(c => c.name !== 'p2p')) throw new InvalidInputError(`${addr} has no /p2p/<peer id>: a supernode address must name its peer`)
  return ma
}

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))
}

async function removeApiFile (dataDir: string, url: string): Promise<void> {
  const file = join(dataDir, API_FILE)
  const current = await readFile(file, 'utf8').catch(() => '')
  if (current.trim() === url) await rm(file, { force: true })
}

// ---- JSON views for the HTTP API --------------------------------------------------------------------------

function nodeJson (chord: ChordService, node: NodeRef): NodeJson {
  const addrs = chord.book.get(node.address)?.addrs.map(a => `${a.toString()}/p2p/${node.address}`)
  return { id: chord.space.toHex(node.id), peerId: node.address, ...(addrs !== undefined && addrs.length > 0 ? { addrs } : {}) }
}

function fingerRuns (chord: ChordService): FingerJson[] {
  const runs: FingerJson[] = []
  for (const f of chord.node.state.fingers.list()) {
    if (f.node === undefined) continue
    const last = runs[runs.length - 1]
    if (last !== undefined && last.to === f.index - 1 && last.node.id === chord.space.toHex(f.node.id)) last.to = f.index
    else runs.push({ from: f.index, to: f.index, start: chord.space.toHex(f.start), node: nodeJson(chord, f.node) })
  }
  return runs
}

async function lookupJson (chord: ChordService, query: { name: string } | { id: string }, signal?: AbortSignal): Promise<LookupJson> {
  const key = 'name' in query ? chord.space.hash(query.name) : BigInt('0x' + query.id)
  const t0 = performance.now()
  const path: NodeJson[] = []
  for await (const event of chord.lookup(key, { signal })) {
    if (event.type === 'hop') path.push(nodeJson(chord, event.node))
    if (event.type === 'failed') throw new LookupFailedError(`lookup failed after ${event.hops} hops: ${event.reason}`)
    if (event.type === 'found') {
      return {
        key: chord.space.toHex(key),
        ...('name' in query ? { name: query.name } : {}),
        owner: nodeJson(chord, event.nodes[0]),
        successors: event.nodes.map(n => nodeJson(chord, n)),
        hops: event.hops,
        path,
        ms: round(performance.now() - t0)
      }
    }
  }
  throw new LookupFailedError('lookup ended without a result')
}

function daemonApi (peer: Peer, started: number): DaemonApi {
  const chord = peer.chord
  return {
    status: (): StatusJson => {
      const st = chord.node.state
      return {
        node: { ...nodeJson(chord, chord.self), addrs: peer.multiaddrs },
        role: peer.role,
        apiUrl: peer.apiUrl ?? '',
        settings: peer.settings,
        joined: !st.alone || peer.role === 'supernode',
        ...(st.predecessor !== undefined ? { predecessor: nodeJson(chord, st.predecessor) } : {}),
        successors: st.successors.map(n => nodeJson(chord, n)),
        fingers: fingerRuns(chord),
        ...leaderSummary(peer),
        connections: peer.host.getConnections().length,
        uptimeMs: Date.now() - started
      }
    },
    ring: async (check, signal): Promise<RingJson> => {
      const result = await chord.node.checkRing(10_000, { signal })
      return {
        members: result.walk.map(w => ({
          ...nodeJson(chord, w.node),
          ...(w.predecessor !== undefined ? { predecessor: nodeJson(chord, w.predecessor) } : {}),
          successors: w.successors.map(n => nodeJson(chord, n))
        })),
        closed: result.closed,
        ...(check ? { check: { ok: result.ok, problems: result.problems } } : {})
      }
    },
    leader: async (signal): Promise<LeaderJson> => {
      if (peer.election !== undefined && peer.membership !== undefined) {
        const view = peer.membership.current
        return await peer.election.status({ version: view.version, members: view.members.length }, n => nodeJson(chord, n), signal)
      }
      return await observedLeader(peer, signal)
    },
    lookup: async (query, signal) => lookupJson(chord, query, signal),
    put: async (name, body, contentType, signal): Promise<PutJson> => {
      const r = await peer.files.put(name, body, { contentType, signal })
      return { file: fileJson(r.record), holders: r.holders.map(n => nodeJson(chord, n)), k: peer.settings.k, ms: round(r.ms) }
    },
    get: async (name, range, signal) => {
      const r = await peer.files.read(name, range === undefined
        ? { signal }
        : range.suffix !== undefined ? { last: range.suffix, signal } : { offset: range.start, length: range.end === undefined ? undefined : range.end - range.start, signal })
      return { file: fileJson(r.record), offset: r.offset, length: r.length, body: r.body }
    },
    list: async (page, signal): Promise<ListJson> => {
      const r = await peer.files.list({ ...page, signal })
      return { files: r.records.map(fileJson), ...(r.next !== undefined ? { next: r.next } : {}) }
    },
    locate: async (name, signal): Promise<LocateJson> => {
      const r = await peer.files.locate(name, { signal })
      return {
        name,
        key: r.key,
        placement: r.placement.map(n => nodeJson(chord, n)),
        holders: r.holders.map(h => ({
          node: nodeJson(chord, h.node),
          has: r.record !== undefined && h.record?.hash === r.record.hash && !h.record.tombstone,
          ...(h.record !== undefined ? { version: h.record.version } : {}),
          ...(h.error !== undefined ? { error: h.error } : {})
        })),
        hops: r.hops,
        ...(r.record !== undefined ? { file: fileJson(r.record) } : {})
      }
    },
    remove: async (name, signal): Promise<DeleteJson> => {
      const r = await peer.files.remove(name, { signal })
      return { name, key: r.record.key, version: r.record.version, holders: r.holders.map(n => nodeJson(chord, n)) }
    }
  }
}

function leaderSummary (peer: Peer): Pick<StatusJson, 'leader'> {
  const leader = peer.election?.leader()
  if (peer.election === undefined || leader === undefined) return {}
  return { leader: { peerId: leader.address, epoch: peer.election.epoch(), acting: peer.election.json({ version: 0, members: 0 }, n => nodeJson(peer.chord, n)).acting } }
}

/** A plain peer's view of the election: ask every supernode it knows for its view; the newest one wins. */
async function observedLeader (peer: Peer, signal: AbortSignal): Promise<LeaderJson> {
  const chord = peer.chord
  const known = peer.supernodes()
  const t0 = Date.now()
  const answers = await Promise.all(known.map(async n => fetchView(peer.host, chord, n, signal).then(v => ({ n, v }), () => ({ n, v: undefined }))))
  let best: View | undefined
  for (const a of answers) if (a.v !== undefined && (best === undefined || newerView(a.v, best))) best = a.v
  const supernodes = best?.supernodes ?? known
  const alive = new Set(answers.filter(a => a.v !== undefined).map(a => a.n.address))
  return {
    ...(best?.leader !== undefined ? { leader: nodeJson(chord, best.leader) } : {}),
    epoch: best?.epoch ?? 0,
    acting: best?.leader !== undefined && alive.has(best.leader.address),
    role: 'peer',
    supernodes: supernodes.map(n => ({
      ...nodeJson(chord, n),
      leader: best?.leader?.address === n.address,
      alive: alive.has(n.address),
      ...(alive.has(n.address) ? { lastSeenMs: Date.now() - t0 } : {})
    })),
    view: { version: best?.version ?? 0, members: best?.members.length ?? 0 }
  }
}

function fileJson (r: FileRecord): FileJson {
  return { name: r.name, key: r.key, size: r.size, hash: r.hash, contentType: r.contentType, version: r.version, created: r.created, modified: r.modified }
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000
