// The supernodes' election service: drives the pure Chang-Roberts core (./chang-roberts.ts) with a timer and
// /chord-peer/election/2.0.0 streams. Every core message is one request on a pooled stream, answered by an
// empty reply that only confirms delivery; a failed delivery is reported back to the core (`sendFailed`),
// which skips that supernode. Time comes from `performance.now()`, so the core's timers are monotonic.
// What the core reports changing (`leader:change`, `acting:change`) is re-emitted as typed events, with ring
// ids turned into NodeRefs; membership listens to them. Heartbeats carry the sender's view version
// (`viewVersion`, set by membership), and each ack a follower sends back is emitted as `ack`, so the leader can
// push the view to a follower that missed one. The service also records when each supernode was last heard
// from, for `chord-peer leader`.
import { logger } from '@libp2p/logger'
import { TypedEventEmitter } from 'main-event'
import { ElectionMessage as Wire, ElectionReply } from '../../protocols/election.js'
import { eventNode, type NodeEvents } from '../events.js'
import { TaskSet, type Service } from '../lifecycle.js'
import { RpcClient, serveRpc, type Gate, type RpcLimits } from '../net/rpc.js'
import { decodePeerId, nodeRefOf, ringId } from '../chord/wire.js'
import {
  ChangRoberts, DEFAULT_ELECTION_CONFIG, type ElectionConfig, type ElectionCounts, type ElectionMessage, type Output, type Role
} from './chang-roberts.js'
import type { Ring } from '../chord/ring.js'
import type { NodeRef } from '../ring/index.js'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Logger } from '@libp2p/logger'

export const ELECTION_PROTOCOL = '/chord-peer/election/2.0.0'
/** An unreachable supernode costs an election this timeout per hop, so it is short: supernodes are expected on a LAN. */
export const ELECTION_LIMITS: RpcLimits = { maxMessageBytes: 1024, maxRequestBytes: 1024, timeoutMs: 500 }
/** How often the core is ticked, ms. */
export const TICK_MS = 50
/**
 * A starved machine: how late ticks run and heartbeats arrive is measured (`LagMeter`), and a follower waits
 * twice the recent worst of it longer before calling an election, at most MAX_SLACK_MS. Delays under NOISE_MS
 * count as none, so an idle machine fails over as fast as ever.
 */
export const MAX_SLACK_MS = 10_000
const NOISE_MS = 25
/** The measured worst delay halves every this long once the machine keeps time again. */
const LAG_HALF_LIFE_MS = 15_000

export interface ElectionEvents {
  /** The leader this node follows (or is), or the epoch, changed. */
  'leader:change': CustomEvent<{ leader?: NodeRef, epoch: number }>
  /** This node started or stopped acting as the leader (a majority lease gained or lost). */
  'acting:change': CustomEvent<{ acting: boolean, epoch: number }>
  /** A follower acknowledged our heartbeat, holding the view of this version. */
  ack: CustomEvent<{ from: NodeRef, viewVersion: number }>
}

export interface ElectionServiceInit {
  host: Libp2p
  ring: Ring
  /** The supernode set to start with (this node included). */
  supernodes: NodeRef[]
  /** Start by following this leader of this epoch instead of calling an election (a supernode joining a group). */
  follow?: { leader: NodeRef, epoch: number }
  /** Epochs up to this one are taken (a ring restarted from its stored view). */
  startEpoch?: number
  config?: Partial<Omit<ElectionConfig, 'self'>>
  /** Who may open election streams (members only; the core then listens only to supernodes). */
  gate?: Gate
  /** Where each change of leader is told (`leader.changed`; src/events.ts). Default: nowhere. */
  events?: NodeEvents
  log?: Logger
}

/** The election as this node sees it. */
export interface ElectionSnapshot {
  role: Role
  epoch: number
  leader?: NodeRef
  /** The leader may change the view: this node leads with a majority lease, or (a follower) its heartbeats arrive. */
  acting: boolean
  /** Each supernode, and how long ago it was last heard from (undefined: never, or this node itself). */
  supernodes: Array<{ node: NodeRef, lastSeenMs?: number, alive: boolean }>
}

