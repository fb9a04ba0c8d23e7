// /chord-peer/index/1.0.0: small questions about a node's record index, on pooled request/response streams
// (protocols/README.md §10.6). The server is a table of handlers, one per request type; `IndexClient` asks them
// of any node (this one without the network) and owns the paging of listings, so callers see one stream of
// records whatever the page size.
// - STAT: the record of a key, tombstones included when asked.
// - LIST: records with key in (after, upto], in key order, at most `limit` and at most LIST_BYTES of them.
// - DIGEST: a SHA-256 over (key, version, tombstone, hash) of the records in a ring interval (may wrap), so two
//   replicas compare a range with one exchange and list it only when they differ.
// - VERIFY: a reader got a chunk from this node that failed its hash: check the whole blob and repair it.
import { createHash } from 'node:crypto'
import { IndexRequest, IndexResponse } from '../../protocols/files.js'
import { InvalidMessageError } from '../errors.js'
import { byType, RpcClient, serveRpc, type RpcLimits } from '../net/rpc.js'
import { MAX_LIST, type FileRecord } from './record.js'
import { bytesToHex, hexToBytes, recordFromWire, recordToWire } from './wire.js'
import type { FilesContext } from './context.js'
import type { NodeRef } from '../ring/index.js'

export const INDEX_PROTOCOL = '/chord-peer/index/1.0.0'
export const INDEX_LIMITS: RpcLimits = { maxMessageBytes: 16 * 1024 * 1024, timeoutMs: 5_000 }
/** Most bytes of records one LIST reply carries (under the frame limit, whatever the files' chunk lists). */
const LIST_BYTES = 8 * 1024 * 1024
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
  const key32 = (bytes: Uint8Array, what: string): string => {
    if (bytes.length !== 32) throw new InvalidMessageError(`${what} must be 32 bytes`)
    return bytesToHex(bytes)
  }
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
      const records: FileRecord[] = []
      let more = false
      let bytes = 0
      for await (const r of ctx.records.list({ gt: req.after.length === 0 ? undefined : bytesToHex(req.after), lte: upto })) {
        if (r.tombstone && !req.includeTombstones) continue
        const size = 300 + Buffer.byteLength(r.name) + 34 * r.chunkHashes.length // the record's encoded size, near enough
        if (records.length === limit || (records.length > 0 && bytes + size > LIST_BYTES)) { more = true; break }
        records.push(r)
        bytes += size
      }
      return answer({ records: records.map(recordToWire), more })
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

export async function serveIndex (ctx: FilesContext, handler: IndexHandler): Promise<void> {
  await serveRpc<IndexRequest, IndexResponse>(ctx.host, {
    protocol: INDEX_PROTOCOL,
    request: IndexRequest,
    response: IndexResponse,
    ...INDEX_LIMITS,
    log: ctx.log,
    handler: async (req, _connection, signal) => await handler(req, signal)
  })
}

/** Asks any node's index; questions to this node are answered by `local` without the network. */
export class IndexClient {
  private readonly rpc: RpcClient<IndexRequest, IndexResponse>

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
      const res = await this.ask(node, {
        type: IndexRequest.Type.LIST,
        after: after === undefined ? new Uint8Array(0) : hexToBytes(after),
        upto: hexToBytes(span.upto),
        limit,
        includeTombstones: options.includeTombstones
      }, options.signal)
      for (const w of res.records) yield recordFromWire(w, true)
      if (!res.more || res.records.length === 0) return
      after = bytesToHex(res.records[res.records.length - 1].key)
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

  /** Tell `node` that a chunk of `key` it served failed its hash. */
  async verify (node: NodeRef, key: string, signal: AbortSignal): Promise<void> {
    await this.ask(node, { type: IndexRequest.Type.VERIFY, key: hexToBytes(key) }, signal)
  }

  close (): void {
    this.rpc.close()
  }

  private async ask (node: NodeRef, req: Partial<IndexRequest> & Pick<IndexRequest, 'type'>, signal: AbortSignal): Promise<IndexResponse> {
    const full: IndexRequest = {
      key: new Uint8Array(0), after: new Uint8Array(0), upto: new Uint8Array(0), limit: 0, includeTombstones: false, ...req
    }
    if (node.id === this.ctx.ring.self.id) return await this.local(full, signal)
    return await this.rpc.request(this.ctx.ring.dialTarget(node), full, { signal })
  }
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
