// The Chord ring service on a libp2p host: serves /chord-peer/chord/2.0.0, enters the ring with the successor
// list an admitting supernode handed over, runs the maintenance tasks, and re-emits ring changes as typed
// events for the services built on top. It is the node's `Ring`; it never imports files or storage.
import { logger } from '@libp2p/logger'
import { TypedEventEmitter } from 'main-event'
import { ChordRequest, ChordResponse } from '../../protocols/chord.js'
import { eventNode, Throttle, type NodeEvents } from '../events.js'
import { serveRpc, type Gate, type RpcLimits } from '../net/rpc.js'
import {
  ChordNode, type FingerEntry, type LookupEvent, type LookupOptions, type NodeRef, type RingCheck, type WalkedNode
} from '../ring/index.js'
import { chordHandlers } from './handlers.js'
import { startTask, type Task } from './maintenance.js'
import { CHORD_PROTOCOL, ChordMessenger } from './messenger.js'
import type { DeadNodeDetail, KeyRange, Ring, RingEvents } from './ring.js'
import type { DialTarget, PeerDirectory } from './wire.js'
import type { Service, StopOptions } from '../lifecycle.js'
import type { ChordRecorder } from '../metrics/recorders.js'
import type { AbortOptions, IdSpace } from '../ring/index.js'
import type { Libp2p } from '@libp2p/interface'

export interface MaintenanceSettings {
  /** Successor list length r. */
  r: number
  /** Mean interval between stabilize runs, ms. */
  stabilizeIntervalMs: number
  /** Mean interval between fix_fingers runs (one lookup each), ms. */
  fixFingersIntervalMs: number
  /** Mean interval between check_predecessor runs, ms. */
  checkPredecessorIntervalMs: number
}

export interface ChordServiceInit extends MaintenanceSettings {
  host: Libp2p
  /** The node's directory of members (made before the service, while joining). */
  peers: PeerDirectory
  /** The successor list an admitting supernode gave this node; none to start a ring of its own. */
  join?: readonly NodeRef[]
  /** Per-request limits (default 64 KiB, 3 s). */
  limits?: RpcLimits
  /** Who may open chord streams (members only). */
  gate?: Gate
  /** Told of every lookup asked of this service and every stabilize round (src/metrics/). Default: nobody. */
  metrics?: ChordRecorder
  /** Where a neighbour found dead is told (`member.left`, how `failed`; src/events.ts). Default: nowhere. */
  events?: NodeEvents
}

/** Where a dead node was a neighbour of this node: the maintenance step that found it. */
const NEIGHBOUR_OF: Readonly<Record<string, string>> = { stabilize: 'successor', check_predecessor: 'predecessor' }
/** A dead neighbour is told of once per this long: stabilize may meet it again in a successor's stale list. */
const DEAD_REPORT_MS = 60_000

/** Requests and replies alike: a LEAVE's successor list (≤ MAX_PEERS peers) is the longest request. */
export const DEFAULT_LIMITS: RpcLimits = { maxMessageBytes: 64 * 1024, maxRequestBytes: 64 * 1024, timeoutMs: 3_000 }

/** This node's routing state, as status pages show it. */
export interface RingSnapshot {
  predecessor?: NodeRef
  successors: readonly NodeRef[]
  fingers: readonly FingerEntry[]
  /** Knows no other node. */
  alone: boolean
}

export class ChordService implements Ring, Service {
  readonly self: NodeRef
  readonly peers: PeerDirectory
  readonly settings: MaintenanceSettings
  readonly events = new TypedEventEmitter<RingEvents>()
  private readonly node: ChordNode
  private readonly host: Libp2p
  private readonly limits: RpcLimits
  private readonly join: readonly NodeRef[]
  private readonly gate?: Gate
  private readonly metrics?: ChordRecorder
  private readonly log = logger('chord-peer:chord')
  private tasks: Task[] = []
  private readonly messenger: ChordMessenger
  private readonly deadReports = new Throttle(DEAD_REPORT_MS)
  /** Ends the background work other nodes start here (unifications). */
  private readonly shutdown = new AbortController()

