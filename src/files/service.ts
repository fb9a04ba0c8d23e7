// The files service: put, get, stat, list, locate and delete over the ring, plus the three file protocols.
// Placement (DESIGN §5): primary = successor(key), replicas = the next k − 1 successors, fewer while the ring is
// smaller than k. A put streams through the chain (store.ts) and succeeds once the write quorum committed:
// two copies (one on a one-node ring). A dead primary is skipped, so two replicas also make a quorum; repair then
// brings the copies back to k. Versions come from a hybrid clock, so every
// replica keeps the same newest version; a delete writes a tombstone version.
import { logger } from '@libp2p/logger'
import { Uint8ArrayList } from 'uint8arraylist'
import { IndexRequest, IndexResponse } from '../../protocols/files.js'
import { IntegrityError, InvalidInputError, InvalidMessageError, NotFoundError, QuorumError } from '../errors.js'
import { RpcClient, serveRpc } from '../net/rpc.js'
import { chunkSpan, fetchChunks, joined, parallelChunks, pieces, serveFetch, verifiedLocalChunks, FETCH_PROTOCOL, SPREAD_BELOW_BYTES_PER_S, type ChunkSpan } from './fetch.js'
import { rechunk } from './frames.js'
import { sha256Hex } from './hashing.js'
import { compareVersions, DEFAULT_CHUNK_SIZE, HybridClock, MAX_LIST, type FileRecord } from './record.js'
import { rangeDigest, Replicator } from './replication.js'
import { pushVersion, serveStore, dialTarget, STORE_PROTOCOL } from './store.js'
import { bytesToHex, checkComplete, hexToBytes, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, nameProblem, recordFromWire, recordToWire } from './wire.js'
import type { FilesContext } from './context.js'
import type { DurableTier } from './durable.js'
import type { ChordService } from '../chord/service.js'
import type { NodeRef } from '../ring/index.js'
import type { BlobStore } from '../storage/blob-store.js'
import type { RecordStore } from '../storage/record-store.js'
import type { Libp2p } from '@libp2p/interface'

export const INDEX_PROTOCOL = '/chord-peer/index/1.0.0'
const INDEX_LIMITS = { maxMessageBytes: 16 * 1024 * 1024, timeoutMs: 5_000 }
/** Most bytes of records (under the index frame limit, whatever the files' chunk lists). */
const LIST_BYTES = 8 * 1024 * 1024

export interface FilesServiceInit {
  host: Libp2p
  chord: ChordService
  blobs: BlobStore
  records: RecordStore
  /** Replication factor: total copies. */
  k: number
  /** Chunk size for new files (default 1 MiB). */
  chunkSize?: number
  /** The clock (ms since the epoch); tests pass their own. */
  now?: () => number
  /** Mean interval of the replica anti-entropy pass, ms (default 10000); ring changes also start one. */
  replicationIntervalMs?: number
  /** The durable tier (S3) behind the replicas, if configured. */
  durable?: DurableTier
}

export interface PutResult { record: FileRecord, holders: NodeRef[], ms: number }
export interface ReadResult { record: FileRecord, offset: number, length: number, body: AsyncIterable<Uint8Array> }
export interface HolderState { node: NodeRef, record?: FileRecord, error?: string }
export interface LocateResult { key: string, placement: NodeRef[], holders: HolderState[], hops: number, record?: FileRecord }

export class FilesService {
  readonly ctx: FilesContext
  readonly k: number
  private readonly chunkSize: number
  private readonly now: () => number
  private readonly clock: HybridClock
  private readonly shutdown = new AbortController()
  private readonly index: RpcClient<IndexRequest, IndexResponse>
  readonly replicator: Replicator
  readonly durable?: DurableTier
  /** Reads spread over several holders when one delivers less than this (bytes/s); Infinity: always. */
  spreadBelow = SPREAD_BELOW_BYTES_PER_S
  /** Keys whose local blob is being verified after a reader reported a bad chunk. */
  private readonly verifying = new Set<string>()

