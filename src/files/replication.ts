// Replica maintenance: repair, hand-off and anti-entropy in one loop. Each node is primary for its range
// (predecessor, self] and makes sure its k − 1 successors hold the newest version of every record in it:
// 1. pull: for each replica, list the range there; take in every version newer than ours (or that we lack) —
//    this is how a joiner receives the range it now owns from its successor, the old owner;
// 2. push: send each replica every version it lacks or holds an older copy of — this is how copies return to k
//    after a crash (the new primary, or the primary whose replica set changed, fills the new replica).
// It runs when the ring around this node changes (range, successor list) and on a jittered timer, which is the
// anti-entropy pass catching anything an event missed. A graceful leave first hands the range to the successor.
// Each pass first compares a digest of the range with each replica and lists only where they differ.
// With a durable tier, a pass also lists the tier's records of the range when the range changed (or every
// `durableScanMs`) and restores each one that neither this node nor a replica has: the files whose every holder
// is gone come back without waiting for a read.
// Every `surplusMs` a pass also drops the copies this node no longer needs (`dropSurplus`): records whose
// placement no longer includes it, once each node of the placement holds that version or a newer one.
import { createHash } from 'node:crypto'
import { IndexRequest } from '../../protocols/files.js'
import { commitRecord, hashInUse, pushVersion } from './store.js'
import { fetchChunks, joined, verifiedLocalChunks } from './fetch.js'
import { compareVersions, type FileRecord } from './record.js'
import { bytesToHex, recordFromWire } from './wire.js'
import type { FilesContext } from './context.js'
import type { DurableTier } from './durable.js'
import type { NodeRef } from '../ring/index.js'
import type { IndexResponse } from '../../protocols/files.js'

export interface ReplicatorInit {
  ctx: FilesContext
  k: number
  /** Mean interval of the anti-entropy pass, ms. */
  intervalMs: number
  /** Ask a node's index (pooled rpc, or local). */
  askIndex: (node: NodeRef, req: Partial<IndexRequest>, signal: AbortSignal) => Promise<IndexResponse>
  /** The durable tier, if configured. */
  durable?: DurableTier
  /** Scan the durable tier's records of an unchanged range this often, ms (default 5 min). */
  durableScanMs?: number
  /** The k nodes that should hold `key`, owner first (a lookup). */
  placement: (key: string, signal: AbortSignal) => Promise<NodeRef[]>
  /** Look for copies this node no longer needs this often, ms (default 1 min). */
  surplusMs?: number
}

export interface SyncReport { pulled: number, pushed: number, restored: number, errors: number }

const PAGE = 500
export const DEFAULT_DURABLE_SCAN_MS = 5 * 60_000
export const DEFAULT_SURPLUS_MS = 60_000

export class Replicator {
  private readonly shutdown = new AbortController()
  private dirty = false
  private running: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private readonly onRingChange = (): void => { this.ringChanges++; this.kick() }
  /** Totals since start, for status and tests. */
  readonly totals: SyncReport = { pulled: 0, pushed: 0, restored: 0, errors: 0 }
  /** The range last scanned in the durable tier, and when. */
  private scanned = { range: '', at: 0 }
  /** When dropSurplus last ran; ring events counted, so a drop can see the ring moved under it. */
  private surplusAt = Date.now()
  private ringChanges = 0

  constructor (private readonly init: ReplicatorInit) {}

  start (): void {
    const chord = this.init.ctx.chord
    for (const type of ['range:change', 'successors:change']) chord.addEventListener(type, this.onRingChange)
    const tick = (): void => {
      this.timer = setTimeout(() => { this.kick(); tick() }, this.init.intervalMs * (0.5 + Math.random()))
      this.timer.unref()
    }
    tick()
    this.kick()
  }

  async stop (): Promise<void> {
    const chord = this.init.ctx.chord
    for (const type of ['range:change', 'successors:change']) chord.removeEventListener(type, this.onRingChange)
    clearTimeout(this.timer)
    this.shutdown.abort()
    await this.running
  }

  /** Run a pass soon; passes never overlap, and a change during a pass causes one more. */
  kick (): void {
    this.dirty = true
    this.running ??= this.loop()
  }

