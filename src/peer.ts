// The composition root: createPeer() takes the data dir's lock (src/data-dir-lock.ts), then builds one node's
// services and starts them in order — metrics, stores, libp2p host, view stores, the members-only gate, the way in
// (join or found: membership/bootstrap.ts), files, the ring, replication, on a supernode the election and the
// membership server (on a peer its membership client), the HTTP API, the metrics listener — and stops them in
// reverse, on shutdown and after a failed start alike, then releases the lock. The CLI daemon, the test-net helper
// and scripts start nodes here.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { daemonApi, lookupJson } from './api/daemon-api.js'
import { ApiServer } from './api/server.js'
import { ChordService, DEFAULT_LIMITS } from './chord/service.js'
import { PeerDirectory } from './chord/wire.js'
import { parseHostPort } from './client/api-url.js'
import {
  DEFAULT_JOIN_TIMEOUT_MS, isLoopback, parseApiHosts, parseConnect, requestedSettings, type PeerOptions, type RingSettings
} from './config.js'
import { DataDirLock } from './data-dir-lock.js'
import { ElectionService } from './election/service.js'
import { InvalidInputError } from './errors.js'
import { FilesService, type LocateResult, type PutResult } from './files/service.js'
import type { FileRecord } from './files/record.js'
import { NodeStores } from './files/stores.js'
import { Services } from './lifecycle.js'
import { eventNode, NodeEvents, type NodeEventInit } from './events.js'
import { joinOrFound, SUPERNODES_FILE, type Entry } from './membership/bootstrap.js'
import { MembershipClient, PeerMembership } from './membership/client.js'
import { MembershipServer } from './membership/server.js'
import { ViewStores } from './membership/view.js'
import { NodeMetrics } from './metrics/node-metrics.js'
import { MetricsServer } from './metrics/server.js'
import { observeNode } from './metrics/sources.js'
import { createHost, eitherGater, type Host } from './net/host.js'
import { loadOrCreateKey, newKey } from './net/identity.js'
import { checkPortsFree, fromLibp2pListenError, listenError } from './net/listen.js'
import { IdSpace, type NodeRef } from './ring/index.js'
import { CERT_TTL_MS, CertVerifier, Role } from './trust/certs.js'
import { Bans } from './trust/bans.js'
import { MemberGate } from './trust/gate.js'
import { DEFAULT_INVITE_TTL_MS, inviteBytes, MAX_INVITE_TTL_MS } from './trust/invites.js'
import type { LookupJson } from './api/types.js'

export { DEFAULT_SETTINGS, type PeerOptions } from './config.js'

