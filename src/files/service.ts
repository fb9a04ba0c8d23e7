// The files service: the operations a user asks of the ring — put, read, list, locate and delete — and the
// protocols this node serves for them (store.ts, fetch.ts, index-protocol.ts), started and stopped together.
// Placement: primary = successor(key), replicas = the next k − 1 successors, fewer while the ring is smaller
// than k. A put streams through the chain (store.ts) and succeeds once the write quorum committed: two copies
// (one on a one-node ring). A dead primary is skipped, so two replicas also make a quorum; replication
// (replication/) then brings the copies back to k. Versions come from a hybrid clock, so every replica keeps the
// same newest version; a delete writes a tombstone version. This node signs every version it writes
// (signature.ts), reads only versions whose signature verifies, and writes over a name only while it owns it, or
// deletes it as a supernode (owners.ts).
import { logger } from '@libp2p/logger'
import { InvalidInputError, NotFoundError, QuorumError } from '../errors.js'
import { TaskSet, type Service } from '../lifecycle.js'
import { chunkSpan, lists, pieces, spanBytes, trim, verifiedChunks, type ChunkSpan } from './chunks.js'
import { placement, type FilesContext } from './context.js'
import { fetchChunks, FETCH_PROTOCOL, parallelChunks, serveFetch, SPREAD_BELOW_BYTES_PER_S } from './fetch.js'
import { sha256Hex } from './hashing.js'
import { IndexClient, indexHandler, INDEX_PROTOCOL, serveIndex } from './index-protocol.js'
import { StreamSlots, TransferBudget } from './limits.js'
import { checkOwner, type IsSupernode } from './owners.js'
import { compareVersions, DEFAULT_CHUNK_SIZE, HybridClock, MAX_LIST, MAX_NAME_BYTES, type FileRecord } from './record.js'
import { Repairer } from './repair.js'
import { Scrubber } from './scrub.js'
import { BlobCollector, isCollectable, type BlobCollectorInit } from './blob-gc.js'
import { DEFAULT_REPLICATION_INTERVAL_MS, Replicator } from './replication/replicator.js'
import { versionProblem } from './signature.js'
import { pushVersion, serveStore, STORE_PROTOCOL } from './store.js'
import { checkComplete, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, nameProblem } from './wire.js'
import type { Ring } from '../chord/ring.js'
import type { Gate } from '../net/rpc.js'
import type { DurableTier } from './durable.js'
import type { RecordStore } from './record-store.js'
import type { NodeRef } from '../ring/index.js'
import type { BlobStore } from '../storage/blob-store.js'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface FilesServiceInit {
  host: Libp2p
  ring: Ring
  blobs: BlobStore
  records: RecordStore
  /** Replication factor: total copies. */
  k: number
  /** Chunk size for new files (default 1 MiB). */
  chunkSize?: number
  /** The clock (ms since the epoch). */
  now: () => number
  /** Mean interval of the replica anti-entropy pass, ms (default 10000); ring changes also start one. */
  replicationIntervalMs?: number
  /** Bytes a second the scrubber re-hashes stored blobs at (./scrub.ts: DEFAULT_SCRUB_RATE; 0 turns it off). */
  scrubRate?: number
  /** How long after start the scrubber's first pass begins (default SCRUB_START_DELAY_MS; tests shorten it). */
  scrubStartDelayMs?: number
  /** The blob collector's grace period and timing (./blob-gc.ts; defaults: an hour, hourly, 10 min after start). */
  blobGc?: Pick<BlobCollectorInit, 'graceMs' | 'intervalMs' | 'startDelayMs'>
  /** The durable tier (S3) behind the replicas, if configured. */
  durable?: DurableTier
  /** Who may open the file protocols' streams (members only). */
  gate?: Gate
  /** Told of every index request refused over its rate: a peer refused again and again is banned. */
  bans?: FilesContext['bans']
  /** Bytes all inbound transfers may buffer at once (default TRANSFER_BUDGET_BYTES, limits.ts). */
  transferBudgetBytes?: number
  /** This node's libp2p key (Ed25519, the key of `host`'s PeerId): it signs every version this node writes. */
  key: PrivateKey
  /** Is this PeerId a supernode's? A supernode may delete any member's file (default: nobody is). */
  isSupernode?: IsSupernode
  /** Where repairs, scrub and collection results and refused versions are told (src/events.ts). Default: nowhere. */
  events?: FilesContext['events']
  /** Told of every put, get and delete as it ends, and of repairs and scrubbing (src/metrics/). Default: nobody. */
  metrics?: FilesContext['metrics']
}

