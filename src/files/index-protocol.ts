// /chord-peer/index/2.0.0: small questions about a node's record index, on pooled request/response streams
// (protocols/README.md §10.6). The server is a table of handlers, one per request type; `IndexClient` asks them
// of any node (this one without the network) and owns the paging of listings, so callers see one stream of
// records whatever the page size.
// - STAT: the record of a key, tombstones included when asked.
// - LIST: records with key in (after, upto], in key order, at most `limit` and at most LIST_BYTES of them; with a
//   `prefix`, only names that start with it, and at most LIST_SCAN records examined (a reply may then hold fewer
//   than `limit`, even none, and a `cursor` past what it examined).
// - DIGEST: a SHA-256 over (key, version, tombstone, hash) of the records in a ring interval (may wrap), so two
//   replicas compare a range with one exchange and list it only when they differ.
// - VERIFY: a reader got a chunk from this node that failed its hash: check the whole blob and repair it.
// LIST, DIGEST and VERIFY cost this node a scan or a whole blob's hashing, so each peer may send them only at
// INDEX_RATES (over it, the request's stream is reset: RateLimitError); the client paces itself below that.
import { createHash } from 'node:crypto'
import { FileRecord as WireRecord, IndexRequest, IndexResponse } from '../../protocols/files.js'
import { InvalidMessageError, RateLimitError } from '../errors.js'
import { sleep } from '../lifecycle.js'
import { byType, RpcClient, serveRpc, type RpcLimits } from '../net/rpc.js'
import { TokenBuckets, type Rate } from '../trust/rate.js'
import { MAX_LIST, MAX_NAME_BYTES, type FileRecord } from './record.js'
import { bytesToHex, hexToBytes, recordFromWire, recordToWire } from './wire.js'
import type { FilesContext } from './context.js'
import type { NodeRef } from '../ring/index.js'

export const INDEX_PROTOCOL = '/chord-peer/index/2.0.0'
export const INDEX_LIMITS: RpcLimits = { maxMessageBytes: 16 * 1024 * 1024, maxRequestBytes: 1024, timeoutMs: 5_000 }
/**
 * Most bytes of records one LIST reply carries (measured as encoded), half the reply limit: a page stops before
 * the record that would take it past this, so a reply is at most this or one record (≤ 9 MiB with 256 Ki chunk
 * hashes), whatever the files' chunk lists.
 */
export const LIST_BYTES = 8 * 1024 * 1024
/**
 * Most records one LIST with a `prefix` examines, matching or not: MAX_LIST, what an unfiltered LIST returns at
 * most, so a filter that matches little costs this node no more per request than a full page, and INDEX_RATES
 * keeps bounding the work. The reply's `cursor` lets the next request start past them.
 */
export const LIST_SCAN = MAX_LIST
/**
 * Longest `prefix` a LIST request carries, in UTF-8 bytes. With the other fields (≈ 80 B) a request stays under
 * INDEX_LIMITS.maxRequestBytes (1 KiB) on every node version; a longer prefix is cut to this (at a character,
 * `wirePrefix`), and the asker filters by the whole prefix itself.
 */
export const WIRE_PREFIX_BYTES = 512
/**
 * Index requests one peer may send this node, per kind; STAT, one index read, is not limited. Replication never
 * meets these rates: a pass asks each replica one DIGEST, passes never overlap and run on ring events and a
 * timer of ½–1½ × 10 s; it lists a range, a page after another, only where the digests differ; and a reader
 * sends VERIFY only to a holder that served it a bad chunk. Besides, IndexClient paces its own requests to each
 * node at half these rates (CLIENT_RATES), so passes in a burst of ring changes, or a listing of a range of
 * 100 000 records, wait their turn instead of being refused.
 * - VERIFY makes this node hash a whole blob: 10 at once, then one every 5 s.
 * - DIGEST scans the records of a range (equal bounds: the whole index): 20 at once, then 2 a second.
 * - LIST scans up to MAX_LIST records and replies up to LIST_BYTES: 100 at once, then 20 a second.
 */