  constructor (init: FilesServiceInit) {
    this.k = init.k
    this.chunkSize = init.chunkSize ?? DEFAULT_CHUNK_SIZE
    if (!Number.isInteger(this.chunkSize) || this.chunkSize < MIN_CHUNK_SIZE || this.chunkSize > MAX_CHUNK_SIZE) {
      throw new InvalidInputError(`chunk size must be an integer in [${MIN_CHUNK_SIZE}, ${MAX_CHUNK_SIZE}], got ${this.chunkSize}`)
    }
    this.now = init.now ?? Date.now
    this.clock = new HybridClock(init.host.peerId.toString())
    this.durable = init.durable
    this.ctx = {
      host: init.host,
      chord: init.chord,
      blobs: init.blobs,
      records: init.records,
      log: logger('chord-peer:files'),
      onCommit: record => {
        this.clock.observe(record.version)
        // The primary uploads every version it commits (DESIGN §5); the queue persists before enqueue resolves.
        if (this.durable !== undefined && init.chord.node.state.owns(BigInt('0x' + record.key))) {
          this.durable.enqueue(record).catch(err => { this.ctx.log('cannot queue %s for S3: %s', record.name, (err as Error).message) })
        }
      },
      stats: { chunksServed: 0, bytesServed: 0 },
      onBadChunk: (holder, record) => {
        this.askIndex(holder, { type: IndexRequest.Type.VERIFY, key: hexToBytes(record.key) }, this.shutdown.signal)
          .catch(err => { this.ctx.log('cannot ask %s to verify %s: %s', holder.address, record.name, (err as Error).message) })
      }
    }
    this.index = new RpcClient<IndexRequest, IndexResponse>({ host: init.host, protocol: INDEX_PROTOCOL, request: IndexRequest, response: IndexResponse, limits: INDEX_LIMITS })
    this.replicator = new Replicator({
      ctx: this.ctx,
      k: this.k,
      intervalMs: init.replicationIntervalMs ?? 10_000,
      askIndex: async (node, req, signal) => this.askIndex(node, req, signal),
      durable: init.durable,
      placement: async (key, signal) => (await this.placement(key, signal)).nodes
    })
  }

  /** Start keeping k copies of this node's range (after the node has joined). */
  startReplication (): void {
    this.replicator.start()
  }