export interface PutResult { record: FileRecord, holders: NodeRef[], ms: number }
export interface ReadResult { record: FileRecord, offset: number, length: number, body: AsyncIterable<Uint8Array> }
export interface HolderState { node: NodeRef, record?: FileRecord, error?: Error }
export interface LocateResult { key: string, placement: NodeRef[], holders: HolderState[], hops: number, record?: FileRecord }

export class FilesService implements Service {
  readonly ctx: FilesContext
  /** Keeps k copies of this node's range; a service of its own, started once the node is on the ring. */
  readonly replicator: Replicator
  /** Re-hashes stored blobs in the background and repairs bad ones; `scrubber.last` is its last report. */
  readonly scrubber: Scrubber
  /**
   * Removes blobs no record refers to once older than a grace period; `collector.last` is its last sweep. Absent
   * when the blob store cannot be collected (only FsBlobStore can).
   */
  readonly collector?: BlobCollector
  readonly durable?: DurableTier
  /** Reads spread over several holders when one delivers less than this (bytes/s); Infinity: always. */
  spreadBelow = SPREAD_BELOW_BYTES_PER_S
  private readonly chunkSize: number
  private readonly now: () => number
  private readonly clock: HybridClock
  private readonly tasks: TaskSet
  private readonly index: IndexClient
  private readonly repairer: Repairer
  private readonly serveIndexRequest: ReturnType<typeof indexHandler>

  constructor (init: FilesServiceInit) {
    this.chunkSize = init.chunkSize ?? DEFAULT_CHUNK_SIZE
    if (!Number.isInteger(this.chunkSize) || this.chunkSize < MIN_CHUNK_SIZE || this.chunkSize > MAX_CHUNK_SIZE) {
      throw new InvalidInputError(`chunk size must be an integer in [${MIN_CHUNK_SIZE}, ${MAX_CHUNK_SIZE}], got ${this.chunkSize}`)
    }
    if (init.key.type !== 'Ed25519' || !init.key.publicKey.equals(init.host.peerId.publicKey)) {
      throw new InvalidInputError('the files service needs the Ed25519 private key of the host\'s PeerId')
    }
    this.now = init.now
    this.clock = new HybridClock(init.host.peerId.toString())
    this.durable = init.durable
    const log = logger('chord-peer:files')
    this.tasks = new TaskSet(log)
    this.ctx = {
      host: init.host,
      ring: init.ring,
      blobs: init.blobs,
      records: init.records,
      k: init.k,
      gate: init.gate,
      bans: init.bans,
      events: init.events,
      metrics: init.metrics,
      transfers: new TransferBudget(init.transferBudgetBytes),
      storeSlots: new StreamSlots(),
      key: init.key,
      now: init.now,
      isSupernode: init.isSupernode ?? (() => false),
      log,
      onCommit: record => {
        this.clock.observe(record.version, init.now())
        // The primary uploads every version it commits; the queue persists before enqueue resolves.
        const durable = this.durable
        if (durable !== undefined && init.ring.owns(BigInt('0x' + record.key))) {
          this.tasks.run(`queueing ${record.name} for S3`, async () => { await durable.enqueue(record) })
        }
      },
      stats: { chunksServed: 0, bytesServed: 0 },
      onBadChunk: (holder, record) => {
        this.tasks.run(`asking ${holder.address} to verify ${record.name}`, async signal => {
          await this.index.verify(holder, record.key, signal)
        })
      }
    }
    this.repairer = new Repairer(this.ctx, this.tasks)
    this.scrubber = new Scrubber({
      ctx: this.ctx,
      repair: (record, err) => { this.repairer.repair(record, err) },
      rate: init.scrubRate,
      startDelayMs: init.scrubStartDelayMs
    })
    if (isCollectable(init.blobs)) this.collector = new BlobCollector({ ctx: this.ctx, blobs: init.blobs, ...init.blobGc })
    this.serveIndexRequest = indexHandler(this.ctx, { verify: key => { this.repairer.verify(key) } })
    this.index = new IndexClient(this.ctx, this.serveIndexRequest)
    this.replicator = new Replicator({
      ctx: this.ctx,
      index: this.index,
      durable: init.durable,
      intervalMs: init.replicationIntervalMs ?? DEFAULT_REPLICATION_INTERVAL_MS,
      now: init.now
    })
  }

