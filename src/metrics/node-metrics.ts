// NodeMetrics: one node's metrics, in a prom-client Registry of its own, so that many nodes in one process
// (createTestnet) each report their own figures. The services record into it as things happen (the recorders of
// ./recorders.ts: lookups, stabilize rounds, file operations, repairs, scrubbing), the host counts connection bytes
// into it (./libp2p.ts), and the gauges — ring size, successor list, files stored, S3 queue, election — are read
// from the services at scrape time (`observe`, with the sources ./sources.ts builds), never kept up to date on every
// change. `scrape()` is the Prometheus text of `GET /metrics`; `traffic()` the running totals of `GET /api/traffic`.
//
// libp2p's own metrics (@libp2p/prometheus-metrics) are process-wide at heart: the module keeps its metric objects
// in one map by name, shared by every node of the process, and each new instance clears it (and prom-client's
// global registry). With `libp2p: true` they go into this node's registry (the module's `registry` option), and
// only one node of a process may ask for them at a time (InvalidInputError for a second, until the first stops):
// the daemon, one node per process, turns them on; createTestnet and scripts leave them off, and their nodes export
// chord-peer's metrics only, connection bytes included.
//
// Labels are a few fixed words (outcome, op, kind, direction, where, role): never a PeerId, a key or a file name.
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { InvalidInputError } from '../errors.js'
import { trafficMetrics } from './libp2p.js'
import type { ChordRecorder, FileOp, FilesRecorder, Outcome, PassCopies } from './recorders.js'
import type { TrafficJson } from '../api/types.js'
import type { Service } from '../lifecycle.js'
import type { ComponentLogger, Metrics } from '@libp2p/interface'

export interface NodeMetricsInit {
  /**
   * Export libp2p's own metrics (@libp2p/prometheus-metrics: bytes per protocol, connections, dials, noise, TCP, and
   * Node's process metrics) too. At most one node per process at a time. Default false.
   */
  libp2p?: boolean
  /** Where libp2p's file-system usage gauge looks (default the working directory): the node's data dir. */
  statfsDir?: string
  /** The clock, ms since the epoch (default Date.now). */
  now?: () => number
}

/** What the gauges read at scrape time; ./sources.ts builds it from a node's services. */
export interface MetricSources {
  role: 'supernode' | 'peer'
  /** Open libp2p connections. */
  connections: () => number
  /** Entries of the successor list (this node excluded), its length r, and the ring size they suggest. */
  ring: () => { successors: number, r: number, size: number }
  /** Live files (not deleted) in this node's record index and their bytes: a scan, made at most every `storedMaxAgeMs`. */
  stored: () => Promise<{ files: number, bytes: number }>
  /** The storage quota and the bytes held against it, when the node has one. */
  quota: () => { max: number, used: number } | undefined
  /** Chunks and bytes this node served to readers. */
  served: () => { chunks: number, bytes: number }
  /** When the scrubber last completed a pass, ms since the epoch. */
  lastScrub: () => number | undefined
  /** The S3 tier's queue and its totals, when S3 is configured. */
  s3?: () => Promise<{ queued: number, uploaded: number, failures: number, dropped: number }>
  /** A supernode's election: its epoch, its part, whether it is the acting leader, elections it called. */
  election?: () => { epoch: number, role: 'leader' | 'follower' | 'candidate', actingLeader: boolean, elections: number }
  /** A supernode's membership view: its members. */
  viewMembers?: () => number
}

/** Default of `storedMaxAgeMs`: the files-stored figures are a scan of the record index, so a minute at most. */
export const STORED_MAX_AGE_MS = 60_000

/** Hops of a lookup: Chord's ½·log2 N is 5 at N = 1 024 (a lookup gives up at 64). */
const HOP_BUCKETS = [0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 64]
const LOOKUP_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
/** File operations run from milliseconds (a small put) to many minutes (a large file). */
const FILE_OP_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800]

/** The claim of the node that exports libp2p's metrics in this process, if one does. */
let libp2pOwner: object | undefined

/** Running totals, plain numbers: cheap on the hot paths, and what `traffic()` reads. */
interface Totals extends Omit<TrafficJson, 'time'> {
  scrubPassBytes: number
  scrubbing: boolean
  scrubPasses: number
}