  /** Resolves once no pass is running or due. */
  async settled (): Promise<void> {
    while (this.running !== undefined) await this.running
  }

  private async loop (): Promise<void> {
    try {
      while (this.dirty && !this.shutdown.signal.aborted) {
        this.dirty = false
        try {
          const r = await this.syncOnce(this.shutdown.signal)
          this.totals.pulled += r.pulled
          this.totals.pushed += r.pushed
          this.totals.restored += r.restored
          if (r.restored > 0) this.dirty = true // push the restored records to the replicas
          if (Date.now() - this.surplusAt >= (this.init.surplusMs ?? DEFAULT_SURPLUS_MS)) {
            this.surplusAt = Date.now()
            const n = await this.dropSurplus(this.shutdown.signal)
            if (n > 0) this.init.ctx.log('dropped %d copies this node no longer needs', n)
          }
          this.totals.errors += r.errors
        } catch (err) {
          if (!this.shutdown.signal.aborted) this.init.ctx.log('replica sync failed: %s', (err as Error).message)
        }
      }
    } finally {
      this.running = undefined
    }
  }

  /** One pass over this node's range. */
  async syncOnce (signal: AbortSignal): Promise<SyncReport> {
    const { ctx, k } = this.init
    const st = ctx.chord.node.state
    const report: SyncReport = { pulled: 0, pushed: 0, restored: 0, errors: 0 }
    const self = ctx.chord.self
    if (st.predecessor === undefined && st.successor.id !== self.id) return report // range not known yet
    const replicas = st.successors.filter(n => n.id !== self.id).slice(0, k - 1)
    const space = ctx.chord.space
    const from = st.predecessor === undefined ? space.toHex(self.id) : space.toHex(st.predecessor.id)
    const to = space.toHex(self.id)

    const mine = new Map<string, FileRecord>()
    for await (const r of ctx.records.listRange(from, to, { signal })) mine.set(r.key, r)
    if (replicas.length === 0) {
      await this.restoreFromDurable(from, to, mine, report, signal)
      return report
    }
    const myDigest = digestOf(mine.values())
    const theirs = new Map<bigint, Map<string, FileRecord>>()
    for (const node of replicas) {
      try {
        // Anti-entropy: equal digests of the shared range mean nothing to do; only a difference costs a listing.
        const d = await this.init.askIndex(node, { type: IndexRequest.Type.DIGEST, after: Buffer.from(from, 'hex'), upto: Buffer.from(to, 'hex') }, signal)
        if (bytesToHex(d.digest) === myDigest.digest && d.count === myDigest.count) continue
        theirs.set(node.id, await this.listOn(node, from, to, signal))
      } catch (err) {
        signal.throwIfAborted()
        report.errors++
        ctx.log('replica sync: cannot list %s: %s', node.address, (err as Error).message)
      }
    }
    // Pull newer versions first, so what we push next is the newest any of us has.
    for (const node of replicas) {
      for (const [key, t] of theirs.get(node.id) ?? []) {
        const m = mine.get(key)
        if (m !== undefined && compareVersions(m.version, t.version) >= 0) continue
        try {
          await this.pull(t, node, signal)
          mine.set(key, t)
          report.pulled++
        } catch (err) {
          signal.throwIfAborted()
          report.errors++
          ctx.log('replica sync: pull of %s from %s failed: %s', t.name, node.address, (err as Error).message)
        }
      }
    }
    const known = new Map(mine)
    for (const there of theirs.values()) for (const [key, t] of there) known.set(key, t) // a failed pull is not for S3
    await this.restoreFromDurable(from, to, known, report, signal)
    for (const node of replicas) {
      const there = theirs.get(node.id)
      if (there === undefined) continue
      for (const [key, m] of mine) {
        const t = there.get(key)
        if (t !== undefined && compareVersions(t.version, m.version) >= 0) continue
        try {
          await this.push(m, node, signal)
          report.pushed++
        } catch (err) {
          signal.throwIfAborted()
          report.errors++
          ctx.log('replica sync: push of %s to %s failed: %s', m.name, node.address, (err as Error).message)
        }
      }
    }
    return report
  }