  /** Serve store, fetch and index (before the node joins, so the ring can reach it at once); start the tier. */
  async start (): Promise<void> {
    await this.durable?.start()
    await serveStore(this.ctx, this.tasks.signal)
    await serveFetch(this.ctx, this.tasks.signal, (record, err) => { this.repairer.repair(record, err) })
    await serveIndex(this.ctx, this.serveIndexRequest)
    this.tasks.run('scrubbing the stored blobs', async signal => { await this.scrubber.run(signal) })
    const collector = this.collector
    if (collector !== undefined) this.tasks.run('collecting unreferenced blobs', async signal => { await collector.run(signal) })
  }

  async stop (): Promise<void> {
    await Promise.all([STORE_PROTOCOL, FETCH_PROTOCOL, INDEX_PROTOCOL].map(async p => this.ctx.host.unhandle(p).catch(() => {})))
    await this.tasks.stop()
    await this.durable?.stop()
    this.index.close()
  }

  // ---- operations ------------------------------------------------------------------------------------------

  /** Store `source` under `name` on its k placement nodes. */
  async put (
    name: string, source: AsyncIterable<Uint8Array>, options: { contentType?: string, signal?: AbortSignal } = {}
  ): Promise<PutResult> {
    const metrics = this.ctx.metrics
    if (metrics === undefined) return await this.putVersion(name, source, options)
    const t0 = performance.now()
    const input = counted(source)
    const result = await this.putVersion(name, input.body, options).catch((err: unknown) => {
      metrics.fileOp('put', 'error', input.bytes(), (performance.now() - t0) / 1000)
      throw err
    })
    metrics.fileOp('put', 'ok', input.bytes(), (performance.now() - t0) / 1000)
    return result
  }

  private async putVersion (
    name: string, source: AsyncIterable<Uint8Array>, options: { contentType?: string, signal?: AbortSignal }
  ): Promise<PutResult> {
    checkName(name)
    const t0 = performance.now()
    const signal = this.signal(options.signal)
    const key = sha256Hex(name)
    const { nodes } = await placement(this.ctx, key, signal)
    const previous = await this.newest(key, nodes, signal).catch(() => undefined)
    checkOwner(previous, this.clock.writer, false, this.ctx.isSupernode) // before a byte of the body is read
    const now = this.now()
    const header: FileRecord = {
      name,
      key,
      size: 0,
      hash: '',
      chunkSize: this.chunkSize,
      chunkHashes: [],
      version: this.clock.next(now),
      tombstone: false,
      contentType: options.contentType ?? 'application/octet-stream',
      created: previous !== undefined && !previous.tombstone ? previous.created : now,
      modified: now,
      signature: '' // pushVersion signs it once the content's hashes are known
    }
    const result = await pushVersion(this.ctx, source, header, nodes, signal)
    checkQuorum(result.stored, nodes, result.refused ?? result.downstreamError) // why: this node's quota, or the chain
    return { record: result.record, holders: result.stored, ms: performance.now() - t0 }
  }

  /**
   * The newest version of `name` and a verified stream of its bytes [offset, offset + length) (or the `last` n). The
   * metrics count a get when its body ends (read to the end, or failed); one never read is not counted.
   */
  async read (name: string, options: { offset?: number, length?: number, last?: number, signal?: AbortSignal } = {}): Promise<ReadResult> {
    const metrics = this.ctx.metrics
    if (metrics === undefined) return await this.readVersion(name, options)
    const t0 = performance.now()
    const result = await this.readVersion(name, options).catch((err: unknown) => {
      metrics.fileOp('get', 'error', 0, (performance.now() - t0) / 1000)
      throw err
    })
    const output = counted(result.body, (ok, bytes) => {
      metrics.fileOp('get', ok ? 'ok' : 'error', bytes, (performance.now() - t0) / 1000)
    })
    return { ...result, body: output.body }
  }