export class NodeMetrics implements ChordRecorder, FilesRecorder, Service {
  readonly registry = new Registry()
  /** This node's claim on libp2p's metrics (`libp2pOwner` while it holds them). */
  private readonly claim = {}
  /** How old the files-stored figures may be before a scrape scans again, ms (tests set 0). */
  storedMaxAgeMs = STORED_MAX_AGE_MS
  private readonly init: NodeMetricsInit
  private readonly now: () => number
  private readonly started: number
  private readonly totals: Totals = {
    bytesIn: 0, bytesOut: 0, lookups: 0, lookupsFailed: 0, lookupMs: 0, puts: 0, gets: 0, putBytes: 0, getBytes: 0,
    scrubPassBytes: 0, scrubbing: false, scrubPasses: 0
  }

  /** Stream bytes by protocol: a handful of protocols, so a handful of entries. */
  private readonly byProtocol = new Map<string, { sent: number, received: number }>()
  private prometheus?: (components: { logger: ComponentLogger }) => Metrics
  private sources?: MetricSources
  /** The last scan of the record index; `at`: when it ended (undefined while it runs). */
  private storedScan?: { at?: number, value: Promise<{ files: number, bytes: number }> }
  private readonly lookups: Counter<'outcome'>
  private readonly lookupHops: Histogram
  private readonly lookupSeconds: Histogram<'outcome'>
  private readonly stabilizeRounds: Counter<'outcome'>
  private readonly deadNodes: Counter<'where'>
  private readonly fileOpSeconds: Histogram<'op' | 'outcome'>
  private readonly fileOpBytes: Counter<'op' | 'outcome'>
  private readonly repairPasses: Counter<'outcome'>
  private readonly repairErrors: Counter<'kind'>
  private readonly repairCopies: Counter<'kind'>
  private readonly repairBytes: Counter
  private readonly scrubBytes: Counter
  private readonly scrubBlobs: Counter
  private readonly scrubBad: Counter

  constructor (init: NodeMetricsInit = {}) {
    this.init = init
    this.now = init.now ?? Date.now
    this.started = this.now()
    const registers = [this.registry]
    const totals = this.totals
    this.lookups = new Counter({
      name: 'chord_peer_lookups_total',
      help: 'Lookups this node\'s services asked of the ring (fix_fingers\' own not counted), by outcome.',
      labelNames: ['outcome'],
      registers
    })
    this.lookupHops = new Histogram({
      name: 'chord_peer_lookup_hops',
      help: 'Remote queries of each successful lookup.',
      buckets: HOP_BUCKETS,
      registers
    })
    this.lookupSeconds = new Histogram({
      name: 'chord_peer_lookup_duration_seconds',
      help: 'How long lookups took, by outcome.',
      labelNames: ['outcome'],
      buckets: LOOKUP_SECONDS,
      registers
    })
    this.stabilizeRounds = new Counter({
      name: 'chord_peer_stabilize_rounds_total',
      help: 'Stabilize rounds, by outcome (error: the round threw, e.g. timed out).',
      labelNames: ['outcome'],
      registers
    })
    this.deadNodes = new Counter({
      name: 'chord_peer_dead_nodes_total',
      help: 'Nodes this node found dead and dropped from its routing state, by where it found them.',
      labelNames: ['where'],
      registers
    })
    this.fileOpSeconds = new Histogram({
      name: 'chord_peer_file_op_duration_seconds',
      help: 'Puts, gets (until the body was read) and deletes this node ran, by outcome; _count counts them.',
      labelNames: ['op', 'outcome'],
      buckets: FILE_OP_SECONDS,
      registers
    })
    this.fileOpBytes = new Counter({
      name: 'chord_peer_file_op_bytes_total',
      help: 'File bytes that puts read from their writers and gets delivered to their readers, by outcome.',
      labelNames: ['op', 'outcome'],
      registers
    })
    this.repairPasses = new Counter({
      name: 'chord_peer_repair_passes_total',
      help: 'Replica passes (anti-entropy sync with the replicas, restore from S3), by outcome.',
      labelNames: ['outcome'],
      registers
    })
    this.repairErrors = new Counter({
      name: 'chord_peer_repair_failed_copies_total',
      help: 'Copies repair tried and could not make (tried again later): in replica passes (sync) or of a bad local blob.',
      labelNames: ['kind'],
      registers
    })
    this.repairCopies = new Counter({
      name: 'chord_peer_repair_copies_total',
      help: 'Versions copied by repair: pulled from or pushed to a replica, restored from S3, or a bad local blob fetched again.',
      labelNames: ['kind'],
      registers
    })
    this.repairBytes = new Counter({
      name: 'chord_peer_repair_bytes_total',
      help: 'File bytes of the versions copied by repair.',
      registers
    })
    this.scrubBytes = new Counter({ name: 'chord_peer_scrub_bytes_total', help: 'Bytes the scrubber re-hashed.', registers })
    this.scrubBlobs = new Counter({ name: 'chord_peer_scrub_blobs_total', help: 'Blobs the scrubber checked.', registers })
    this.scrubBad = new Counter({
      name: 'chord_peer_scrub_bad_blobs_total',
      help: 'Blobs the scrubber found bad or missing (handed to repair).',
      registers
    })
    new Counter({
      name: 'chord_peer_scrub_passes_total',
      help: 'Scrub passes completed.',
      registers,
      collect () { mirror(this, totals.scrubPasses) }
    })
    new Gauge({
      name: 'chord_peer_scrub_pass_bytes',
      help: 'Bytes re-hashed so far by the scrub pass running (0 when none runs).',
      registers,
      collect () { this.set(totals.scrubbing ? totals.scrubPassBytes : 0) }
    })
    new Counter({
      name: 'chord_peer_network_bytes_total',
      help: 'Bytes received (in) and sent (out) over this node\'s libp2p connections, encryption and muxing included.',
      labelNames: ['direction'],
      registers,
      collect () {
        this.reset()
        this.inc({ direction: 'in' }, totals.bytesIn)
        this.inc({ direction: 'out' }, totals.bytesOut)
      }
    })
    new Gauge({
      name: 'chord_peer_start_time_seconds',
      help: 'When this node started, seconds since the Unix epoch.',
      registers
    }).set(this.started / 1000)
  }

