// The Chord ring service on a libp2p host: serves /chord-peer/chord/1.0.0, runs the maintenance tasks, and
// re-emits ring changes as events (`successor:change`, `successors:change`, `predecessor:change`,
// `range:change`, `node:dead`) for the services built on top (files, dashboard). It never imports storage.
import { logger } from '@libp2p/logger'
import { ChordRequest, ChordResponse } from '../../protocols/chord.js'
import { serveRpc, type RpcLimits } from '../net/rpc.js'
import { ChordNode, IdSpace, type LookupEvent, type LookupOptions, type NodeRef, type RingChange } from '../ring/index.js'
import { handleChordRequest } from './handlers.js'
import { startTask, type Task } from './maintenance.js'
import { CHORD_PROTOCOL, ChordMessenger } from './messenger.js'
import { AddressBook, nodeRefOf } from './wire.js'
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
  /** Identifier bits (default 256: ids are SHA-256). */
  m?: number
  /** Per-request limits (default 64 KiB, 3 s). */
  limits?: RpcLimits
  /** Address book to share (one made before the service, e.g. while joining); default a new one. */
  book?: AddressBook
}

export const DEFAULT_LIMITS: RpcLimits = { maxMessageBytes: 64 * 1024, timeoutMs: 3_000 }

export interface DeadNodeDetail { node: NodeRef, where: string }

export class ChordService extends EventTarget {
  readonly node: ChordNode
  readonly space: IdSpace
  readonly self: NodeRef
  readonly book: AddressBook
  readonly settings: MaintenanceSettings
  private readonly host: Libp2p
  private readonly limits: RpcLimits
  private readonly log = logger('chord-peer:chord')
  private tasks: Task[] = []
  private readonly messenger: ChordMessenger

  constructor (init: ChordServiceInit) {
    super()
    this.host = init.host
    this.space = new IdSpace(init.m)
    this.limits = init.limits ?? DEFAULT_LIMITS
    this.settings = {
      r: init.r,
      stabilizeIntervalMs: init.stabilizeIntervalMs,
      fixFingersIntervalMs: init.fixFingersIntervalMs,
      checkPredecessorIntervalMs: init.checkPredecessorIntervalMs
    }
    this.book = init.book ?? new AddressBook()
    this.self = nodeRefOf(this.space, init.host.peerId)
    this.book.add(init.host.peerId, [])
    const messenger = this.messenger = new ChordMessenger({
      host: init.host,
      space: this.space,
      book: this.book,
      limits: this.limits,
      selfAddrs: () => this.host.getMultiaddrs().map(a => a.decapsulateCode(421))
    })
    this.node = new ChordNode({
      space: this.space,
      self: this.self,
      r: init.r,
      transport: messenger,
      onChange: change => this.emit(change.type, change),
      onDeadNode: (node, where) => {
        this.log('%s found %s dead', where, node.address)
        this.emit('node:dead', { node, where })
      }
    })
    messenger.local = this.node
  }

  /** Serve the chord protocol. Call before joining so the successor can reach us when we notify it. */
  async serve (): Promise<void> {
    await serveRpc<ChordRequest, ChordResponse>(this.host, {
      protocol: CHORD_PROTOCOL,
      request: ChordRequest,
      response: ChordResponse,
      ...this.limits,
      log: this.log,
      handler: async (req, connection, signal) => handleChordRequest({ node: this.node, book: this.book }, connection.remotePeer, req, signal)
    })
  }

  /** Start the periodic maintenance tasks. */
  startMaintenance (): void {
    const timeoutMs = this.limits.timeoutMs * 3
    const s = this.settings
    this.tasks = [
      startTask({ name: 'stabilize', intervalMs: s.stabilizeIntervalMs, timeoutMs, log: this.log, run: async signal => this.node.stabilize({ signal }) }),
      startTask({ name: 'fix_fingers', intervalMs: s.fixFingersIntervalMs, timeoutMs, log: this.log, run: async signal => this.node.fixFingers({ signal }) }),
      startTask({ name: 'check_predecessor', intervalMs: s.checkPredecessorIntervalMs, timeoutMs, log: this.log, run: async signal => this.node.checkPredecessor({ signal }) })
    ]
  }

  /** Run one stabilize now (tests and joins use it to converge sooner). */
  async stabilizeNow (): Promise<void> {
    await (this.tasks[0]?.trigger() ?? this.node.stabilize())
  }

  /** Does `node` serve the ring? Resolves if it answers a chord PING, throws otherwise. */
  async ping (node: NodeRef, options?: { signal?: AbortSignal }): Promise<void> {
    await this.messenger.ping(node, options)
  }

  lookup (key: bigint, options?: LookupOptions): AsyncGenerator<LookupEvent> {
    return this.node.lookup(key, options)
  }

  /** Stop maintenance and serving; with `leave`, first tell the neighbours (graceful leave). */
  async stop (options: { leave?: boolean, signal?: AbortSignal } = {}): Promise<void> {
    for (const task of this.tasks) task.stop()
    this.tasks = []
    if (options.leave === true) {
      await this.node.leave({ signal: options.signal ?? AbortSignal.timeout(this.limits.timeoutMs) }).catch(() => {})
    }
    this.messenger.close()
    await this.host.unhandle(CHORD_PROTOCOL).catch(() => {})
  }

  private emit (type: RingChange['type'] | 'node:dead', detail: RingChange | DeadNodeDetail): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }
}