  private async readVersion (
    name: string, options: { offset?: number, length?: number, last?: number, signal?: AbortSignal }
  ): Promise<ReadResult> {
    checkName(name)
    const signal = this.signal(options.signal)
    const key = sha256Hex(name)
    const looked = await placement(this.ctx, key, signal, this.ctx.k + 1)
    const nodes = looked.nodes.slice(0, this.ctx.k)
    const states = await this.states(key, nodes, signal)
    let record = newestOf(states)
    if (record === undefined && looked.nodes.length > nodes.length) {
      // No placement node knows the name: ask the next node too, as a store hop admits a version on the first
      // k + 1 (store.ts: admit). A put made while the ring routed around the owner lands there and stays there
      // (sync pulls only from the owner's replicas, none with k = 1). E.g. V bans its predecessor H
      // (src/trust/bans.ts): H, refused, drops V and routes V's keys to V's successor; once the ban ends V owns
      // them again, and without this its range's files put meanwhile could not be read by anyone.
      states.push(...await this.states(key, looked.nodes.slice(nodes.length), signal))
      record = newestOf(states)
    }
    let fromDurable = false
    if (record === undefined && this.durable !== undefined) {
      // No replica knows the name: every holder may be gone. The durable tier may still have it.
      record = await this.durable.record(key, { signal })
      if (record !== undefined) checkComplete(record)
      const problem = record === undefined ? undefined : versionProblem(record, this.now())
      if (problem !== undefined) {
        this.ctx.log('ignoring the S3 record of %s: %e', name, problem)
        record = undefined
      }
      fromDurable = record !== undefined
    }
    if (record === undefined || record.tombstone) throw new NotFoundError(`no file named ${JSON.stringify(name)}`)
    const found = record
    // An offset at or past the end reads nothing (HTTP answers 416 for such a range).
    const offset = Math.min(options.last !== undefined ? Math.max(0, record.size - options.last) : options.offset ?? 0, record.size)
    const length = Math.min(options.length ?? record.size - offset, record.size - offset)
    // Holders of exactly this version, this node first (no network), then in placement order.
    const self = this.ctx.ring.self
    const holders = states
      .filter(s => s.record?.hash === found.hash && compareVersions(s.record.version, found.version) === 0)
      .map(s => s.node)
    holders.sort((a, b) => Number(b.id === self.id) - Number(a.id === self.id))
    const span = chunkSpan(record, offset, length)
    // A holder reads its own copy; anyone else spreads a large read over every holder of the version.
    const local = holders[0]?.id === self.id
    const replicas = local
      ? fetchChunks(this.ctx, record, span, holders, signal)
      : parallelChunks(this.ctx, record, span, holders, signal, this.spreadBelow)
    const chunks = this.durable === undefined ? replicas : this.withDurableFallback(record, span, replicas, signal)
    if (fromDurable) this.tasks.run(`restoring ${record.name} from S3`, async taskSignal => {
      await this.restore(found, nodes, taskSignal)
    })
    const body = trim(pieces(chunks), offset - span.first * record.chunkSize, length)
    return { record, offset, length, body }
  }