export interface Peer {
  readonly peerId: string
  /** Ring id, 64 hex digits. */
  readonly id: string
  readonly role: 'supernode' | 'peer'
  /** Listen multiaddrs with /p2p/<peerId>. */
  readonly multiaddrs: string[]
  readonly apiUrl?: string
  /**
   * The bearer token the HTTP API asks of every request (`Authorization: Bearer <token>`), new each start. With a
   * data dir it is also in `<dataDir>/api-token`; without one only here.
   */
  readonly apiToken?: string
  readonly settings: RingSettings
  readonly host: Host
  /** A supernode's election and membership services. */
  readonly election?: ElectionService
  readonly membership?: MembershipServer
  /** The supernodes this node knows (a peer: from its admission). */
  supernodes (): readonly NodeRef[]
  readonly chord: ChordService
  readonly files: FilesService
  /** What the node reports as it happens (src/events.ts): the daemon's log and `GET /api/events` read it. */
  readonly events: NodeEvents
  /**
   * This node's metrics (src/metrics/): `scrape()` is the Prometheus text of `GET /metrics`, `traffic()` the running
   * totals of `GET /api/traffic`.
   */
  readonly metrics: NodeMetrics
  /** The `metrics` option's listener (`GET /metrics` without the token), when there is one. */
  readonly metricsUrl?: string
  /**
   * Mint an invite (a supernode only): to join as a supernode, or as a peer of an invite-only ring. Single use,
   * valid for `ttlMs` (default an hour, at most a week).
   */
  invite (options?: { supernode?: boolean, ttlMs?: number }): Promise<{ token: string, expires: number }>
  /** The owner of a name's key (or of a raw 64-hex key) and the lookup's path. */
  lookup (query: { name: string } | { id: string }, options?: { signal?: AbortSignal }): Promise<LookupJson>
  /**
   * Store `data` under `name` on its k placement nodes, streamed; this node writes (and signs) the version, so it
   * owns the name. Resolves once a write quorum committed (QuorumError otherwise; NotOwnerError for a name
   * another member owns). `files.put` is the same with a content type.
   */
  put (
    name: string, data: Uint8Array | string | AsyncIterable<Uint8Array>, options?: { contentType?: string, signal?: AbortSignal }
  ): Promise<PutResult>
  /** The newest version of `name`, every chunk verified, as bytes (NotFoundError when none): `files.read` streams it. */
  get (name: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>
  /**
   * One page of every file in the ring (with `prefix`, of the names starting with it), in key order; pass `next`
   * as `after` for the following page. A filtered page may hold fewer than `limit` files and still have a `next`.
   */
  ls (
    options?: { after?: string, limit?: number, prefix?: string, signal?: AbortSignal }
  ): Promise<{ records: FileRecord[], next?: string }>
  /** Where `name` should be (its k placement nodes) and which of them hold its newest version. */
  locate (name: string, options?: { signal?: AbortSignal }): Promise<LocateResult>
  /** Delete `name`: a tombstone version replaces it on every placement node (its owner, or a supernode). */
  rm (name: string, options?: { signal?: AbortSignal }): Promise<PutResult>
  /** Leave gracefully (tell the neighbours) and shut down; `{ leave: false }` just stops, like a crash. */
  stop (options?: { leave?: boolean }): Promise<void>
}

export async function createPeer (options: PeerOptions = {}): Promise<Peer> {
  const log = logger('chord-peer:peer')
  // Made first: every service may report into it from its start on.
  const events = new NodeEvents()
  const started = Date.now()
  const supernode = options.bootstrap === true
  const connect = (options.connect ?? []).map(parseConnect)
  // A peer that ran before may rejoin through the supernodes it learnt (its data dir's supernodes.json).
  if (!supernode && connect.length === 0 && (options.dataDir === undefined || !existsSync(join(options.dataDir, SUPERNODES_FILE)))) {
    throw new InvalidInputError('give bootstrap: true to start a ring or connect: [<multiaddr>] to join one')
  }
  const apiListen = options.api === false ? undefined : parseHostPort(options.api ?? '127.0.0.1:0', { allowZero: true })
  const apiHosts = parseApiHosts(options.apiHosts ?? [])
  const metricsListen = options.metrics === undefined ? undefined : parseHostPort(options.metrics, { allowZero: true })
  const dataDir = options.dataDir
  const invite = options.invite === undefined ? undefined : inviteBytes(options.invite)
  if (options.invite !== undefined && invite === undefined) {
    throw new InvalidInputError('the invite is not a token (`chord-peer invite` makes one)')
  }
  const { maxStorage } = options
  if (maxStorage !== undefined && !(Number.isSafeInteger(maxStorage) && maxStorage > 0)) {
    throw new InvalidInputError(`maxStorage must be a positive number of bytes, got ${maxStorage}`)
  }
  // One node per data dir (src/data-dir-lock.ts): a dir in use, then a fixed port in use, fails the start before
  // anything in the dir is read or written; the lock is taken before the identity key is read or made.
  if (dataDir !== undefined) await DataDirLock.assertFree(dataDir)
  await checkPortsFree(options.listen ?? [], apiListen, metricsListen)
  const lock = dataDir === undefined ? undefined : await DataDirLock.take(dataDir)

  const services = new Services()
  try {
    // Made before the host, which counts its connection bytes into it; it claims libp2p's metrics if asked.
    const metrics = await services.start(new NodeMetrics({ libp2p: options.libp2pMetrics, statfsDir: dataDir }))
    const privateKey = options.privateKey ?? (dataDir === undefined ? await newKey() : await loadOrCreateKey(dataDir))
    const stores = await services.start(new NodeStores(dataDir, { maxStorage }))
    // Peers turned away for flooding (src/trust/bans.ts): the host's gater refuses their connections, the gate and
    // the index server report them.
    const bans = new Bans({ banMs: options.banMs, events })
    const connectionGater = options.connectionGater === undefined ? bans.gater : eitherGater(bans.gater, options.connectionGater)
    const host = await services.start(await createHost({
      privateKey, listen: options.listen, start: false, swarmKey: options.swarmKey, connectionGater, metrics: metrics.libp2p
    }))
    bans.attach(host)
    const views = await services.start(new ViewStores(supernode ? { dataDir, s3: options.s3 } : {}))
    const peers = new PeerDirectory(new IdSpace(), host, new CertVerifier(Date.now, options.certTtlMs ?? CERT_TTL_MS))
    // The members-only gate serves this node's certificate and checks everyone else's (src/trust/gate.ts).
    const gate = await services.start(new MemberGate({ host, members: peers, bans }))
    const client = new MembershipClient(host, peers)
    const entry = await joinOrFound({
      peers,
      client,
      self: peers.learn(host.peerId),
      supernode,
      connect,
      dataDir,
      viewStores: views.list,
      requested: requestedSettings(options),
      invite,
      joinTimeoutMs: options.joinTimeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS,
      onJoinRetry: options.onJoinRetry,
      log
    })
    if (entry.cert !== undefined) gate.setOwn(entry.cert)
    const { settings } = entry
    events.emit(entered(entry, peers.space, peers.learn(host.peerId)))
    const limits = { ...DEFAULT_LIMITS, timeoutMs: options.rpcTimeoutMs ?? DEFAULT_LIMITS.timeoutMs }
    const chord = new ChordService({ host, peers, join: entry.successors, ...settings, limits, gate: gate.check, metrics, events })
    const { blobs, records } = stores
    const { chunkSize, replicationIntervalMs, s3, scrubRate } = options
    // The AWS SDK is loaded only when S3 is configured (it is about a third of a node's start-up).
    const durable = s3 === undefined
      ? undefined
      : new (await import('./files/s3-tier.js')).S3Tier({ s3, local: blobs, dir: stores.dir, log: logger('chord-peer:s3'), events })
    const { k } = settings
    const files = new FilesService({
      host, ring: chord, blobs, records, k, chunkSize, replicationIntervalMs, scrubRate, durable, now: Date.now, key: privateKey,
      gate: gate.check, isSupernode: (address: string) => peers.verifier.isRoot(address), bans, metrics, events
    })
    // Files serve before the ring is joined, so the nodes that route to this one find its protocols there.
    await services.start(files)
    await services.start(chord)
    // Replication stops after membership: a leaving node leaves the view first, then hands its range over.
    await services.start(files.replicator)
    let election: ElectionService | undefined
    let membership: MembershipServer | undefined
    let peerMembership: PeerMembership | undefined
    if (entry.supernode !== undefined) {
      const { view, follow, startEpoch } = entry.supernode
      const start = follow !== undefined ? { follow } : { startEpoch }
      const { supernodes } = view
      election = new ElectionService({ host, ring: chord, supernodes, ...start, config: options.election, gate: gate.check, events })
      // Made before the election starts: it listens to the election's events from the first one.
      membership = new MembershipServer({
        host, ring: chord, key: privateKey, view, election, setOwnCert: c => { gate.setOwn(c) }, stores: views.list,
        joinRate: options.joinRate, bans, maxMembers: options.maxMembers, enterDeadlineMs: options.enterDeadlineMs, events
      })
      await services.start(election)
      await services.start(membership)
    } else {
      const setOwnCert = (c: Uint8Array<ArrayBuffer>): void => { gate.setOwn(c) }
      const member = new PeerMembership({ ring: chord, client, supernodes: entry.supernodes, bootstrap: connect, setOwnCert, events })
      peerMembership = await services.start(member)
      peers.verifier.onRootsStale = () => { member.refreshRoots() }
    }

    // The gauges read the services at scrape time.
    const role = supernode ? 'supernode' : 'peer'
    observeNode(metrics, { role, host, chord, files, quota: () => blobs.quota, durable, election, membership })
    let api: ApiServer | undefined
    let metricsServer: MetricsServer | undefined
    let stopping: Promise<void> | undefined
    const peer: Peer = {
      peerId: host.peerId.toString(),
      id: chord.space.toHex(chord.self.id),
      role: supernode ? 'supernode' : 'peer',
      multiaddrs: host.getMultiaddrs().map(a => a.toString()),
      get apiUrl () { return api?.url },
      get apiToken () { return api?.token },
      get metricsUrl () { return metricsServer?.url },
      settings,
      host,
      election,
      membership,
      supernodes: () => membership?.current.supernodes ?? peerMembership?.supernodes ?? entry.supernodes,
      invite: async (opts = {}) => {
        if (membership === undefined) throw new InvalidInputError('only a supernode mints invites')
        const ttlMs = opts.ttlMs ?? DEFAULT_INVITE_TTL_MS
        if (!(ttlMs > 0 && ttlMs <= MAX_INVITE_TTL_MS)) {
          throw new InvalidInputError(`an invite's lifetime must be in (0, ${MAX_INVITE_TTL_MS}] ms`)
        }
        return await membership.invite(opts.supernode === true ? Role.SUPERNODE : Role.PEER, ttlMs)
      },
      chord,
      files,
      events,
      metrics,
      lookup: async (query, opts) => await lookupJson(chord, query, opts?.signal),
      put: async (name, data, opts) => await files.put(name, bytesOf(data), opts),
      get: async (name, opts) => {
        const chunks: Uint8Array[] = []
        for await (const chunk of (await files.read(name, opts)).body) chunks.push(chunk)
        return Buffer.concat(chunks)
      },
      ls: async opts => await files.list(opts),
      locate: async (name, opts) => await files.locate(name, opts),
      rm: async (name, opts) => await files.remove(name, opts),
      stop: async (opts = {}) => {
        stopping ??= services.stop({ leave: opts.leave !== false }, log).finally(async () => await lock?.release())
        await stopping
      }
    }
    if (apiListen !== undefined) {
      const apiHost = apiListen.host.replace(/^\[|\]$/g, '')
      const routes = daemonApi(peer, { client, started, now: Date.now, stores })
      api = await services.start(new ApiServer(routes, { host: apiHost, port: apiListen.port, dataDir, hosts: apiHosts }))
        .catch((err: unknown) => {
          const listening = (err as NodeJS.ErrnoException).syscall === 'listen'
          throw listening ? listenError('api', `${apiListen.host}:${apiListen.port}`, err) : err
        })
      await lock?.setApi(api.url)
      if (!isLoopback(apiHost)) {
        log('warning: the HTTP API is bound to %s, reachable from other hosts (its token is still required)', apiListen.host)
      }
    }
    if (metricsListen !== undefined) {
      const metricsHost = metricsListen.host.replace(/^\[|\]$/g, '')
      const scrape = async (): Promise<{ contentType: string, text: string }> => await metrics.scrape()
      metricsServer = await services.start(new MetricsServer({ host: metricsHost, port: metricsListen.port, scrape }))
        .catch((err: unknown) => {
          const listening = (err as NodeJS.ErrnoException).syscall === 'listen'
          throw listening ? listenError('metrics', `${metricsListen.host}:${metricsListen.port}`, err) : err
        })
      if (!isLoopback(metricsHost)) log('warning: /metrics is served without a token at %s, reachable from other hosts', metricsServer.url)
    }
    return peer
  } catch (err) {
    await services.stop({}, log)
    await lock?.release({ failedStart: true })
    throw fromLibp2pListenError(err, options.listen ?? [])
  }
}

/** This node's own entry into the ring, as the first event of its log: joined through a supernode, or founded the ring. */
function entered (entry: Entry, space: IdSpace, self: NodeRef): NodeEventInit {
  const role = entry.supernode !== undefined ? 'supernode' : 'peer'
  const node = eventNode(space, self)
  const k = `k = ${entry.settings.k}`
  if (entry.successors.length > 0) {
    return {
      type: 'member.joined',
      node,
      role,
      level: 'info',
      message: `this node (${self.address}) joined the ring as a ${role}, successor ${entry.successors[0].address} (${k})`
    }
  }
  const view = entry.supernode?.view
  const restarted = view !== undefined && view.members.length > 1
  return {
    type: 'member.joined',
    node,
    role,
    level: 'info',
    message: restarted
      ? `this node (${self.address}) started the ring again from its stored view (${view.members.length} members, ${k})`
      : `this node (${self.address}) started a new ring as its first supernode (${k})`
  }
}

/** Bytes or a string (UTF-8) as a one-piece stream; a stream as it is. */
function bytesOf (data: Uint8Array | string | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) return data
  const bytes = typeof data === 'string' ? Buffer.from(data) : data
  return (async function * () { yield bytes })()
}