export class ElectionService implements Service {
  readonly events = new TypedEventEmitter<ElectionEvents>()
  /** The membership view's version, sent with every heartbeat and ack. */
  viewVersion = 0
  private readonly core: ChangRoberts
  private readonly log: Logger
  private readonly client: RpcClient<Wire, ElectionReply>
  private readonly tasks: TaskSet
  private readonly leaderTimeoutMs: number
  private supernodes: NodeRef[]
  private readonly lastSeen = new Map<string, number>()
  private timer?: NodeJS.Timeout
  private stopped = false
  /** Messages that could not be decoded (the core never saw them). */
  private malformed = 0
  private readonly lag = new LagMeter(LAG_HALF_LIFE_MS)
  private lastTick?: number
  /** The last heartbeat taken: from whom, in which epoch, when. */
  private lastBeat?: { from: bigint, epoch: number, at: number }
  private readonly heartbeatIntervalMs: number

  constructor (private readonly init: ElectionServiceInit) {
    this.log = init.log ?? logger('chord-peer:election')
    this.tasks = new TaskSet(this.log)
    this.supernodes = init.supernodes
    this.leaderTimeoutMs = init.config?.leaderTimeoutMs ?? DEFAULT_ELECTION_CONFIG.leaderTimeoutMs
    this.heartbeatIntervalMs = init.config?.heartbeatIntervalMs ?? DEFAULT_ELECTION_CONFIG.heartbeatIntervalMs
    this.core = new ChangRoberts({ ...DEFAULT_ELECTION_CONFIG, ...init.config, self: init.ring.self.id, startEpoch: init.startEpoch })
    this.client = new RpcClient<Wire, ElectionReply>({
      host: init.host, protocol: ELECTION_PROTOCOL, request: Wire, response: ElectionReply, limits: ELECTION_LIMITS, maxIdlePerPeer: 2
    })
    this.run(this.core.setMembers(this.supernodes.map(n => n.id), this.now()))
    if (init.follow !== undefined) this.run(this.core.follow(init.follow.leader.id, init.follow.epoch, this.now()))
  }

  async start (): Promise<void> {
    await serveRpc<Wire, ElectionReply>(this.init.host, {
      protocol: ELECTION_PROTOCOL,
      request: Wire,
      response: ElectionReply,
      ...ELECTION_LIMITS,
      log: this.log,
      gate: this.init.gate,
      handler: async (req, connection) => { this.receive(req, connection); return {} }
    })
    const tick = (): void => {
      if (this.stopped) return
      const now = this.now()
      if (this.lastTick !== undefined) this.late(now - this.lastTick - TICK_MS, now)
      this.lastTick = now
      this.core.setSlack(slackFor(this.lag.peak(now))) // and back down as the peak decays
      this.run(this.core.tick(now))
      this.timer = setTimeout(tick, TICK_MS)
      this.timer.unref()
    }
    tick()
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.tasks.stop()
    this.client.close()
    await this.init.host.unhandle(ELECTION_PROTOCOL).catch(() => {})
  }

  // ---- queries ------------------------------------------------------------------------------------------------

  /** The leader this node follows (itself when it leads), if any. */
  leader (): NodeRef | undefined {
    return this.nodeOf(this.core.state().leader)
  }

  /** This node leads and holds a majority lease: it may change the view. */
  acting (): boolean {
    return !this.stopped && this.core.state(this.now()).acting
  }

  epoch (): number {
    return this.core.state().epoch
  }

  /** Messages by type as counted by the core, and the ones rejected (by the core, or undecodable). */
  counts (): ElectionCounts {
    const c = this.core.counts()
    return { ...c, rejected: c.rejected + this.malformed }
  }

  /** The supernode set changed (a new view). */
  setSupernodes (nodes: NodeRef[]): void {
    this.supernodes = nodes
    this.run(this.core.setMembers(nodes.map(n => n.id), this.now()))
  }