  /**
   * Every file in the ring in key order, one page at a time: walks the owners of the key space. With `prefix`,
   * only the names that start with it. A filtered page ends after FILTERED_PAGE_REQUESTS LIST requests even
   * when it holds fewer than `limit` files (even none): `next` is then the last key the owners examined, so
   * the following page goes on from there, rescanning nothing. Without a prefix a page is full unless the
   * ring ends.
   */
  async list (
    options: { after?: string, limit?: number, prefix?: string, signal?: AbortSignal } = {}
  ): Promise<{ records: FileRecord[], next?: string }> {
    const signal = this.signal(options.signal)
    const limit = Math.min(Math.max(options.limit ?? 100, 1), MAX_LIST)
    if (options.after !== undefined && !/^[0-9a-f]{64}$/.test(options.after)) throw new InvalidInputError('after must be a 64-hex key')
    const prefix = options.prefix ?? ''
    const problem = prefixProblem(prefix)
    if (problem !== undefined) throw new InvalidInputError(problem)
    const space = this.ctx.ring.space
    const max = space.size - 1n
    let cursor = options.after === undefined ? -1n : BigInt('0x' + options.after)
    let requests = prefix === '' ? Infinity : FILTERED_PAGE_REQUESTS
    const out: FileRecord[] = []
    while (out.length < limit && cursor < max && requests > 0) {
      const { nodes } = await this.ctx.ring.findOwner(cursor + 1n, { signal })
      const owner = nodes[0]
      // The owner holds (its predecessor, itself]; past the highest node id, the lowest node owns the top of the key space.
      const upto = space.toHex(owner.id > cursor ? owner.id : max)
      let after = cursor < 0n ? undefined : space.toHex(cursor)
      // This owner's range, a page after the other, until the answer is full, the range ends or the requests do.
      while (true) {
        requests--
        const page = await this.index.listPage(owner, { after, upto }, {
          includeTombstones: false, limit: limit - out.length, prefix, signal
        })
        // An owner older than the prefix field sends every name: this filter is the one that counts.
        let full = -1
        for (const [i, r] of page.records.entries()) {
          if (r.tombstone || !r.name.startsWith(prefix)) continue
          out.push(r)
          if (out.length === limit) { full = i; break }
        }
        // Full at the page's last record: go on from where the owner stopped (past what it filtered out), else
        // just after the last record taken.
        const reached = full === -1 || full === page.records.length - 1 ? page.next ?? upto : page.records[full].key
        cursor = BigInt('0x' + reached)
        if (full !== -1 || page.next === undefined || requests === 0) break
        after = page.next
      }
    }
    return { records: out, next: cursor < max ? space.toHex(cursor) : undefined }
  }

  /** The placement of `name`, which placement nodes hold which version, and the lookup's hops. */
  async locate (name: string, options: { signal?: AbortSignal } = {}): Promise<LocateResult> {
    checkName(name)
    const signal = this.signal(options.signal)
    const key = sha256Hex(name)
    const { nodes, hops } = await placement(this.ctx, key, signal)
    const holders = await this.states(key, nodes, signal)
    const record = newestOf(holders)
    return { key, placement: nodes, holders, hops, record: record?.tombstone === true ? undefined : record }
  }

  /** Delete `name`: write a tombstone version to its placement nodes. */
  async remove (name: string, options: { signal?: AbortSignal } = {}): Promise<PutResult> {
    const metrics = this.ctx.metrics
    if (metrics === undefined) return await this.removeVersion(name, options)
    const t0 = performance.now()
    const result = await this.removeVersion(name, options).catch((err: unknown) => {
      metrics.fileOp('delete', 'error', 0, (performance.now() - t0) / 1000)
      throw err
    })
    metrics.fileOp('delete', 'ok', 0, (performance.now() - t0) / 1000)
    return result
  }

  private async removeVersion (name: string, options: { signal?: AbortSignal }): Promise<PutResult> {
    checkName(name)
    const t0 = performance.now()
    const signal = this.signal(options.signal)
    const key = sha256Hex(name)
    const { nodes } = await placement(this.ctx, key, signal)
    const current = await this.newest(key, nodes, signal)
    if (current === undefined || current.tombstone) throw new NotFoundError(`no file named ${JSON.stringify(name)}`)
    checkOwner(current, this.clock.writer, true, this.ctx.isSupernode)
    const now = this.now()
    const header: FileRecord = {
      ...current,
      size: 0,
      hash: '',
      chunkHashes: [],
      version: this.clock.next(now),
      tombstone: true,
      modified: now,
      signature: '' // signed by this node, the tombstone's writer
    }
    const result = await pushVersion(this.ctx, (async function * () {})(), header, nodes, signal)
    checkQuorum(result.stored, nodes, result.downstreamError)
    return { record: result.record, holders: result.stored, ms: performance.now() - t0 }
  }

  // ---- helpers -----------------------------------------------------------------------------------------------

  /** Chunks from the replicas; if they all fail, the rest from the durable tier, verified the same way. */
  private async * withDurableFallback (
    record: FileRecord, span: ChunkSpan, replicas: AsyncIterable<Uint8ArrayList>, signal: AbortSignal
  ): AsyncGenerator<Uint8ArrayList> {
    let next = span.first
    try {
      for await (const chunk of replicas) { next++; yield chunk }
      return
    } catch (err) {
      signal.throwIfAborted()
      this.ctx.log('replicas failed reading %s at chunk %d (%e): continuing from S3', record.name, next, err)
    }
    yield * lists(this.durableChunks(record, { first: next, end: span.end }, signal))
  }

