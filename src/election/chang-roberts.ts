// Chang-Roberts leader election among the supernodes, as a pure state machine (DESIGN §2, §4): no libp2p, no
// clock, no timers. The service (./service.ts) passes time in with every call and sends what `send` lists.
//
// The election ring is the supernodes ordered by id; a node's next hop is the next larger id that is not
// suspected dead (wrapping). An election of epoch e (one more than any epoch seen) starts when a supernode
// starts alone, when the leader's heartbeats stop for `leaderTimeoutMs`, or when the leader leaves the set:
// - ELECTION(id, e) travels round the ring: a node forwards ids larger than its own, replaces a smaller one with
//   its own once per election and swallows smaller ones after that; the node that receives its own id wins.
// - The winner circulates ELECTED(id, e) once round the ring; it stops at the winner.
// - A message of an older epoch is ignored (and reported in `rejected`); one of a newer epoch makes the node
//   join that epoch, so a deposed leader that comes back follows. Two winners of one epoch (a partition, each
//   side counting only its live nodes) resolve to the higher id.
// - A hop that cannot be reached is suspected for 3 × `leaderTimeoutMs` and skipped (`sendFailed` re-sends to the
//   next live node). An ELECTION whose candidate is found dead is dropped and a new election starts; an
//   election that has not finished within `electionTimeoutMs` starts again in a new epoch.
//
// Leases ("a leader acts only while it reaches a majority, so two leaders never act at once"): the leader sends
// HEARTBEAT(sent) every `heartbeatIntervalMs`; a follower answers HEARTBEAT_ACK(sent), echoing the leader's send
// time, and by answering promises not to acknowledge any other leader for `promiseMs`. The leader is `acting`
// while it, plus the followers whose latest ack echoes a send time less than `leaseMs` old (its own clock),
// are a majority of the known supernodes. Why two leaders never act at once: two majorities share a node F. F
// acked L at real time t ≥ sent, so L counts that ack only until sent + leaseMs < t + promiseMs, and F acks
// any other leader L' only after t + promiseMs; so L' cannot count F while L still does. (A node that is
// itself a leader and acks another has stepped down first.) Only clock rates matter, never offsets, since
// each node compares its own times; leaseMs < promiseMs leaves the margin.
//
// Timers and failover: with the defaults the followers notice a dead leader within leaderTimeoutMs (1 000 ms)
// of its last heartbeat; the election takes two trips round the ring (milliseconds on a LAN); the new leader's
// first heartbeats are acked at once, because the promises to the old leader (promiseMs 800 ms after the last
// ack) have expired by then. So a new leader acts ≈ 1.0–1.3 s after the old one died, under the 3 s target.

export interface ElectionConfig {
  self: bigint
  heartbeatIntervalMs: number
  /** A follower calls an election after this long without a heartbeat. A hop that failed stays suspected for
   *  three times this long, or until it is heard from. */
  leaderTimeoutMs: number
  /** An election not finished after this long starts again, one epoch later. It must outlast a trip round the
   *  ring that meets unreachable hops (each costs an rpc timeout). */
  electionTimeoutMs: number
  /** The leader counts an ack for this long after the send time it echoes. */
  leaseMs: number
  /** A follower acks no other leader for this long after an ack. Must exceed leaseMs. */
  promiseMs: number
  /** Epochs up to this one are taken (a restarted cluster resumes after its stored epoch). */
  startEpoch?: number
}

export const DEFAULT_ELECTION_CONFIG: Omit<ElectionConfig, 'self'> = {
  heartbeatIntervalMs: 200,
  leaderTimeoutMs: 1_000,
  electionTimeoutMs: 3_000,
  leaseMs: 600,
  promiseMs: 800
}

export type ElectionMessage =
  | { type: 'ELECTION', id: bigint, epoch: number }
  | { type: 'ELECTED', id: bigint, epoch: number }
  | { type: 'HEARTBEAT', id: bigint, epoch: number, sent: number }
  | { type: 'HEARTBEAT_ACK', id: bigint, epoch: number, sent: number }

export interface Output {
  send: Array<{ to: bigint, message: ElectionMessage }>
  /** Why the input was ignored, when it was (unknown sender, stale epoch, malformed). */
  rejected?: string
}

export type Role = 'leader' | 'follower' | 'candidate'

export interface ElectionState {
  role: Role
  epoch: number
  leader?: bigint
  /** The leader is this node and holds a majority lease (at the time of the last input). */
  acting: boolean
  members: bigint[]
}

export class ChangRoberts {
  private readonly cfg: ElectionConfig
  private members: bigint[] = []
  private role: Role = 'candidate'
  private epoch: number
  private leader?: bigint
  private started = false
  private participating = false
  private electionStartedAt = 0
  private lastHeartbeat = 0
  private lastHeartbeatSent = -Infinity
  private promised?: { to: bigint, until: number }
  private readonly acks = new Map<bigint, number>()
  private readonly suspected = new Map<bigint, number>()
  private now = 0