export const INDEX_RATES: Partial<Record<IndexRequest.Type, Rate>> = {
  [IndexRequest.Type.VERIFY]: { burst: 10, perSecond: 0.2 },
  [IndexRequest.Type.DIGEST]: { burst: 20, perSecond: 2 },
  [IndexRequest.Type.LIST]: { burst: 100, perSecond: 20 }
}
/**
 * How long a request over its rate holds its stream before the reset: a peer that floods gets one refusal per
 * stream per second (its streams per connection are capped), not as many as it can send, each costing this node
 * a stream.
 */
export const REFUSAL_DELAY_MS = 1_000
/** The rates IndexClient keeps to, per node it asks: half of INDEX_RATES, so jitter on the way cannot break them. */
export const CLIENT_RATES: Partial<Record<IndexRequest.Type, Rate>> = Object.fromEntries(
  Object.entries(INDEX_RATES).map(([type, r]) => [type, { burst: r.burst / 2, perSecond: r.perSecond / 2 }]))
/** Records per LIST page when the caller wants them all. */
const PAGE = 500
const MAX_KEY = 'f'.repeat(64)

/** What the server side needs besides the index: someone to check a blob a reader found bad. */
export interface IndexHooks {
  verify: (key: string) => void
}

/** Answers one index request about this node's records. */
export type IndexHandler = (request: IndexRequest, signal: AbortSignal) => Promise<IndexResponse>

const answer = (fields: Partial<IndexResponse> = {}): IndexResponse => ({
  records: [], more: false, digest: new Uint8Array(0), count: 0, ...fields
})

/** The index protocol's handlers over this node's records. */
export function indexHandler (ctx: FilesContext, hooks: IndexHooks): IndexHandler {
  return byType<IndexRequest.Type, IndexRequest, [AbortSignal], IndexResponse>(INDEX_PROTOCOL, {
    [IndexRequest.Type.STAT]: async req => {
      const record = await ctx.records.get(key32(req.key, 'STAT key'))
      const show = record !== undefined && (req.includeTombstones || !record.tombstone)
      return answer({ records: show ? [recordToWire(record)] : [] })
    },
    [IndexRequest.Type.LIST]: async req => {
      if (req.after.length !== 0 && req.after.length !== 32) throw new InvalidMessageError('LIST after must be empty or 32 bytes')
      const upto = key32(req.upto, 'LIST upto')
      const limit = Math.min(Math.max(req.limit, 1), MAX_LIST)
      const prefix = req.prefix ?? ''
      if (Buffer.byteLength(prefix) > MAX_NAME_BYTES) throw new InvalidMessageError(`LIST prefix is longer than ${MAX_NAME_BYTES} bytes`)
      // Unfiltered, the scan is bounded by `limit` (tombstones are skipped unbounded, as before the prefix: an
      // older asker reads a reply with `more` and no records as the end of the range).
      const scan = prefix === '' ? Infinity : LIST_SCAN
      const records: WireRecord[] = []
      let more = false
      let bytes = 0
      let examined = 0
      let cursor: string | undefined // the last key examined: returned, or passed over
      for await (const r of ctx.records.list({ gt: req.after.length === 0 ? undefined : bytesToHex(req.after), lte: upto })) {
        if (examined === scan) { more = true; break }
        if ((!r.tombstone || req.includeTombstones) && r.name.startsWith(prefix)) {
          if (records.length === limit) { more = true; break }
          const wire = recordToWire(r)
          const size = WireRecord.encode(wire).byteLength + 6 // with its field tag and length
          if (records.length > 0 && bytes + size > LIST_BYTES) { more = true; break }
          records.push(wire)
          bytes += size
        }
        examined++
        cursor = r.key
      }
      return answer({ records, more, ...(more && cursor !== undefined ? { cursor: hexToBytes(cursor) } : {}) })
    },
    [IndexRequest.Type.DIGEST]: async req => {
      const d = await rangeDigest(ctx, key32(req.after, 'DIGEST after'), key32(req.upto, 'DIGEST upto'))
      return answer({ digest: hexToBytes(d.digest), count: d.count })
    },
    [IndexRequest.Type.VERIFY]: async req => {
      hooks.verify(key32(req.key, 'VERIFY key'))
      return answer()
    }
  })
}