  private durableChunks (record: FileRecord, span: ChunkSpan, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const { offset, length } = spanBytes(record, span)
    const source = length === 0 ? (async function * () {})() : this.durable!.read(record, { offset, length }, { signal })
    return verifiedChunks(record, span, source, 'S3')
  }

  /** Put a version found only in the durable tier back on its placement nodes. */
  private async restore (record: FileRecord, nodes: readonly NodeRef[], signal: AbortSignal): Promise<void> {
    const all = { first: 0, end: record.chunkHashes.length }
    const source = record.tombstone ? (async function * () {})() : this.durableChunks(record, all, signal)
    const result = await pushVersion(this.ctx, source, record, nodes, signal)
    this.ctx.log('restored %s from S3 to %d nodes', record.name, result.stored.length)
  }

  /**
   * What each of `nodes` holds of `key`. A record whose signature does not verify or whose time is too far ahead
   * counts as that node's error (so it is never the newest), and moves no clock.
   */
  private async states (key: string, nodes: readonly NodeRef[], signal: AbortSignal): Promise<HolderState[]> {
    return await Promise.all(nodes.map(async node => {
      try {
        const record = await this.index.stat(node, key, signal)
        if (record === undefined) return { node }
        const now = this.now()
        const problem = versionProblem(record, now)
        if (problem !== undefined) return { node, error: problem }
        this.clock.observe(record.version, now)
        return { node, record }
      } catch (err) {
        signal.throwIfAborted()
        return { node, error: err as Error }
      }
    }))
  }

  private async newest (key: string, nodes: readonly NodeRef[], signal: AbortSignal): Promise<FileRecord | undefined> {
    return newestOf(await this.states(key, nodes, signal))
  }

  private signal (signal?: AbortSignal): AbortSignal {
    return signal === undefined ? this.tasks.signal : AbortSignal.any([signal, this.tasks.signal])
  }
}

/**
 * LIST requests one filtered page may send: each examines at most LIST_SCAN records on its owner, so a page costs
 * the ring at most 16 000 records scanned and 16 lookups, however rare the matches.
 */
export const FILTERED_PAGE_REQUESTS = 16

/** Why a listing's name prefix is not acceptable (longer than a name may be), or undefined. */
export function prefixProblem (prefix: string): string | undefined {
  if (Buffer.byteLength(prefix) > MAX_NAME_BYTES) return `the prefix is longer than ${MAX_NAME_BYTES} bytes`
  return undefined
}

function checkName (name: string): void {
  const problem = nameProblem(name)
  if (problem !== undefined) throw new InvalidInputError(problem)
}

function checkQuorum (stored: readonly NodeRef[], placement: readonly NodeRef[], why?: Error): void {
  const need = Math.min(2, placement.length)
  if (stored.length < need) {
    throw new QuorumError(
      `only ${stored.length} of ${placement.length} nodes stored the version (need ${need})${why === undefined ? '' : `: ${why.message}`}`,
      { cause: why })
  }
}

/**
 * `source` with its bytes counted as they pass (`bytes()`); `ended` is told once whether it ran to its end, or
 * threw or was left early, with the bytes so far. A stream never read tells nothing.
 */
function counted (
  source: AsyncIterable<Uint8Array>, ended?: (ok: boolean, bytes: number) => void
): { body: AsyncIterable<Uint8Array>, bytes: () => number } {
  let bytes = 0
  const body = (async function * () {
    let ok = false
    try {
      for await (const piece of source) {
        bytes += piece.byteLength
        yield piece
      }
      ok = true
    } finally {
      ended?.(ok, bytes)
    }
  })()
  return { body, bytes: () => bytes }
}

function newestOf (states: readonly HolderState[]): FileRecord | undefined {
  let best: FileRecord | undefined
  for (const s of states) if (s.record !== undefined &&
    (best === undefined || compareVersions(s.record.version, best.version) > 0)) best = s.record
  return best
}