  /**
   * Restore from the durable tier every record of (from, to] that `known` (ours and the replicas') lacks, when
   * the range changed since the last scan or the scan is due. Restored records are committed here; the next
   * pass pushes them to the replicas.
   */
  private async restoreFromDurable (from: string, to: string, known: Map<string, FileRecord>, report: SyncReport, signal: AbortSignal): Promise<void> {
    const { ctx, durable } = this.init
    if (durable === undefined) return
    const range = `${from}-${to}`
    const now = Date.now()
    if (range === this.scanned.range && now - this.scanned.at < (this.init.durableScanMs ?? DEFAULT_DURABLE_SCAN_MS)) return
    let failed = false
    try {
      for await (const key of durable.keys(from, to, { signal })) {
        if (known.has(key)) continue
        try {
          const record = await durable.record(key, { signal })
          if (record === undefined) continue
          if (!record.tombstone && !(await ctx.blobs.has(record.hash, { signal }))) {
            await ctx.blobs.put(durable.read(record, { offset: 0 }, { signal }), { expectedHash: record.hash, expectedSize: record.size, signal })
          }
          await commitRecord(ctx, record)
          known.set(key, record)
          report.restored++
          ctx.log('restored %s from the durable tier', record.name)
        } catch (err) {
          signal.throwIfAborted()
          failed = true
          report.errors++
          ctx.log('restore of %s from the durable tier failed: %s', key, (err as Error).message)
        }
      }
    } catch (err) {
      signal.throwIfAborted()
      failed = true
      report.errors++
      ctx.log('cannot list the durable tier: %s', (err as Error).message)
    }
    if (!failed) this.scanned = { range, at: now }
  }

  /**
   * Drop the copies this node no longer needs: records whose placement (owner + k − 1 successors, by lookup)
   * does not include this node, as after a join moved them on or a node came back from a crash. A record goes
   * only once every placement node has answered that it holds that version or a newer one, only if the ring
   * did not change while we asked, and only if it was not replaced meanwhile. Records are taken one owner's
   * range at a time: one lookup and k listings per range. Returns the number dropped.
   */
  async dropSurplus (signal: AbortSignal): Promise<number> {
    const { ctx, k } = this.init
    const self = ctx.chord.self
    const space = ctx.chord.space
    const max = 'f'.repeat(64)
    let dropped = 0
    let gt: string | undefined
    while (gt !== max) {
      let first: FileRecord | undefined
      for await (const r of ctx.records.list({ gt, limit: 1, signal })) first = r
      if (first === undefined) break
      const changes = this.ringChanges
      let nodes: NodeRef[]
      try {
        nodes = await this.init.placement(first.key, signal)
      } catch (err) {
        signal.throwIfAborted()
        ctx.log('surplus: cannot look up the placement of %s: %s', first.key, (err as Error).message)
        break
      }
      // This owner's range ends at its id; a range that wraps past ff…f is taken up to ff…f here, the rest
      // again from 00…0 by the next pass.
      const ownerHex = space.toHex(nodes[0].id)
      const upper = ownerHex >= first.key ? ownerHex : max
      const from = gt ?? space.toHex((BigInt('0x' + first.key) - 1n + space.size) % space.size)
      gt = upper
      if (nodes.length < k || nodes.some(n => n.id === self.id)) continue
      const group: FileRecord[] = []
      for await (const r of ctx.records.listRange(from, upper, { signal })) group.push(r)
      let theirs: Array<Map<string, FileRecord>>
      try {
        theirs = await Promise.all(nodes.map(async n => this.listOn(n, from, upper, signal)))
      } catch (err) {
        signal.throwIfAborted()
        ctx.log('surplus: cannot list the placement of %s: %s', first.key, (err as Error).message)
        continue
      }
      if (this.ringChanges !== changes) continue
      for (const r of group) {
        if (!theirs.every(m => { const t = m.get(r.key); return t !== undefined && compareVersions(t.version, r.version) >= 0 })) continue
        if (!(await ctx.records.delete(r.key, r.version))) continue
        if (!r.tombstone && !(await hashInUse(ctx, r.hash))) await ctx.blobs.delete(r.hash).catch(() => {})
        dropped++
      }
    }
    return dropped
  }