  /** Claim libp2p's metrics for this node if asked (InvalidInputError when another node of the process has them). */
  async start (): Promise<void> {
    if (this.init.libp2p !== true || this.prometheus !== undefined) return
    if (libp2pOwner !== undefined) {
      throw new InvalidInputError('libp2p\'s metrics are process-wide: another node of this process exports them ' +
        'already (turn libp2pMetrics on for one node per process)')
    }
    libp2pOwner = this.claim
    try {
      const { prometheusMetrics } = await import('@libp2p/prometheus-metrics')
      this.prometheus = prometheusMetrics({
        registry: this.registry,
        // Clears the module's map of metric objects, which a node of this process that stopped before left.
        preserveExistingMetrics: false,
        statfsLocation: this.init.statfsDir
      })
    } catch (err) {
      libp2pOwner = undefined
      throw err
    }
  }

  /** Give libp2p's metrics back, so a later node of the process may take them. */
  async stop (): Promise<void> {
    if (libp2pOwner === this.claim) libp2pOwner = undefined
  }

  /** The host's `metrics` component (createLibp2p's `metrics` option); after `start()`. */
  readonly libp2p = (components: { logger: ComponentLogger }): Metrics => trafficMetrics({
    received: bytes => { this.totals.bytesIn += bytes },
    sent: bytes => { this.totals.bytesOut += bytes },
    protocol: (protocol, direction, bytes) => {
      let counts = this.byProtocol.get(protocol)
      if (counts === undefined) this.byProtocol.set(protocol, counts = { sent: 0, received: 0 })
      counts[direction] += bytes
    }
  }, this.prometheus?.(components))

  /**
   * Bytes of this node's streams since it started, by protocol (each protocol's own messages: yamux and noise
   * framing, connection setup and multistream-select negotiation are only in `traffic()`'s connection totals).
   */
  protocolTraffic (): Record<string, { sent: number, received: number }> {
    return Object.fromEntries([...this.byProtocol].map(([protocol, counts]) => [protocol, { ...counts }]))
  }