  constructor (config: ElectionConfig) {
    if (!(config.leaseMs < config.promiseMs)) throw new RangeError('leaseMs must be less than promiseMs')
    if (!(config.heartbeatIntervalMs > 0 && config.leaderTimeoutMs > config.heartbeatIntervalMs)) throw new RangeError('leaderTimeoutMs must exceed heartbeatIntervalMs > 0')
    this.cfg = config
    this.epoch = config.startEpoch ?? 0
    this.members = [config.self]
  }

  /** The state as of the last input; `acting` as of `now` when given (a lease may have run out since). */
  state (now = this.now): ElectionState {
    return { role: this.role, epoch: this.epoch, ...(this.leader !== undefined ? { leader: this.leader } : {}), acting: this.isActing(Math.max(now, this.now)), members: [...this.members] }
  }

  /** The supernode set (this node included, or it has left). A leader that left the set causes an election. */
  setMembers (ids: readonly bigint[], now: number): Output {
    this.now = now
    this.members = [...new Set(ids)].sort((a, b) => a < b ? -1 : a > b ? 1 : 0)
    for (const id of this.acks.keys()) if (!this.members.includes(id)) this.acks.delete(id)
    const out: Output = { send: [] }
    if (!this.members.includes(this.cfg.self)) {
      this.role = 'follower'
      this.leader = undefined
      return out
    }
    if (this.started && this.leader !== undefined && !this.members.includes(this.leader)) this.startElection(out)
    return out
  }

  /** Follow `leader` of `epoch` (a supernode joining a group): no election unless its heartbeats stop. */
  follow (leader: bigint, epoch: number, now: number): Output {
    this.now = now
    this.started = true
    this.epoch = Math.max(this.epoch, epoch)
    this.leader = leader
    this.role = leader === this.cfg.self ? 'candidate' : 'follower'
    this.lastHeartbeat = now
    const out: Output = { send: [] }
    if (leader === this.cfg.self) this.startElection(out) // we cannot resume leading without an election
    return out
  }

  tick (now: number): Output {
    this.now = now
    const out: Output = { send: [] }
    if (!this.members.includes(this.cfg.self)) return out
    if (!this.started) {
      this.started = true
      this.startElection(out)
      return out
    }
    if (this.role === 'leader') {
      if (now - this.lastHeartbeatSent >= this.cfg.heartbeatIntervalMs) this.heartbeat(out)
    } else if (this.role === 'follower') {
      if (now - this.lastHeartbeat > this.cfg.leaderTimeoutMs) this.startElection(out)
    } else if (now - this.electionStartedAt > this.cfg.electionTimeoutMs) {
      this.startElection(out)
    }
    return out
  }

  step (from: bigint, message: ElectionMessage, now: number): Output {
    this.now = now
    const out: Output = { send: [] }
    const problem = this.check(from, message)
    if (problem !== undefined) return { send: [], rejected: problem }
    this.suspected.delete(from)
    this.started = true // a node that has heard from the group does not start an election of its own on its first tick
    if (message.epoch < this.epoch) return { send: [], rejected: `${message.type} of epoch ${message.epoch}, ours is ${this.epoch}` }
    switch (message.type) {
      case 'ELECTION': return this.onElection(message, out)
      case 'ELECTED': return this.onElected(message, out)
      case 'HEARTBEAT': return this.onHeartbeat(message, out)
      case 'HEARTBEAT_ACK': return this.onAck(from, message, out)
    }
  }

  /** Delivering `message` to `to` failed: suspect `to` and pass the message on to the next live node. */
  sendFailed (to: bigint, message: ElectionMessage, now: number): Output {
    this.now = now
    const out: Output = { send: [] }
    this.suspected.set(to, now + 3 * this.cfg.leaderTimeoutMs)
    if (message.epoch !== this.epoch) return out
    if (message.type === 'ELECTION') {
      if (message.id === to) this.startElection(out) // the candidate itself is gone: this election cannot finish
      else this.forward(message, out)
    } else if (message.type === 'ELECTED' && message.id !== to) {
      this.forward(message, out)
    }
    return out
  }

  // ---- handlers --------------------------------------------------------------------------------------------------

  private onElection (m: ElectionMessage & { type: 'ELECTION' }, out: Output): Output {
    if (m.epoch > this.epoch) this.enterEpoch(m.epoch)
    const self = this.cfg.self
    if (m.id === self) {
      if (this.role !== 'leader') this.win(out)
    } else if (m.id > self) {
      this.participating = true
      this.forward(m, out)
    } else if (!this.participating) {
      this.participating = true
      this.forward({ type: 'ELECTION', id: self, epoch: this.epoch }, out)
    }
    return out
  }

  private onElected (m: ElectionMessage & { type: 'ELECTED' }, out: Output): Output {
    if (m.id === this.cfg.self) return out // the announcement came round: done
    if (m.epoch === this.epoch && this.leader !== undefined && m.id < this.leader) return { send: [], rejected: `ELECTED ${m.id} while ${this.leader} leads epoch ${m.epoch}` }
    if (m.epoch > this.epoch) this.enterEpoch(m.epoch)
    this.followLeader(m.id)
    this.forward(m, out)
    return out
  }