/** Serve the index protocol; a peer over its INDEX_RATES gets its stream reset (RateLimitError). */
export async function serveIndex (ctx: FilesContext, handler: IndexHandler, rates = INDEX_RATES): Promise<void> {
  const buckets = new TokenBuckets(rates)
  await serveRpc<IndexRequest, IndexResponse>(ctx.host, {
    protocol: INDEX_PROTOCOL,
    request: IndexRequest,
    response: IndexResponse,
    ...INDEX_LIMITS,
    log: ctx.log,
    gate: ctx.gate,
    handler: async (req, connection, signal) => {
      if (!buckets.take(connection.remotePeer.toString(), req.type)) {
        const rate = rates[req.type]!
        ctx.bans?.overRate(connection.remotePeer)
        await sleep(REFUSAL_DELAY_MS, signal).catch(() => {})
        throw new RateLimitError(`${connection.remotePeer} sent ${IndexRequest.Type[req.type]} requests over ` +
          `${rate.burst} at once or ${rate.perSecond} a second`)
      }
      return await handler(req, signal)
    }
  })
}

/** Asks any node's index; questions to this node are answered by `local` without the network. */
export class IndexClient {
  private readonly rpc: RpcClient<IndexRequest, IndexResponse>
  /** Our own pace per node asked, below the rates its server allows (CLIENT_RATES). */
  private readonly pace = new TokenBuckets(CLIENT_RATES)

  constructor (private readonly ctx: FilesContext, private readonly local: IndexHandler) {
    this.rpc = new RpcClient<IndexRequest, IndexResponse>({
      host: ctx.host, protocol: INDEX_PROTOCOL, request: IndexRequest, response: IndexResponse, limits: INDEX_LIMITS
    })
  }

  /** The record `node` holds for `key`, tombstones included, or undefined. */
  async stat (node: NodeRef, key: string, signal: AbortSignal): Promise<FileRecord | undefined> {
    const res = await this.ask(node, { type: IndexRequest.Type.STAT, key: hexToBytes(key), includeTombstones: true }, signal)
    return res.records.length === 0 ? undefined : recordFromWire(res.records[0], true)
  }

  /**
   * One LIST page of the records `node` holds with keys in (after, upto] (after undefined: from the lowest key),
   * in key order, at most `limit`. With `prefix`, `node` sends only names that start with it (its first
   * WIRE_PREFIX_BYTES), but a node older than the field sends every record: the caller filters too. `next`, when
   * more remain, is where the following page starts: past every record `node` examined, returned or not.
   */
  async listPage (
    node: NodeRef, span: { after?: string, upto: string },
    options: { includeTombstones: boolean, limit: number, prefix?: string, signal: AbortSignal }
  ): Promise<{ records: FileRecord[], next?: string }> {
    const prefix = wirePrefix(options.prefix ?? '')
    const res = await this.ask(node, {
      type: IndexRequest.Type.LIST,
      after: span.after === undefined ? new Uint8Array(0) : hexToBytes(span.after),
      upto: hexToBytes(span.upto),
      limit: options.limit,
      includeTombstones: options.includeTombstones,
      ...(prefix === '' ? {} : { prefix })
    }, options.signal)
    const records = res.records.map(w => recordFromWire(w, true))
    const last = records.at(-1)?.key
    // An older node sends no cursor: its next page starts after its last record (none: it is read as the end).
    const next = res.cursor !== undefined && res.cursor.length > 0 ? key32(res.cursor, 'LIST cursor') : last
    if (!res.more || next === undefined) return { records }
    // `more` says a record remains after the cursor in the span, so the cursor lies strictly inside it: this also
    // keeps a listing moving forward whatever a node sends.
    if ((span.after !== undefined && next <= span.after) || next >= span.upto || (last !== undefined && next < last)) {
      throw new InvalidMessageError(`LIST cursor ${next} is outside (${span.after ?? 'start'}, ${span.upto}) or before the last record`)
    }
    return { records, next }
  }

  /**
   * The records `node` holds with keys in (after, upto] (after undefined: from the lowest key), in key order,
   * fetched a page at a time as the caller reads on; `pageSize` is the first page's size (a caller that needs
   * only a few). Stop reading to stop asking.
   */
  async * list (
    node: NodeRef, span: { after?: string, upto: string }, options: { includeTombstones: boolean, pageSize?: number, signal: AbortSignal }
  ): AsyncGenerator<FileRecord> {
    let after = span.after
    let limit = options.pageSize ?? PAGE
    while (after !== span.upto) {
      const page = await this.listPage(node, { after, upto: span.upto }, {
        includeTombstones: options.includeTombstones, limit, signal: options.signal
      })
      yield * page.records
      if (page.next === undefined) return
      after = page.next
      limit = PAGE
    }
  }