  /** Read the gauges from `sources` at every scrape from now on (once, when the node's services exist). */
  observe (sources: MetricSources): void {
    if (this.sources !== undefined) throw new Error('NodeMetrics.observe: sources are set already')
    this.sources = sources
    const registers = [this.registry]
    // A source that fails (a store or the S3 tier stopping) leaves its series as they were: the scrape goes on.
    const gauge = (name: string, help: string, read: () => number | Promise<number>): void => {
      new Gauge({ name, help, registers, async collect () { await settle(read, v => { this.set(v) }) } })
    }
    const counter = (name: string, help: string, read: () => number | Promise<number>): void => {
      new Counter({ name, help, registers, async collect () { await settle(read, v => { mirror(this, v) }) } })
    }
    new Gauge({ name: 'chord_peer_info', help: 'This node\'s role (always 1).', labelNames: ['role'], registers })
      .set({ role: sources.role }, 1)
    gauge('chord_peer_connections', 'Open libp2p connections.', sources.connections)
    gauge('chord_peer_ring_size_estimate', 'Nodes in the ring: exact while the successor list is not full, else estimated from ' +
      'how much of the ring the list spans.', () => sources.ring().size)
    gauge('chord_peer_successor_list_entries', 'Nodes in the successor list (this node excluded).', () => sources.ring().successors)
    gauge('chord_peer_successor_list_fill_ratio', 'Successor list entries ÷ its length r (below 1 in a ring of r nodes or fewer).',
      () => { const { successors, r } = sources.ring(); return r > 0 ? successors / r : 0 })
    gauge('chord_peer_files_stored', 'Live files (not deleted) in this node\'s record index (a scan: up to a minute old).',
      async () => (await this.stored()).files)
    gauge('chord_peer_stored_bytes', 'File bytes of the live files this node holds (a scan: up to a minute old).',
      async () => (await this.stored()).bytes)
    gauge('chord_peer_scrub_progress_ratio', 'Share of the stored bytes re-hashed by the scrub pass running (1 once a pass ' +
      'completed and none runs, 0 before the first).', async () => {
      if (!this.totals.scrubbing) return this.totals.scrubPasses > 0 ? 1 : 0
      const { bytes } = await this.stored()
      return bytes === 0 ? 0 : Math.min(1, this.totals.scrubPassBytes / bytes)
    })
    gauge('chord_peer_scrub_last_pass_timestamp_seconds', 'When the scrubber last completed a pass (0: never).',
      () => (sources.lastScrub() ?? 0) / 1000)
    counter('chord_peer_served_bytes_total', 'File bytes this node served to readers.', () => sources.served().bytes)
    counter('chord_peer_served_chunks_total', 'File chunks this node served to readers.', () => sources.served().chunks)
    if (sources.quota() !== undefined) {
      gauge('chord_peer_storage_quota_bytes', 'The storage quota (--max-storage).', () => sources.quota()?.max ?? 0)
      gauge('chord_peer_storage_used_bytes', 'Bytes held against the quota (blobs, and puts in flight).', () => sources.quota()?.used ?? 0)
    }
    const { s3, election, viewMembers } = sources
    if (s3 !== undefined) {
      // One read of the tier per scrape, shared by its four series (their collects run at once).
      let figures: ReturnType<typeof s3> | undefined
      const read = async (): ReturnType<typeof s3> => {
        figures ??= s3().finally(() => { figures = undefined })
        return await figures
      }
      gauge('chord_peer_s3_queue_depth', 'Versions waiting for upload to S3.', async () => (await read()).queued)
      counter('chord_peer_s3_uploads_total', 'Versions uploaded to S3 (blob and record).', async () => (await read()).uploaded)
      counter('chord_peer_s3_upload_failures_total', 'Failed S3 upload attempts (each retried later).', async () => (await read()).failures)
      counter('chord_peer_s3_uploads_dropped_total', 'Queued uploads dropped because a newer version replaced their blob.',
        async () => (await read()).dropped)
    }
    if (election !== undefined) {
      gauge('chord_peer_election_epoch', 'The supernodes\' election epoch as this supernode sees it.', () => election().epoch)
      gauge('chord_peer_election_acting_leader', '1 while this supernode leads with a majority lease (may admit and remove).',
        () => Number(election().actingLeader))
      counter('chord_peer_elections_total', 'Elections this supernode called.', () => election().elections)
      new Gauge({
        name: 'chord_peer_election_role',
        help: 'This supernode\'s part in the election (1 for the current one).',
        labelNames: ['role'],
        registers,
        collect () {
          const now = election().role
          for (const role of ['leader', 'follower', 'candidate'] as const) this.set({ role }, Number(role === now))
        }
      })
    }
    if (viewMembers !== undefined) gauge('chord_peer_view_members', 'Members in this supernode\'s membership view.', viewMembers)
  }

