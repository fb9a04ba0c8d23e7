// The supernodes' election service (DESIGN §4): drives the pure Chang-Roberts core (./chang-roberts.ts) with a
// timer and /chord-peer/election/1.0.0 streams. Every core message is one request on a pooled stream, answered
// by an empty reply that only confirms delivery; a failed delivery is reported back to the core
// (`sendFailed`), which skips that supernode. Time comes from `performance.now()`, so the core's timers are
// monotonic. The service also
// - tells membership when this node starts acting as the leader (`onLead`), so it takes over the view;
// - piggybacks view versions on heartbeats: a follower that answers with an older version gets the view pushed
//   (`onBehind`), so a supernode that missed a push catches up within one heartbeat;
// - records when each supernode was last heard from, for `chord-peer leader`.
import { logger } from '@libp2p/logger'
import { ElectionMessage as Wire, ElectionReply } from '../../protocols/election.js'
import { RpcClient, serveRpc, type RpcLimits } from '../net/rpc.js'
import { decodePeerId, ringId } from '../chord/wire.js'
import { ChangRoberts, DEFAULT_ELECTION_CONFIG, type ElectionConfig, type ElectionMessage, type Output } from './chang-roberts.js'
import type { ChordService } from '../chord/service.js'
import type { Leadership } from '../membership/service.js'
import type { NodeRef } from '../ring/index.js'
import type { LeaderJson, NodeJson, SupernodeJson } from '../api/types.js'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Logger } from '@libp2p/logger'

export const ELECTION_PROTOCOL = '/chord-peer/election/1.0.0'
/** An unreachable supernode costs an election this timeout per hop, so it is short: supernodes are expected on a LAN. */
export const ELECTION_LIMITS: RpcLimits = { maxMessageBytes: 1024, timeoutMs: 500 }
/** How often the core is ticked, ms. */
export const TICK_MS = 50

export interface ElectionServiceInit {
  host: Libp2p
  chord: ChordService
  /** The supernode set to start with (this node included). */
  supernodes: NodeRef[]
  /** Start by following this leader of this epoch instead of calling an election (a supernode joining a group). */
  follow?: { leader: NodeRef, epoch: number }
  /** Epochs up to this one are taken (a ring restarted from its stored view). */
  startEpoch?: number
  config?: Partial<Omit<ElectionConfig, 'self'>>
  /** The membership view's version, sent with heartbeats. */
  viewVersion: () => number
  /** A follower holds an older view than ours (we lead): push it the view. */
  onBehind: (node: NodeRef) => void
  /** This node has just become the acting leader. */
  onLead: () => void
  log?: Logger
}

export class ElectionService extends EventTarget implements Leadership {
  private readonly core: ChangRoberts
  private readonly log: Logger
  private readonly client: RpcClient<Wire, ElectionReply>
  private supernodes: NodeRef[]
  private readonly lastSeen = new Map<string, number>()
  private timer?: NodeJS.Timeout
  private wasActing = false
  private ledEpoch = -1
  private lastLeader?: bigint
  private stopped = false
  /** Messages sent and received by type, for benchmarks and status. */
  readonly counts = { sent: new Map<string, number>(), received: new Map<string, number>(), rejected: 0 }

