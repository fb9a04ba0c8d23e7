// The composition root: createPeer() wires a libp2p host, the Chord service, the supernode's membership service
// and the HTTP API into one running node. The CLI daemon, the test-net helper and scripts all start nodes here.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { startApiServer, type ApiServer, type DaemonApi } from './api/server.js'
import { API_FILE, parseHostPort } from './client/api-url.js'
import { ChordService, DEFAULT_LIMITS } from './chord/service.js'
import { AddressBook } from './chord/wire.js'
import { InvalidInputError, LookupFailedError } from './errors.js'
import { FilesService } from './files/service.js'
import { admissionDecoder, requestAdmission, serveMembership, type RingSettings } from './membership/service.js'
import { createHost, type Host } from './net/host.js'
import { loadOrCreateKey, newKey } from './net/identity.js'
import { IdSpace, type NodeRef } from './ring/index.js'
import { S3Tier } from './files/s3-tier.js'
import { FsBlobStore } from './storage/fs-blob-store.js'
import { RecordStore } from './storage/record-store.js'
import type { DeleteJson, FileJson, FingerJson, ListJson, LocateJson, LookupJson, NodeJson, PutJson, RingJson, StatusJson } from './api/types.js'
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
  let api: ApiServer | undefined
  // Files live in <dataDir>/store; a node without a data dir keeps them in a temp dir removed at stop.
  const storeDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'chord-peer-store-')) : join(options.dataDir, 'store')
  const blobs = await FsBlobStore.open(storeDir)
  const records = await RecordStore.open(storeDir)
  const closeStores = async (): Promise<void> => {
    await records.close()
    await blobs.close()
    if (options.dataDir === undefined) await rm(storeDir, { recursive: true, force: true })
  }
  try {
    const space = new IdSpace()
    const book = new AddressBook()
    let settings: RingSettings
    let successors: NodeRef[] = []
    if (connect.length === 0) {
      settings = { ...DEFAULT_SETTINGS, ...definedSettings(options) }
    } else {
      const admission = await requestAdmission({
        host,
        bootstrap: connect,
        timeoutMs: options.joinTimeoutMs ?? 30_000,
        onRetry: (err, attempt) => log('join attempt %d failed: %s', attempt, err.message)
      }, admissionDecoder({ space, book }))
      settings = admission.settings
      successors = admission.successors
    }
    validateSettings(settings)
    chord = new ChordService({ host, book, ...settings, limits: { ...DEFAULT_LIMITS, timeoutMs: options.rpcTimeoutMs ?? DEFAULT_LIMITS.timeoutMs } })
    await chord.serve()
    const durable = options.s3 === undefined ? undefined : new S3Tier({ s3: options.s3, local: blobs, dir: storeDir, log: logger('chord-peer:s3') })
    files = new FilesService({ host, chord, blobs, records, k: settings.k, chunkSize: options.chunkSize, replicationIntervalMs: options.replicationIntervalMs, durable })
    await files.serve()
    if (bootstrap) await serveMembership({ host, chord, settings })
    if (successors.length > 0) await chord.node.join(successors)
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
      lookup: async (query, opts) => lookupJson(chord!, query, opts?.signal),
      stop: async (opts = {}) => {
        stopping ??= (async () => {
          await api?.close()
          if (opts.leave !== false) await files!.handOff()
          await files!.stop()
          await chord!.stop({ leave: opts.leave !== false })
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
    await files?.stop()
    await chord?.stop()
    await host.stop()
    await closeStores()
    throw err
  }
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

function fileJson (r: FileRecord): FileJson {
  return { name: r.name, key: r.key, size: r.size, hash: r.hash, contentType: r.contentType, version: r.version, created: r.created, modified: r.modified }
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000