  constructor (init: ChordServiceInit) {
    this.host = init.host
    this.peers = init.peers
    this.limits = init.limits ?? DEFAULT_LIMITS
    this.join = init.join ?? []
    this.gate = init.gate
    this.metrics = init.metrics
    this.settings = {
      r: init.r,
      stabilizeIntervalMs: init.stabilizeIntervalMs,
      fixFingersIntervalMs: init.fixFingersIntervalMs,
      checkPredecessorIntervalMs: init.checkPredecessorIntervalMs
    }
    this.self = this.peers.learn(init.host.peerId)
    const messenger = this.messenger = new ChordMessenger({
      host: init.host,
      peers: this.peers,
      limits: this.limits,
      selfAddrs: () => this.host.getMultiaddrs().map(a => a.decapsulateCode(421))
    })
    this.node = new ChordNode({
      space: this.peers.space,
      self: this.self,
      r: init.r,
      transport: messenger,
      onChange: change => { this.events.safeDispatchEvent(change.type, { detail: change }) },
      onDeadNode: (node, where) => {
        this.log('%s found %s dead', where, node.address)
        this.reportDead(init.events, node, where)
        this.events.safeDispatchEvent<DeadNodeDetail>('node:dead', { detail: { node, where } })
      },
      onUnify: contact => {
        this.log('unified with the ring of %s', contact.address)
        this.events.safeDispatchEvent('ring:unified', { detail: { contact } })
      },
      onReturn: node => {
        this.log('%s answers again', node.address)
        this.events.safeDispatchEvent('node:returned', { detail: { node } })
      },
      signal: this.shutdown.signal
    })
    messenger.local = this.node
  }

  get space (): IdSpace {
    return this.peers.space
  }

  /** A neighbour (successor or predecessor) stopped answering: tell the node's events, once a minute at most. */
  private reportDead (events: NodeEvents | undefined, node: NodeRef, where: string): void {
    const neighbour = NEIGHBOUR_OF[where]
    if (events === undefined || neighbour === undefined || this.deadReports.take(node.address) === undefined) return
    events.emit({
      type: 'member.left',
      node: eventNode(this.space, node),
      how: 'failed',
      level: 'warn',
      message: `${node.address}, this node's ${neighbour}, failed: it stopped answering (found by ${where})`
    })
  }

  /** Serve the chord protocol, enter the ring (Zave: copy the successor list, then notify), start maintenance. */
  async start (): Promise<void> {
    const handlers = chordHandlers(this.node, this.peers, contact => {
      this.events.safeDispatchEvent('unify:asked', { detail: { contact } })
    })
    await serveRpc<ChordRequest, ChordResponse>(this.host, {
      protocol: CHORD_PROTOCOL,
      request: ChordRequest,
      response: ChordResponse,
      ...this.limits,
      log: this.log,
      gate: this.gate,
      handler: async (req, connection, signal) => handlers(connection.remotePeer, req, signal)
    })
    if (this.join.length > 0) await this.node.join(this.join)
    const timeoutMs = this.limits.timeoutMs * 3
    const s = this.settings
    const log = this.log
    this.tasks = [
      startTask({
        name: 'stabilize',
        intervalMs: s.stabilizeIntervalMs,
        timeoutMs,
        log,
        run: async signal => {
          await this.node.stabilize({ signal }).then(() => { this.metrics?.stabilize('ok') }, (err: unknown) => {
            this.metrics?.stabilize('error')
            throw err
          })
        }
      }),
      startTask({
        name: 'fix_fingers',
        intervalMs: s.fixFingersIntervalMs,
        timeoutMs,
        log,
        run: async signal => this.node.fixFingers({ signal })
      }),
      startTask({
        name: 'check_predecessor',
        intervalMs: s.checkPredecessorIntervalMs,
        timeoutMs,
        log,
        run: async signal => this.node.checkPredecessor({ signal })
      }),
      // A node found dead that answers again was cut off: it may route on a ring of its own (ring/node.ts).
      startTask({
        name: 'probe_departed',
        intervalMs: s.checkPredecessorIntervalMs,
        timeoutMs,
        log,
        run: async signal => { await this.node.probeDeparted({ signal }) }
      })
    ]
  }