  /** The Prometheus text exposition of this node's registry. */
  async scrape (): Promise<{ contentType: string, text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() }
  }

  /** Running totals since the node started (`GET /api/traffic`). */
  traffic (): TrafficJson {
    const t = this.totals
    return {
      time: this.now(),
      bytesIn: t.bytesIn,
      bytesOut: t.bytesOut,
      lookups: t.lookups,
      lookupsFailed: t.lookupsFailed,
      lookupMs: Math.round(t.lookupMs * 1000) / 1000,
      puts: t.puts,
      gets: t.gets,
      putBytes: t.putBytes,
      getBytes: t.getBytes
    }
  }

  // ---- recorders ------------------------------------------------------------------------------------------

  lookup (outcome: Outcome, hops: number | undefined, seconds: number): void {
    this.totals.lookups++
    if (outcome !== 'ok') this.totals.lookupsFailed++
    this.totals.lookupMs += seconds * 1000
    this.lookups.inc({ outcome })
    this.lookupSeconds.observe({ outcome }, seconds)
    if (outcome === 'ok' && hops !== undefined) this.lookupHops.observe(hops)
  }

  stabilize (outcome: Outcome): void {
    this.stabilizeRounds.inc({ outcome })
  }

  /** The ring dropped a dead node (ChordService's `node:dead` event; `where`: stabilize, lookup, …). */
  deadNode (where: string): void {
    this.deadNodes.inc({ where })
  }

  fileOp (op: FileOp, outcome: Outcome, bytes: number, seconds: number): void {
    if (op === 'put') { this.totals.puts++; this.totals.putBytes += bytes }
    if (op === 'get') { this.totals.gets++; this.totals.getBytes += bytes }
    this.fileOpSeconds.observe({ op, outcome }, seconds)
    if (op !== 'delete') this.fileOpBytes.inc({ op, outcome }, bytes)
  }

  repairPass (outcome: Outcome, copies?: PassCopies): void {
    this.repairPasses.inc({ outcome })
    if (copies === undefined) return
    if (copies.pulled > 0) this.repairCopies.inc({ kind: 'pull' }, copies.pulled)
    if (copies.pushed > 0) this.repairCopies.inc({ kind: 'push' }, copies.pushed)
    if (copies.restored > 0) this.repairCopies.inc({ kind: 'restore' }, copies.restored)
    if (copies.errors > 0) this.repairErrors.inc({ kind: 'sync' }, copies.errors)
    this.repairBytes.inc(copies.bytes)
  }

  blobRepair (outcome: Outcome, bytes: number): void {
    if (outcome === 'ok') {
      this.repairCopies.inc({ kind: 'blob' })
      this.repairBytes.inc(bytes)
    } else {
      this.repairErrors.inc({ kind: 'blob' })
    }
  }

  scrubStarted (): void {
    this.totals.scrubbing = true
    this.totals.scrubPassBytes = 0
  }

  scrubbed (bytes: number): void {
    this.totals.scrubPassBytes += bytes
    this.scrubBytes.inc(bytes)
  }

  scrubbedBlob (bad: boolean): void {
    this.scrubBlobs.inc()
    if (bad) this.scrubBad.inc()
  }

  scrubFinished (): void {
    this.totals.scrubbing = false
    this.totals.scrubPasses++
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  /**
   * The files-stored figures, scanned again when the last scan ended more than `storedMaxAgeMs` ago; the gauges of
   * one scrape, and concurrent scrapes, share a scan in flight.
   */
  private async stored (): Promise<{ files: number, bytes: number }> {
    const sources = this.sources
    if (sources === undefined) return { files: 0, bytes: 0 }
    const last = this.storedScan
    if (last === undefined || (last.at !== undefined && this.now() - last.at >= this.storedMaxAgeMs)) {
      // A failed scan (the store closing) keeps the figures of the last one.
      const previous = last?.value ?? Promise.resolve({ files: 0, bytes: 0 })
      const scan: { at?: number, value: Promise<{ files: number, bytes: number }> } = {
        value: sources.stored().catch(async () => await previous).finally(() => { scan.at = this.now() })
      }
      this.storedScan = scan
    }
    return await this.storedScan!.value
  }
}

/** Apply what `read` gives, if it gives it. */
async function settle (read: () => number | Promise<number>, apply: (value: number) => void): Promise<void> {
  let value: number
  try {
    value = await read()
  } catch {
    return
  }
  apply(value)
}

/** Set a counter that mirrors a running total kept elsewhere to `value`. */
function mirror (counter: Counter, value: number): void {
  counter.reset()
  counter.inc(value)
}