  /**
   * Graceful leave: give the successor every record of our range it lacks, so nothing is lost even with k = 1.
   * Bounded by `signal`.
   */
  async handOff (signal: AbortSignal): Promise<number> {
    const { ctx } = this.init
    const st = ctx.chord.node.state
    const succ = st.successor
    if (succ.id === ctx.chord.self.id || st.predecessor === undefined) return 0
    const space = ctx.chord.space
    const from = space.toHex(st.predecessor.id)
    const to = space.toHex(ctx.chord.self.id)
    const there = await this.listOn(succ, from, to, signal)
    let handed = 0
    for await (const m of ctx.records.listRange(from, to, { signal })) {
      const t = there.get(m.key)
      if (t !== undefined && compareVersions(t.version, m.version) >= 0) continue
      await this.push(m, succ, signal)
      handed++
    }
    return handed
  }

  private async push (record: FileRecord, node: NodeRef, signal: AbortSignal): Promise<void> {
    const source = record.tombstone ? (async function * () {})() : verifiedLocalChunks(this.init.ctx, record, { first: 0, end: record.chunkHashes.length }, signal)
    const result = await pushVersion(this.init.ctx, source, record, [node], signal)
    if (!result.stored.some(n => n.id === node.id)) throw new Error(result.downstreamError ?? 'not stored')
  }

  private async pull (record: FileRecord, node: NodeRef, signal: AbortSignal): Promise<void> {
    const { ctx } = this.init
    if (!record.tombstone && !(await ctx.blobs.has(record.hash, { signal }))) {
      const chunks = fetchChunks(ctx, record, { first: 0, end: record.chunkHashes.length }, [node], signal)
      await ctx.blobs.put(joined(chunks), { expectedHash: record.hash, expectedSize: record.size, signal })
    }
    await commitRecord(ctx, record)
  }

  /** Every record `node` holds with key in the ring interval (from, to], tombstones included. */
  private async listOn (node: NodeRef, from: string, to: string, signal: AbortSignal): Promise<Map<string, FileRecord>> {
    const out = new Map<string, FileRecord>()
    const max = 'f'.repeat(64)
    const spans: Array<[string | undefined, string]> = from < to ? [[from, to]] : [[from, max], [undefined, to]]
    for (const [lo, hi] of spans) {
      let after = lo
      while (true) {
        if (after === hi) break
        const res = await this.init.askIndex(node, {
          type: IndexRequest.Type.LIST,
          after: after === undefined ? new Uint8Array(0) : Buffer.from(after, 'hex'),
          upto: Buffer.from(hi, 'hex'),
          limit: PAGE,
          includeTombstones: true
        }, signal)
        for (const w of res.records) {
          const r = recordFromWire(w, true)
          out.set(r.key, r)
        }
        if (!res.more || res.records.length === 0) break
        after = bytesToHex(res.records[res.records.length - 1].key)
      }
    }
    return out
  }
}

/** What two replicas compare of each record: key, version, tombstone, content hash. */
const digestLine = (r: FileRecord): string => `${r.key} ${r.version.time} ${r.version.counter} ${r.version.writer} ${r.tombstone ? 1 : 0} ${r.hash}\n`

/** SHA-256 over the digest lines of records given in ring order. */
export function digestOf (records: Iterable<FileRecord>): { digest: string, count: number } {
  const h = createHash('sha256')
  let count = 0
  for (const r of records) { h.update(digestLine(r)); count++ }
  return { digest: h.digest('hex'), count }
}

/** The digest of this node's records in the ring interval (from, to], streamed from the index. */
export async function rangeDigest (ctx: FilesContext, from: string, to: string): Promise<{ digest: string, count: number }> {
  const h = createHash('sha256')
  let count = 0
  for await (const r of ctx.records.listRange(from, to)) { h.update(digestLine(r)); count++ }
  return { digest: h.digest('hex'), count }
}