  snapshot (): ElectionSnapshot {
    const st = this.core.state()
    const now = this.now()
    const leader = this.leader()
    const self = this.init.ring.self
    return {
      role: st.role,
      epoch: st.epoch,
      ...(leader !== undefined ? { leader } : {}),
      acting: leader?.id === self.id ? this.acting() : leader !== undefined && this.heardWithin(leader, this.leaderTimeoutMs),
      supernodes: this.supernodes.map(node => {
        const seen = this.lastSeen.get(node.address)
        const isSelf = node.id === self.id
        return {
          node,
          alive: isSelf || this.heardWithin(node, this.leaderTimeoutMs * 2),
          ...(seen !== undefined && !isSelf ? { lastSeenMs: Math.round(now - seen) } : {})
        }
      })
    }
  }

  /** A follower hears only from the leader: ping the supernodes not heard from lately (chord PING, 1 s). */
  async probeSilent (signal?: AbortSignal): Promise<void> {
    const self = this.init.ring.self
    const silent = this.supernodes.filter(n => n.id !== self.id && !this.heardWithin(n, this.leaderTimeoutMs * 2))
    const timeout = AbortSignal.timeout(1_000)
    await Promise.all(silent.map(async n => {
      await this.init.ring.ping(n, { signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]) })
        .then(() => { this.lastSeen.set(n.address, this.now()) }, () => {})
    }))
  }

  // ---- the core's input and output ----------------------------------------------------------------------------

  private now (): number {
    return performance.now()
  }

  private heardWithin (node: NodeRef, ms: number): boolean {
    const seen = this.lastSeen.get(node.address)
    return seen !== undefined && this.now() - seen < ms
  }

  private nodeOf (id: bigint | undefined): NodeRef | undefined {
    return id === undefined ? undefined : this.supernodes.find(n => n.id === id)
  }

  private receive (req: Wire, connection: Connection): void {
    const sender = nodeRefOf(this.init.ring.space, connection.remotePeer)
    let message: ElectionMessage
    try {
      message = this.fromWire(req)
    } catch (err) {
      this.malformed++
      this.log('rejected a malformed election message from %p: %e', connection.remotePeer, err)
      return
    }
    // Only supernodes are tracked: a stream of messages from others grows nothing.
    if (this.nodeOf(sender.id) !== undefined) this.lastSeen.set(sender.address, this.now())
    if (message.type === 'HEARTBEAT' && this.nodeOf(sender.id) !== undefined) this.heartbeatFrom(sender.id, message.epoch)
    const out = this.core.step(sender.id, message, this.now())
    if (out.rejected !== undefined) this.log('rejected %s from %p: %s', message.type, connection.remotePeer, out.rejected)
    this.run(out)
    if (message.type === 'HEARTBEAT_ACK' && out.rejected === undefined) {
      const from = this.nodeOf(sender.id)
      if (from !== undefined) this.events.safeDispatchEvent('ack', { detail: { from, viewVersion: Number(req.viewVersion) } })
    }
  }

  /**
   * A heartbeat from `from`: one later than the interval after the last one of the same leader and epoch shows
   * how late this machine or the leader's runs (a new leader's first heartbeat follows a failover: not counted).
   */
  private heartbeatFrom (from: bigint, epoch: number): void {
    const now = this.now()
    const last = this.lastBeat
    if (last !== undefined && last.from === from && last.epoch === epoch) this.late(now - last.at - this.heartbeatIntervalMs, now)
    this.lastBeat = { from, epoch, at: now }
  }

  /** Something due now ran `ms` late: the core's patience follows the recent worst. */
  private late (ms: number, now: number): void {
    if (ms < NOISE_MS) return
    this.lag.add(ms, now)
    this.core.setSlack(slackFor(this.lag.peak(now)))
  }

  /** Send what the core asks for and re-emit what it reports changing. */
  private run (out: Output): void {
    for (const { to, message } of out.send) this.send(to, message)
    for (const event of out.events) {
      if (event.type === 'leader:change') {
        const leader = this.nodeOf(event.leader)
        this.log('leader is now %s (epoch %d)', leader?.address ?? 'unknown', event.epoch)
        this.report(leader, event.epoch)
        this.events.safeDispatchEvent('leader:change', { detail: { ...(leader !== undefined ? { leader } : {}), epoch: event.epoch } })
      } else if (event.type === 'acting:change') {
        this.log(event.acting ? 'acting as the leader of epoch %d' : 'no longer acting as the leader (epoch %d)', event.epoch)
        this.events.safeDispatchEvent('acting:change', { detail: { acting: event.acting, epoch: event.epoch } })
      }
    }
  }

  /** Tell the node's events of a new leader, or of an election under way (no leader). */
  private report (leader: NodeRef | undefined, epoch: number): void {
    const events = this.init.events
    if (events === undefined) return
    if (leader === undefined) {
      events.emit({ type: 'leader.changed', epoch, level: 'warn', message: `no leader: the supernodes are electing one (epoch ${epoch})` })
      return
    }
    const who = leader.id === this.init.ring.self.id ? `this node (${leader.address})` : leader.address
    events.emit({
      type: 'leader.changed',
      leader: eventNode(this.init.ring.space, leader),
      epoch,
      level: 'info',
      message: `the supernodes' leader is now ${who}, epoch ${epoch}`
    })
  }

  private send (to: bigint, message: ElectionMessage): void {
    if (this.stopped) return
    const node = this.nodeOf(to)
    if (node === undefined) {
      this.run(this.core.sendFailed(to, message, this.now()))
      return
    }
    this.tasks.run(`${message.type} to ${node.address}`, async signal => {
      try {
        await this.client.request(this.init.ring.dialTarget(node), this.toWire(message), { signal })
        this.lastSeen.set(node.address, this.now())
      } catch (err) {
        if (this.stopped) return
        this.log.trace('%s to %s failed: %e', message.type, node.address, err)
        this.run(this.core.sendFailed(to, message, this.now()))
      }
    })
  }

  private toWire (m: ElectionMessage): Wire {
    const node = this.nodeOf(m.id) ?? (m.id === this.init.ring.self.id ? this.init.ring.self : undefined)
    return {
      type: Wire.Type[m.type] as Wire.Type,
      id: node === undefined ? new Uint8Array(0) : this.init.ring.peers.toWire(node).peerId,
      epoch: BigInt(m.epoch),
      sent: BigInt(Math.max(0, Math.round('sent' in m ? m.sent : 0))),
      viewVersion: BigInt(this.viewVersion)
    }
  }

  private fromWire (w: Wire): ElectionMessage {
    const id = ringId(this.init.ring.space, decodePeerId(w.id))
    const epoch = Number(w.epoch)
    const sent = Number(w.sent)
    switch (w.type) {
      case Wire.Type.ELECTION: return { type: 'ELECTION', id, epoch }
      case Wire.Type.ELECTED: return { type: 'ELECTED', id, epoch }
      case Wire.Type.HEARTBEAT: return { type: 'HEARTBEAT', id, epoch, sent }
      case Wire.Type.HEARTBEAT_ACK: return { type: 'HEARTBEAT_ACK', id, epoch, sent }
      default: throw new Error(`unknown type ${String(w.type)}`)
    }
  }
}

/** The extra patience for a recent worst delay of `peak` ms. */
function slackFor (peak: number): number {
  return peak < NOISE_MS ? 0 : Math.min(MAX_SLACK_MS, Math.round(2 * peak))
}

/** The worst delay seen lately: a peak that halves every `halfLifeMs` without a larger one. */
export class LagMeter {
  private value = 0
  private at = 0

  constructor (private readonly halfLifeMs: number) {}

  add (ms: number, now: number): void {
    this.value = Math.max(ms, this.peak(now))
    this.at = now
  }

  peak (now: number): number {
    return this.value * 0.5 ** (Math.max(0, now - this.at) / this.halfLifeMs)
  }
}