  /** Every record `node` holds in the ring interval (from, to] (wrapping past ff…f; from = to: the whole ring), tombstones included. */
  async listRange (node: NodeRef, from: string, to: string, signal: AbortSignal): Promise<Map<string, FileRecord>> {
    const out = new Map<string, FileRecord>()
    const spans: Array<{ after?: string, upto: string }> = from < to
      ? [{ after: from, upto: to }]
      : [{ after: from, upto: MAX_KEY }, { upto: to }]
    for (const span of spans) {
      for await (const r of this.list(node, span, { includeTombstones: true, signal })) out.set(r.key, r)
    }
    return out
  }

  /** `node`'s digest of the ring interval (from, to]. */
  async digest (node: NodeRef, from: string, to: string, signal: AbortSignal): Promise<{ digest: string, count: number }> {
    const res = await this.ask(node, { type: IndexRequest.Type.DIGEST, after: hexToBytes(from), upto: hexToBytes(to) }, signal)
    return { digest: bytesToHex(res.digest), count: res.count }
  }

  /**
   * Tell `node` that a chunk of `key` it served failed its hash. A hint: not sent when this node has sent it
   * VERIFY at its rate already (false).
   */
  async verify (node: NodeRef, key: string, signal: AbortSignal): Promise<boolean> {
    if (node.id !== this.ctx.ring.self.id && !this.pace.take(node.address, IndexRequest.Type.VERIFY)) return false
    await this.ask(node, { type: IndexRequest.Type.VERIFY, key: hexToBytes(key) }, signal)
    return true
  }

  close (): void {
    this.rpc.close()
  }

  private async ask (node: NodeRef, req: Partial<IndexRequest> & Pick<IndexRequest, 'type'>, signal: AbortSignal): Promise<IndexResponse> {
    const full: IndexRequest = {
      key: new Uint8Array(0), after: new Uint8Array(0), upto: new Uint8Array(0), limit: 0, includeTombstones: false, ...req
    }
    if (node.id === this.ctx.ring.self.id) return await this.local(full, signal)
    const wait = full.type === IndexRequest.Type.VERIFY ? 0 : this.pace.debt(node.address, full.type)
    if (wait > 0) await sleep(wait, signal)
    return await this.rpc.request(this.ctx.ring.dialTarget(node), full, { signal })
  }
}

/** `prefix` cut to at most WIRE_PREFIX_BYTES of UTF-8, at a character boundary: what a LIST request carries. */
export function wirePrefix (prefix: string): string {
  if (Buffer.byteLength(prefix) <= WIRE_PREFIX_BYTES) return prefix
  let out = ''
  let bytes = 0
  for (const ch of prefix) { // code points: a surrogate pair is never split
    bytes += Buffer.byteLength(ch)
    if (bytes > WIRE_PREFIX_BYTES) break
    out += ch
  }
  return out
}

/** A 32-byte key from the wire as hex (InvalidMessageError otherwise). */
function key32 (bytes: Uint8Array, what: string): string {
  if (bytes.length !== 32) throw new InvalidMessageError(`${what} must be 32 bytes`)
  return bytesToHex(bytes)
}

/** What two replicas compare of each record: key, version, tombstone, content hash. */
const digestLine = (r: FileRecord): string =>
  `${r.key} ${r.version.time} ${r.version.counter} ${r.version.writer} ${r.tombstone ? 1 : 0} ${r.hash}\n`

/** SHA-256 over the digest lines of records given in ring order. */
export function digestOf (records: Iterable<FileRecord>): { digest: string, count: number } {
  const h = createHash('sha256')
  let count = 0
  for (const r of records) { h.update(digestLine(r)); count++ }
  return { digest: h.digest('hex'), count }
}

/** The digest of this node's records in the ring interval (from, to], streamed from the index. */
async function rangeDigest (ctx: FilesContext, from: string, to: string): Promise<{ digest: string, count: number }> {
  const h = createHash('sha256')
  let count = 0
  for await (const r of ctx.records.listRange(from, to)) { h.update(digestLine(r)); count++ }
  return { digest: h.digest('hex'), count }
}