  /** Stop maintenance and serving; with `leave`, first tell the neighbours (graceful leave). */
  async stop (options: StopOptions = {}): Promise<void> {
    this.shutdown.abort()
    await Promise.all(this.tasks.map(async task => task.stop()))
    this.tasks = []
    if (options.leave === true) {
      await this.node.leave({ signal: AbortSignal.timeout(this.limits.timeoutMs) }).catch(() => {})
    }
    this.messenger.close()
    await this.host.unhandle(CHORD_PROTOCOL).catch(() => {})
  }

  // ---- Ring -------------------------------------------------------------------------------------------------

  owns (key: bigint): boolean {
    return this.node.state.owns(key)
  }

  range (): KeyRange | undefined {
    const st = this.node.state
    if (st.predecessor === undefined) return st.successor.id === this.self.id ? { from: this.self.id, to: this.self.id } : undefined
    return { from: st.predecessor.id, to: this.self.id }
  }

  successors (): readonly NodeRef[] {
    return this.node.state.successors
  }

  async findOwner (key: bigint, options?: LookupOptions): Promise<{ nodes: readonly NodeRef[], hops: number }> {
    const t0 = performance.now()
    try {
      const found = await this.node.findOwner(key, options)
      this.metrics?.lookup('ok', found.hops, (performance.now() - t0) / 1000)
      return found
    } catch (err) {
      this.metrics?.lookup('error', undefined, (performance.now() - t0) / 1000)
      throw err
    }
  }

  lookup (key: bigint, options?: LookupOptions): AsyncGenerator<LookupEvent> {
    const events = this.node.lookup(key, options)
    return this.metrics === undefined ? events : recorded(events, this.metrics)
  }

  async successorsFor (id: bigint, options?: LookupOptions): Promise<NodeRef[]> {
    return await this.node.successorsFor(id, options)
  }

  async ping (node: NodeRef, options?: AbortOptions): Promise<void> {
    await this.messenger.ping(node, options)
  }

  unify (node: NodeRef): void {
    this.node.handleUnify(node)
  }

  async askToUnify (node: NodeRef, options?: AbortOptions): Promise<void> {
    await this.messenger.unify(node, this.self, options)
  }

  dialTarget (node: NodeRef): DialTarget {
    return this.peers.dialTarget(node)
  }

  // ---- status and tests -----------------------------------------------------------------------------------------

  snapshot (): RingSnapshot {
    const st = this.node.state
    return {
      ...(st.predecessor !== undefined ? { predecessor: st.predecessor } : {}),
      successors: st.successors,
      fingers: st.fingers.list(),
      alone: st.alone
    }
  }

  /** Walk the ring from here (at most `limit` nodes) and check its invariants (`ring --check`). */
  async checkRing (limit?: number, options?: AbortOptions): Promise<RingCheck & { walk: WalkedNode[] }> {
    return await this.node.checkRing(limit, options)
  }

  /** Run one stabilize now (tests and joins use it to converge sooner). */
  async stabilizeNow (): Promise<void> {
    await (this.tasks[0]?.trigger() ?? this.node.stabilize())
  }

  /** Refresh the next finger now (tests and benchmarks use it to converge the fingers sooner). */
  async fixFingersNow (options?: LookupOptions): Promise<void> {
    await this.node.fixFingers(options)
  }
}

/** `events` as they come, telling `metrics` how the lookup ended (a consumer that stops early records nothing). */
async function * recorded (events: AsyncGenerator<LookupEvent>, metrics: ChordRecorder): AsyncGenerator<LookupEvent> {
  const t0 = performance.now()
  try {
    for await (const event of events) {
      if (event.type === 'found') metrics.lookup('ok', event.hops, (performance.now() - t0) / 1000)
      if (event.type === 'failed') metrics.lookup('error', undefined, (performance.now() - t0) / 1000)
      yield event
    }
  } catch (err) {
    metrics.lookup('error', undefined, (performance.now() - t0) / 1000)
    throw err
  }
}