  constructor (private readonly init: ElectionServiceInit) {
    super()
    this.log = init.log ?? logger('chord-peer:election')
    this.supernodes = init.supernodes
    this.core = new ChangRoberts({ ...DEFAULT_ELECTION_CONFIG, ...init.config, self: init.chord.self.id, startEpoch: init.startEpoch })
    this.client = new RpcClient<Wire, ElectionReply>({ host: init.host, protocol: ELECTION_PROTOCOL, request: Wire, response: ElectionReply, limits: ELECTION_LIMITS, maxIdlePerPeer: 2 })
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
      handler: async (req, connection) => { this.receive(req, connection); return {} }
    })
    const tick = (): void => {
      if (this.stopped) return
      this.run(this.core.tick(this.now()))
      this.timer = setTimeout(tick, TICK_MS)
      this.timer.unref()
    }
    tick()
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    this.client.close()
    await this.init.host.unhandle(ELECTION_PROTOCOL).catch(() => {})
  }

  // ---- Leadership ---------------------------------------------------------------------------------------------

  leader (): NodeRef | undefined {
    const id = this.core.state().leader
    return id === undefined ? undefined : this.supernodes.find(n => n.id === id)
  }

  acting (): boolean {
    return !this.stopped && this.core.state(this.now()).acting
  }

  epoch (): number {
    return this.core.state().epoch
  }

  setSupernodes (nodes: NodeRef[]): void {
    this.supernodes = nodes
    this.run(this.core.setMembers(nodes.map(n => n.id), this.now()))
  }

  // ---- status ------------------------------------------------------------------------------------------------

  /**
   * The election as this node sees it, for `chord-peer leader`. A follower hears only from the leader, so the
   * supernodes not heard from lately are pinged first (chord PING, 1 s).
   */
  async status (view: { version: number, members: number }, nodeJson: (n: NodeRef) => NodeJson, signal?: AbortSignal): Promise<LeaderJson> {
    const within = (this.init.config?.leaderTimeoutMs ?? DEFAULT_ELECTION_CONFIG.leaderTimeoutMs) * 2
    const silent = this.supernodes.filter(n => n.id !== this.init.chord.self.id && !(this.now() - (this.lastSeen.get(n.address) ?? -Infinity) < within))
    const timeout = AbortSignal.timeout(1_000)
    await Promise.all(silent.map(async n => {
      await this.init.chord.ping(n, { signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]) })
        .then(() => { this.lastSeen.set(n.address, this.now()) }, () => {})
    }))
    return this.json(view, nodeJson)
  }

  json (view: { version: number, members: number }, nodeJson: (n: NodeRef) => NodeJson): LeaderJson {
    const st = this.core.state()
    const now = this.now()
    const aliveWithin = (this.init.config?.leaderTimeoutMs ?? DEFAULT_ELECTION_CONFIG.leaderTimeoutMs) * 2
    const leader = this.leader()
    const self = this.init.chord.self
    return {
      ...(leader !== undefined ? { leader: nodeJson(leader) } : {}),
      epoch: st.epoch,
      acting: leader?.id === self.id ? this.acting() : leader !== undefined && this.followsLive(),
      role: st.role,
      supernodes: this.supernodes.map((n): SupernodeJson => {
        const seen = this.lastSeen.get(n.address)
        const isSelf = n.id === self.id
        return {
          ...nodeJson(n),
          leader: leader?.id === n.id,
          alive: isSelf || (seen !== undefined && now - seen < aliveWithin),
          ...(seen !== undefined && !isSelf ? { lastSeenMs: Math.round(now - seen) } : {})
        }
      }),
      view
    }
  }

  /** A follower's best knowledge: the leader's heartbeats are arriving. */
  private followsLive (): boolean {
    const leader = this.leader()
    if (leader === undefined) return false
    const seen = this.lastSeen.get(leader.address)
    return seen !== undefined && this.now() - seen < (this.init.config?.leaderTimeoutMs ?? DEFAULT_ELECTION_CONFIG.leaderTimeoutMs)
  }

  // ---- the core's input and output ----------------------------------------------------------------------------

  private now (): number {
    return performance.now()
  }

  private receive (req: Wire, connection: Connection): void {
    const from = ringId(this.init.chord.space, connection.remotePeer)
    let message: ElectionMessage
    try {
      message = this.fromWire(req)
    } catch (err) {
      this.counts.rejected++
      this.log('rejected a malformed election message from %p: %s', connection.remotePeer, (err as Error).message)
      return
    }
    this.lastSeen.set(connection.remotePeer.toString(), this.now())
    bump(this.counts.received, message.type)
    const out = this.core.step(from, message, this.now())
    if (out.rejected !== undefined) {
      this.counts.rejected++
      this.log('rejected %s from %p: %s', message.type, connection.remotePeer, out.rejected)
    }
    if (message.type === 'HEARTBEAT_ACK' && this.acting() && req.viewVersion < BigInt(this.init.viewVersion())) {
      const node = this.supernodes.find(n => n.id === from)
      if (node !== undefined) this.init.onBehind(node)
    }
    this.run(out)
  }

  /** Send what the core asks for, report failures back to it, and notice leadership changes. */
  private run (out: Output): void {
    for (const { to, message } of out.send) this.send(to, message)
    const st = this.core.state()
    if (st.leader !== this.lastLeader) {
      this.lastLeader = st.leader
      this.log('leader is now %s (epoch %d)', this.leader()?.address ?? 'unknown', st.epoch)
      this.dispatchEvent(new CustomEvent('leader:change', { detail: { leader: this.leader(), epoch: st.epoch } }))
    }
    const acting = this.acting()
    if (acting !== this.wasActing) {
      this.wasActing = acting
      this.log(acting ? 'acting as the leader of epoch %d' : 'no longer acting as the leader (epoch %d)', st.epoch)
      if (acting && st.epoch !== this.ledEpoch) {
        this.ledEpoch = st.epoch
        this.init.onLead()
      }
      this.dispatchEvent(new CustomEvent('acting:change', { detail: acting }))
    }
  }

  private send (to: bigint, message: ElectionMessage): void {
    if (this.stopped) return
    const node = this.supernodes.find(n => n.id === to)
    if (node === undefined) {
      this.run(this.core.sendFailed(to, message, this.now()))
      return
    }
    const book = this.init.chord.book
    const addrs = book.get(node.address)?.addrs ?? []
    const target = addrs.length > 0 ? addrs.map(a => a.encapsulate(`/p2p/${node.address}`)) : book.peerId(node.address)
    bump(this.counts.sent, message.type)
    this.client.request(book.peerId(node.address), target, this.toWire(message))
      .then(() => { this.lastSeen.set(node.address, this.now()) })
      .catch(err => {
        if (this.stopped) return
        this.log.trace('%s to %s failed: %s', message.type, node.address, (err as Error).message)
        this.run(this.core.sendFailed(to, message, this.now()))
      })
  }

  private toWire (m: ElectionMessage): Wire {
    const node = this.supernodes.find(n => n.id === m.id) ?? (m.id === this.init.chord.self.id ? this.init.chord.self : undefined)
    const peerId = node === undefined ? new Uint8Array(0) : this.init.chord.book.peerId(node.address).toMultihash().bytes
    return {
      type: Wire.Type[m.type] as Wire.Type,
      id: peerId,
      epoch: BigInt(m.epoch),
      sent: BigInt(Math.max(0, Math.round('sent' in m ? m.sent : 0))),
      viewVersion: BigInt(this.init.viewVersion())
    }
  }

  private fromWire (w: Wire): ElectionMessage {
    const id = ringId(this.init.chord.space, decodePeerId(w.id))
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

function bump (m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1)
}