  /** Graceful leave: hand our range to the successor (bounded by `timeoutMs`). */
  async handOff (timeoutMs = 30_000): Promise<void> {
    try {
      const n = await this.replicator.handOff(AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(timeoutMs)]))
      if (n > 0) this.ctx.log('handed %d records to the successor', n)
    } catch (err) {
      this.ctx.log('hand-off incomplete: %s', (err as Error).message)
    }
  }

  async serve (): Promise<void> {
    const signal = this.shutdown.signal
    await this.durable?.start()
    await serveStore(this.ctx, signal)
    await serveFetch(this.ctx, signal, (record, err) => { void this.repairBlob(record, err) })
    await serveRpc<IndexRequest, IndexResponse>(this.ctx.host, {
      protocol: INDEX_PROTOCOL,
      request: IndexRequest,
      response: IndexResponse,
      ...INDEX_LIMITS,
      log: this.ctx.log,
      handler: async req => this.handleIndex(req)
    })
  }

  async stop (): Promise<void> {
    await this.replicator.stop()
    this.shutdown.abort()
    await this.durable?.stop()
    this.index.close()
    await Promise.all([STORE_PROTOCOL, FETCH_PROTOCOL, INDEX_PROTOCOL].map(async p => this.ctx.host.unhandle(p).catch(() => {})))
  }

  // ---- operations ------------------------------------------------------------------------------------------

  /** Store `source` under `name` on its k placement nodes. */
  async put (name: string, source: AsyncIterable<Uint8Array>, options: { contentType?: string, signal?: AbortSignal } = {}): Promise<PutResult> {
    checkName(name)
    const t0 = performance.now()
    const signal = this.signal(options.signal)
    const key = sha256Hex(name)
    const { nodes } = await this.placement(key, signal)
    const previous = await this.newest(key, nodes, signal).catch(() => undefined)
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
      modified: now
    }
    const result = await pushVersion(this.ctx, source, header, nodes, signal)
    this.checkQuorum(result.stored, nodes, result.downstreamError)
    return { record: result.record, holders: result.stored, ms: performance.now() - t0 }
  }

  /** The newest version of `name` and a verified stream of its bytes [offset, offset + length) (or the `last` n). */
  async read (name: string, options: { offset?: number, length?: number, last?: number, signal?: AbortSignal } = {}): Promise<ReadResult> {
    checkName(name)
    const signal = this.signal(options.signal)
    const key = sha256Hex(name)
    const { nodes } = await this.placement(key, signal)
    const states = await this.states(key, nodes, signal)
    let record = newestOf(states)
    let fromDurable = false
    if (record === undefined && this.durable !== undefined) {
      // No replica knows the name: every holder may be gone. The durable tier may still have it.
      record = await this.durable.record(key, { signal })
      if (record !== undefined) checkComplete(record)
      fromDurable = record !== undefined
    }
    if (record === undefined || record.tombstone) throw new NotFoundError(`no file named ${JSON.stringify(name)}`)
    const found = record
    // An offset at or past the end reads nothing (HTTP answers 416 for such a range).
    const offset = Math.min(options.last !== undefined ? Math.max(0, record.size - options.last) : options.offset ?? 0, record.size)
    const length = Math.min(options.length ?? record.size - offset, record.size - offset)
    // Holders of exactly this version, this node first (no network), then in placement order.
    const holders = states.filter(s => s.record?.hash === found.hash && compareVersions(s.record.version, found.version) === 0).map(s => s.node)
    holders.sort((a, b) => Number(b.id === this.ctx.chord.self.id) - Number(a.id === this.ctx.chord.self.id))
    const span = chunkSpan(record, offset, length)
    // A holder reads its own copy; anyone else spreads a large read over every holder of the version.
    const local = holders[0]?.id === this.ctx.chord.self.id
    const replicas = local ? fetchChunks(this.ctx, record, span, holders, signal) : parallelChunks(this.ctx, record, span, holders, signal, this.spreadBelow)
    const chunks = this.durable === undefined ? replicas : this.withDurableFallback(record, span, replicas, signal)
    if (fromDurable) void this.restore(record, nodes)
    const body = trim(pieces(chunks), offset - span.first * record.chunkSize, length)
    return { record, offset, length, body }
  }

  /** Chunks from the replicas; if they all fail, the rest from the durable tier, verified the same way. */
  private async * withDurableFallback (record: FileRecord, span: ChunkSpan, replicas: AsyncIterable<Uint8ArrayList>, signal: AbortSignal): AsyncGenerator<Uint8ArrayList> {
    let next = span.first
    try {
      for await (const chunk of replicas) { next++; yield chunk }
      return
    } catch (err) {
      signal.throwIfAborted()
      this.ctx.log('replicas failed reading %s at chunk %d (%s): continuing from S3', record.name, next, (err as Error).message)
    }
    for await (const chunk of this.durableChunks(record, { first: next, end: span.end }, signal)) yield new Uint8ArrayList(chunk)
  }

  private async * durableChunks (record: FileRecord, span: ChunkSpan, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    if (span.end <= span.first) return
    const offset = span.first * record.chunkSize
    const length = Math.min(span.end * record.chunkSize, record.size) - offset
    let i = span.first
    for await (const chunk of rechunk(this.durable!.read(record, { offset, length }, { signal }), record.chunkSize)) {
      if (sha256Hex(chunk) !== record.chunkHashes[i]) throw new IntegrityError(`chunk ${i} of ${record.name} from S3 does not match its hash`)
      i++
      yield chunk
    }
    if (i !== span.end) throw new IntegrityError(`S3 ended ${record.name} after chunk ${i}, expected ${span.end}`)
  }

  /** Put a version found only in the durable tier back on its placement nodes. */
  private async restore (record: FileRecord, placement: readonly NodeRef[]): Promise<void> {
    try {
      const all = { first: 0, end: record.chunkHashes.length }
      const source = record.tombstone ? (async function * () {})() : this.durableChunks(record, all, this.shutdown.signal)
      const result = await pushVersion(this.ctx, source, record, placement, this.shutdown.signal)
      this.ctx.log('restored %s from S3 to %d nodes', record.name, result.stored.length)
    } catch (err) {
      this.ctx.log('restore of %s from S3 failed: %s', record.name, (err as Error).message)
    }
  }

  /** Every file in the ring in key order, one page at a time: walks the owners of the key space. */
  async list (options: { after?: string, limit?: number, signal?: AbortSignal } = {}): Promise<{ records: FileRecord[], next?: string }> {
    const signal = this.signal(options.signal)
    const limit = Math.min(Math.max(options.limit ?? 100, 1), MAX_LIST)
    if (options.after !== undefined && !/^[0-9a-f]{64}$/.test(options.after)) throw new InvalidInputError('after must be a 64-hex key')
    const space = this.ctx.chord.space
    const max = space.size - 1n
    let cursor = options.after === undefined ? -1n : BigInt('0x' + options.after)
    const out: FileRecord[] = []
    while (out.length < limit && cursor < max) {
      const { nodes } = await this.ctx.chord.node.findOwner(cursor + 1n, { signal })
      const owner = nodes[0]
      // The owner holds (its predecessor, itself]; past the highest node id, the lowest node owns the top of the key space.
      const upto = owner.id > cursor ? owner.id : max
      const res = await this.askIndex(owner, { type: IndexRequest.Type.LIST, after: cursor < 0n ? new Uint8Array(0) : space.toBytes(cursor), upto: space.toBytes(upto), limit: limit - out.length }, signal)
      const page = res.records.map(r => recordFromWire(r, true)).filter(r => !r.tombstone)
      out.push(...page)
      cursor = res.more && res.records.length > 0 ? BigInt('0x' + bytesToHex(res.records[res.records.length - 1].key)) : upto
    }
    return { records: out.slice(0, limit), next: cursor < max ? space.toHex(cursor) : undefined }
  }

  /** The placement of `name`, which placement nodes hold which version, and the lookup's hops. */
  async locate (name: string, options: { signal?: AbortSignal } = {}): Promise<LocateResult> {
    checkName(name)
    const signal = this.signal(options.signal)
    const key = sha256Hex(name)
    const { nodes, hops } = await this.placement(key, signal)
    const holders = await this.states(key, nodes, signal)
    const record = newestOf(holders)
    return { key, placement: nodes, holders, hops, record: record?.tombstone === true ? undefined : record }
  }

  /** Delete `name`: write a tombstone version to its placement nodes. */
  async remove (name: string, options: { signal?: AbortSignal } = {}): Promise<PutResult> {
    checkName(name)
    const t0 = performance.now()
    const signal = this.signal(options.signal)
    const key = sha256Hex(name)
    const { nodes } = await this.placement(key, signal)
    const current = await this.newest(key, nodes, signal)
    if (current === undefined || current.tombstone) throw new NotFoundError(`no file named ${JSON.stringify(name)}`)
    const now = this.now()
    const header: FileRecord = { ...current, size: 0, hash: '', chunkHashes: [], version: this.clock.next(now), tombstone: true, modified: now }
    const result = await pushVersion(this.ctx, (async function * () {})(), header, nodes, signal)
    this.checkQuorum(result.stored, nodes, result.downstreamError)
    return { record: result.record, holders: result.stored, ms: performance.now() - t0 }
  }

  // ---- helpers -----------------------------------------------------------------------------------------------

  /** The k nodes that should hold `key`: its owner and the next successors (distinct). */
  async placement (key: string, signal: AbortSignal): Promise<{ nodes: NodeRef[], hops: number }> {
    const found = await this.ctx.chord.node.findOwner(BigInt('0x' + key), { signal })
    const nodes: NodeRef[] = []
    for (const n of found.nodes) if (!nodes.some(m => m.id === n.id)) nodes.push(n)
    return { nodes: nodes.slice(0, this.k), hops: found.hops }
  }

  private async states (key: string, nodes: readonly NodeRef[], signal: AbortSignal): Promise<HolderState[]> {
    return Promise.all(nodes.map(async node => {
      try {
        return { node, record: await this.statOn(node, key, signal) }
      } catch (err) {
        signal.throwIfAborted()
        return { node, error: (err as Error).message }
      }
    }))
  }

  private async newest (key: string, nodes: readonly NodeRef[], signal: AbortSignal): Promise<FileRecord | undefined> {
    return newestOf(await this.states(key, nodes, signal))
  }

  private async statOn (node: NodeRef, key: string, signal: AbortSignal): Promise<FileRecord | undefined> {
    let record: FileRecord | undefined
    if (node.id === this.ctx.chord.self.id) {
      record = await this.ctx.records.get(key)
    } else {
      const res = await this.askIndex(node, { type: IndexRequest.Type.STAT, key: hexToBytes(key), includeTombstones: true }, signal)
      record = res.records.length === 0 ? undefined : recordFromWire(res.records[0], true)
    }
    if (record !== undefined) this.clock.observe(record.version)
    return record
  }

  private async askIndex (node: NodeRef, req: Partial<IndexRequest>, signal: AbortSignal): Promise<IndexResponse> {
    const full: IndexRequest = { type: IndexRequest.Type.STAT, key: new Uint8Array(0), after: new Uint8Array(0), upto: new Uint8Array(0), limit: 0, includeTombstones: false, ...req }
    if (node.id === this.ctx.chord.self.id) return this.handleIndex(full)
    return this.index.request(this.ctx.chord.book.peerId(node.address), dialTarget(this.ctx, node), full, { signal })
  }

  private async handleIndex (req: IndexRequest): Promise<IndexResponse> {
    if (req.type === IndexRequest.Type.STAT) {
      if (req.key.length !== 32) throw new InvalidMessageError('STAT key must be 32 bytes')
      const record = await this.ctx.records.get(bytesToHex(req.key))
      const show = record !== undefined && (req.includeTombstones || !record.tombstone)
      return { records: show ? [recordToWire(record)] : [], more: false, digest: new Uint8Array(0), count: 0 }
    }
    if (req.type === IndexRequest.Type.LIST) {
      if ((req.after.length !== 0 && req.after.length !== 32) || req.upto.length !== 32) throw new InvalidMessageError('LIST bounds must be 32 bytes')
      const limit = Math.min(Math.max(req.limit, 1), MAX_LIST)
      const records: FileRecord[] = []
      let more = false
      const gt = req.after.length === 0 ? undefined : bytesToHex(req.after)
      let bytes = 0
      for await (const r of this.ctx.records.list({ gt, lte: bytesToHex(req.upto) })) {
        if (r.tombstone && !req.includeTombstones) continue
        const size = 300 + Buffer.byteLength(r.name) + 34 * r.chunkHashes.length // the record's encoded size, near enough
        if (records.length === limit || (records.length > 0 && bytes + size > LIST_BYTES)) { more = true; break }
        records.push(r)
        bytes += size
      }
      return { records: records.map(recordToWire), more, digest: new Uint8Array(0), count: 0 }
    }
    if (req.type === IndexRequest.Type.DIGEST) {
      if (req.after.length !== 32 || req.upto.length !== 32) throw new InvalidMessageError('DIGEST bounds must be 32 bytes')
      const d = await rangeDigest(this.ctx, bytesToHex(req.after), bytesToHex(req.upto))
      return { records: [], more: false, digest: hexToBytes(d.digest), count: d.count }
    }
    if (req.type === IndexRequest.Type.VERIFY) {
      if (req.key.length !== 32) throw new InvalidMessageError('VERIFY key must be 32 bytes')
      void this.verifyBlob(bytesToHex(req.key))
      return { records: [], more: false, digest: new Uint8Array(0), count: 0 }
    }
    throw new InvalidMessageError(`unknown index request type ${String(req.type)}`)
  }

  /** Check the whole local blob of `key` against its record (once at a time per key); repair it when bad. */
  private async verifyBlob (key: string): Promise<void> {
    if (this.verifying.has(key)) return
    this.verifying.add(key)
    try {
      const record = await this.ctx.records.get(key)
      if (record === undefined || record.tombstone) return
      try {
        for await (const _ of verifiedLocalChunks(this.ctx, record, { first: 0, end: record.chunkHashes.length }, this.shutdown.signal)) { /* hashing */ }
      } catch (err) {
        if (err instanceof IntegrityError || (err as Error).name === 'NotFoundError') await this.repairBlob(record, err as Error)
      }
    } finally {
      this.verifying.delete(key)
    }
  }

  /** A local blob failed its hash: drop it and fetch the version again from another holder. */
  private async repairBlob (record: FileRecord, cause: Error): Promise<void> {
    const signal = this.shutdown.signal
    this.ctx.log('blob %s of %s is bad (%s): repairing', record.hash.slice(0, 12), record.name, cause.message)
    try {
      await this.ctx.blobs.delete(record.hash, { signal })
      const { nodes } = await this.placement(record.key, signal)
      const others = nodes.filter(n => n.id !== this.ctx.chord.self.id)
      const chunks = fetchChunks(this.ctx, record, { first: 0, end: record.chunkHashes.length }, others, signal)
      await this.ctx.blobs.put(joined(chunks), { expectedHash: record.hash, expectedSize: record.size, signal })
      this.ctx.log('blob %s of %s repaired', record.hash.slice(0, 12), record.name)
    } catch (err) {
      this.ctx.log('repair of %s failed: %s', record.name, (err as Error).message)
    }
  }

  private checkQuorum (stored: readonly NodeRef[], placement: readonly NodeRef[], why?: string): void {
    const need = Math.min(2, placement.length)
    if (stored.length < need) throw new QuorumError(`only ${stored.length} of ${placement.length} nodes stored the version (need ${need})${why === undefined ? '' : `: ${why}`}`)
  }

  private signal (signal?: AbortSignal): AbortSignal {
    return signal === undefined ? this.shutdown.signal : AbortSignal.any([signal, this.shutdown.signal])
  }
}

function checkName (name: string): void {
  const problem = nameProblem(name)
  if (problem !== undefined) throw new InvalidInputError(problem)
}

function newestOf (states: readonly HolderState[]): FileRecord | undefined {
  let best: FileRecord | undefined
  for (const s of states) if (s.record !== undefined && (best === undefined || compareVersions(s.record.version, best.version) > 0)) best = s.record
  return best
}

/** Drop `skip` bytes from the front of a stream and stop after `length` bytes. */
async function * trim (source: AsyncIterable<Uint8Array>, skip: number, length: number): AsyncGenerator<Uint8Array> {
  let left = length
  for await (let piece of source) {
    if (skip > 0) {
      const drop = Math.min(skip, piece.byteLength)
      piece = piece.subarray(drop)
      skip -= drop
    }
    if (piece.byteLength === 0) continue
    if (piece.byteLength >= left) {
      if (left > 0) yield piece.subarray(0, left)
      return
    }
    left -= piece.byteLength
    yield piece
  }
}