  private onHeartbeat (m: ElectionMessage & { type: 'HEARTBEAT' }, out: Output): Output {
    if (m.epoch === this.epoch && this.leader !== undefined && this.leader !== m.id) {
      // Two leaders of one epoch (elected on both sides of a partition): the higher id wins.
      if (m.id < this.leader) return { send: [], rejected: `a heartbeat of ${m.id} while ${this.leader} leads epoch ${m.epoch}` }
    }
    if (m.epoch > this.epoch) this.enterEpoch(m.epoch)
    this.followLeader(m.id)
    const promised = this.promised
    if (promised === undefined || promised.to === m.id || promised.until <= this.now) {
      this.promised = { to: m.id, until: this.now + this.cfg.promiseMs }
      out.send.push({ to: m.id, message: { type: 'HEARTBEAT_ACK', id: m.id, epoch: m.epoch, sent: m.sent } })
    }
    return out
  }

  private onAck (from: bigint, m: ElectionMessage & { type: 'HEARTBEAT_ACK' }, out: Output): Output {
    if (this.role !== 'leader' || m.id !== this.cfg.self || m.epoch !== this.epoch) return { send: [], rejected: `an ack for ${m.id} of epoch ${m.epoch}, not for us` }
    if (m.sent > this.now) return { send: [], rejected: 'an ack for a heartbeat not sent yet' }
    this.acks.set(from, Math.max(this.acks.get(from) ?? -Infinity, m.sent))
    return out
  }

  // ---- transitions -----------------------------------------------------------------------------------------------

  private startElection (out: Output): void {
    this.enterEpoch(this.epoch + 1)
    this.participating = true
    this.forward({ type: 'ELECTION', id: this.cfg.self, epoch: this.epoch }, out)
  }

  /** Join epoch `epoch` as a candidate; the leader of the old epoch is forgotten. */
  private enterEpoch (epoch: number): void {
    this.epoch = epoch
    this.role = 'candidate'
    this.leader = undefined
    this.participating = false
    this.electionStartedAt = this.now
    this.acks.clear()
  }

  private win (out: Output): void {
    this.role = 'leader'
    this.leader = this.cfg.self
    this.acks.clear()
    this.forward({ type: 'ELECTED', id: this.cfg.self, epoch: this.epoch }, out)
    this.heartbeat(out)
  }

  private followLeader (id: bigint): void {
    if (this.role === 'leader' && id !== this.cfg.self) this.acks.clear()
    this.role = 'follower'
    this.leader = id
    this.participating = false
    this.lastHeartbeat = this.now
  }

  private heartbeat (out: Output): void {
    this.lastHeartbeatSent = this.now
    for (const id of this.members) {
      if (id !== this.cfg.self) out.send.push({ to: id, message: { type: 'HEARTBEAT', id: this.cfg.self, epoch: this.epoch, sent: this.now } })
    }
  }

  /** Send `m` to the next live node after this one; with none left, an ELECTION for us is won at once. */
  private forward (m: ElectionMessage, out: Output): void {
    const next = this.nextLive()
    if (next !== undefined) {
      out.send.push({ to: next, message: m })
    } else if (m.type === 'ELECTION' && m.id === this.cfg.self && this.role !== 'leader') {
      this.win(out)
    }
  }

  private nextLive (): bigint | undefined {
    const self = this.cfg.self
    const n = this.members.length
    const start = this.members.findIndex(id => id > self)
    for (let i = 0; i < n; i++) {
      const id = this.members[((start < 0 ? 0 : start) + i) % n]
      if (id === self) continue
      const until = this.suspected.get(id)
      if (until !== undefined && until > this.now) continue
      return id
    }
    return undefined
  }

  private isActing (now: number): boolean {
    if (this.role !== 'leader' || !this.members.includes(this.cfg.self)) return false
    // Our own vote counts only once no promise to another leader binds us (we may have acked one just before
    // joining the election we won).
    const p = this.promised
    let votes = p === undefined || p.to === this.cfg.self || p.until <= now ? 1 : 0
    for (const [id, sent] of this.acks) if (this.members.includes(id) && now - sent < this.cfg.leaseMs) votes++
    return votes * 2 > this.members.length
  }

  private check (from: bigint, m: ElectionMessage): string | undefined {
    if (typeof m !== 'object' || m === null) return 'not a message'
    if (!this.members.includes(from)) return `${m.type} from ${from}, not a known supernode`
    if (!Number.isSafeInteger(m.epoch) || m.epoch < 0) return `bad epoch ${String(m.epoch)}`
    if (typeof m.id !== 'bigint') return 'bad id'
    switch (m.type) {
      case 'ELECTION':
      case 'ELECTED':
        if (!this.members.includes(m.id)) return `${m.type} names ${m.id}, not a known supernode`
        return undefined
      case 'HEARTBEAT':
        if (m.id !== from) return 'a heartbeat on behalf of another node'
        if (!Number.isFinite(m.sent)) return 'bad send time'
        return undefined
      case 'HEARTBEAT_ACK':
        if (!Number.isFinite(m.sent)) return 'bad send time'
        return undefined
      default:
        return `unknown type ${String((m as { type: unknown }).type)}`
    }
  }
}
