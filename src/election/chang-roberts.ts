// Chang-Roberts leader election among the supernodes, as a pure state machine: no libp2p, no
// clock, no timers, no randomness. The caller passes time in with every call, sends what `send` lists, reports
// failed deliveries back (`sendFailed`), and calls `tick` when `nextTick()` is due (or every few tens of ms).
//
// ## The election (Chang & Roberts 1979, with epochs and dead-hop skipping)
// The election ring is the supernodes ordered by id (`arrange` may order it otherwise, for tests of the
// algorithm's general bounds); a node's next hop is the next node on the ring that it does not suspect.
// - A node calls an election on its first tick (unless it has already heard from the group), when its leader's
//   heartbeats stop for `leaderTimeoutMs`, when its leader leaves the set, and when an election it takes part in
//   has not finished after `electionTimeoutMs`. It takes epoch e = the highest epoch it has seen + 1 and sends
//   ELECTION(self, e) to its next.
// - ELECTION(id, e): a node of an older epoch joins epoch e first. id > own → forward; id < own → send
//   ELECTION(own, e) instead, once per epoch, and swallow smaller ids after that; id = own → it has won, sends
//   ELECTED(own, e) to its next and starts heartbeats. A node that already knows the winner of epoch e rejects
//   ELECTIONs of epoch e (late copies; a restarted node that reused a finished epoch: see "returning nodes").
// - ELECTED(id, e) makes the receiver follow id in epoch e and forward it; it stops at id. Of two winners of one
//   epoch (one on each side of a partition) the higher id wins.
// - A message of an older epoch is rejected, so a deposed leader that comes back follows the newer one.
// - Dead hops: a failed send suspects the receiver for 3 × `leaderTimeoutMs` (or until heard from) and re-sends
//   to the next live node. An ELECTION whose candidate itself is unreachable cannot finish: a new one starts.
// Cost, by the classical analysis: one initiator, n to 2n − 1 ELECTION messages (n when the largest id starts,
// 2n − 1 when the node after it on the ring does); all initiating at once, 2n − 1 to n(n + 1)/2 (ids in decreasing ring
// order). On the id-ordered ring every id but the largest stops at the next node, so an election never costs
// more than 2n − 1 ELECTIONs, whoever starts it. ELECTED always costs n.
//
// ## Returning nodes follow
// Chang-Roberts elects the largest id among the nodes on the ring at election time. A node that comes back
// later — a restarted process with or without its stored epoch, or a deposed leader reconnected after a
// partition — does NOT take over: its epoch is at most the current one, so its messages are rejected (an
// ELECTION of an older epoch, or of the current epoch whose winner is known) until the leader's next heartbeat,
// which it follows. Only a node that raised its epoch past the group's while cut off (it ran elections alone)
// imposes that epoch when it returns, since the highest epoch always wins: the group follows it if it had won
// alone, or joins its next election, which elects the largest live id.
//
// ## Leases: two leaders never act at once
// The leader sends HEARTBEAT(sent) every `heartbeatIntervalMs` to every supernode; `sent` is its own clock at
// sending (whole ms, rounded down). A follower answers HEARTBEAT_ACK(sent), echoing it, and by answering
// promises to ack no other leader, of any epoch, for `promiseMs` after it sent the ack. The leader is `acting`
// while it plus the followers whose latest ack echoes a `sent` with now < sent + `leaseMs` (its own clock)
// form a strict majority of the known supernodes. Why two leaders L ≠ L' never act at the same instant T:
// both majorities contain some node F (itself counted by a leader only while bound to no other: below). L
// counts F at T only for an ack F sent at t_F ≥ sent, and only while T < sent + leaseMs ≤ t_F + leaseMs <
// t_F + promiseMs; so F's promise to L is in force at T, and F acks L' only outside its promises to L: any ack
// of L' was sent at t' ≥ t_F + promiseMs > T (after) or at t' with t' + promiseMs ≤ t_F (before, and then L'
// counts it only until t' + leaseMs < T). Either way L' cannot count F at T. A leader counts its own vote only
// while no promise to another leader binds it, and it stops leading the moment it acks another. A restarted
// process cannot know what it promised in its previous life, so it neither acks nor counts itself for
// `bootQuietMs` (default `promiseMs`) after its first input. Every node compares only its own clock readings
// (no offsets between machines are assumed, and on one machine there are none); if the clocks of L and F ran
// at rates differing by a factor r, safety would need leaseMs × r < promiseMs: the defaults (600 < 800 ms)
// leave a 200 ms margin, enough for r up to 1.33, far beyond any real drift.
//
// ## Default timers and the failover budget (leader SIGKILLed → a new acting leader, target < 3 s)
// Let the leader die at K. Its last heartbeat was sent at s ∈ (K − 200, K] and reached a follower at h = s + d
// (d: one-way delay, ≈ 1 ms on loopback); the follower acked at h.
//   - Followers call the election at h + leaderTimeoutMs ≤ K + 1 000 + d (plus the service's tick, 50 ms).
//   - The ELECTION goes round once to the largest live id and that id once more: ≤ 2n hops of d, plus one
//     refused connection (≈ 1 ms) where the dead leader is skipped (an unreachable host costs the 500 ms rpc
//     timeout instead); ELECTED follows.
//   - The winner heartbeats at once. Its followers' promises to the dead leader ended at h + promiseMs =
//     h + 800 < h + 1 000, before the election started, so they ack at once: acting after one round trip.
//   Total: from 800 ms (the leader died just before a heartbeat) to ≈ 1 000 + 50 + (2n + 3)·d ≈ 1.1 s for
//   n = 9 (≈ 1.6 s if the dead host is unreachable rather than refusing), under 3 s (BENCHMARKS.md has the
//   measured failover). Meanwhile the old leader's lease ended at s + 600 ≤ K + 600. The relations the
//   defaults keep: heartbeatIntervalMs < leaseMs (a lease outlives a lost heartbeat: 600 > 2 × 200 + RTT),
//   leaseMs < promiseMs (safety), promiseMs < leaderTimeoutMs (promises never delay a failover), and
//   electionTimeoutMs long enough for a trip round the ring that meets unreachable hops (500 ms each).

/**
 * The furthest a message's epoch may be ahead of ours. An election raises the epoch by one, and a node cut off
 * from its group calls at most one election per electionTimeoutMs: 2^20 epochs are over a month of elections
 * every 3 s, far more than any real partition, while an epoch near 2^64 (which would wrap and break every
 * comparison after it) is refused.
 */
export const MAX_EPOCH_JUMP = 2 ** 20

/** Default timers (ms); see the failover arithmetic above. */
export const DEFAULT_ELECTION_CONFIG: Readonly<Omit<ElectionConfig, 'self'>> = Object.freeze({
  heartbeatIntervalMs: 200,
  leaderTimeoutMs: 1_000,
  electionTimeoutMs: 3_000,
  leaseMs: 600,
  promiseMs: 800
})

export interface ElectionConfig {
  /** This supernode's id. */
  self: bigint
  /** The leader heartbeats every supernode this often. Default 200. */
  heartbeatIntervalMs: number
  /** A follower calls an election after this long without a heartbeat from its leader. A hop whose delivery
   *  failed stays suspected (skipped) for three times this long, or until it is heard from. Default 1 000. */
  leaderTimeoutMs: number
  /** An election not finished after this long starts again, one epoch later. It must outlast a trip round the
   *  ring that meets unreachable hops (each costs an rpc timeout). Default 3 000. */
  electionTimeoutMs: number
  /** The leader counts an ack for this long after the send time it echoes. Must exceed heartbeatIntervalMs
   *  and be less than promiseMs. Default 600. */
  leaseMs: number
  /** A follower acks no other leader for this long after an ack. Default 800. */
  promiseMs: number
  /** Epochs up to this one are taken (a restarted cluster resumes after its stored epoch). Default 0. */
  startEpoch?: number
  /** After its first input the node neither acks a leader nor counts its own vote for this long: it cannot
   *  know what it promised before a restart. 0 is safe only for a process that has never run. Default
   *  promiseMs. */
  bootQuietMs?: number
  /** The election ring: the supernodes in ring order. Default: ascending ids (protocols/README.md §14.2). Tests use other
   *  orders to check Chang-Roberts' general message bounds. Must return a permutation of its input. */
  arrange?: (ids: readonly bigint[]) => readonly bigint[]
}

export const MESSAGE_TYPES = ['ELECTION', 'ELECTED', 'HEARTBEAT', 'HEARTBEAT_ACK'] as const
export type ElectionMessageType = typeof MESSAGE_TYPES[number]

export type ElectionMessage =
  /** A candidate travelling round the ring. */
  | { type: 'ELECTION', id: bigint, epoch: number }
  /** The winner, circulated once round the ring. */
  | { type: 'ELECTED', id: bigint, epoch: number }
  /** From the leader `id` of `epoch`; `sent` is its clock at sending (whole ms). */
  | { type: 'HEARTBEAT', id: bigint, epoch: number, sent: number }
  /** To the leader `id` of `epoch`, echoing its heartbeat's `sent`: the sender promises itself to `id`. */
  | { type: 'HEARTBEAT_ACK', id: bigint, epoch: number, sent: number }

export interface Send { to: bigint, message: ElectionMessage }

export type ElectionEvent =
  /** The leader this node follows (or is), or the epoch, changed. */
  | { type: 'leader:change', leader?: bigint, epoch: number }
  /** This node started or stopped acting as the leader (a lease gained or lost). */
  | { type: 'acting:change', acting: boolean, epoch: number }
  /** This node called an election. */
  | { type: 'election:start', epoch: number }

export interface Output {
  send: Send[]
  /** Why the input was ignored, when it was (unknown sender, stale epoch, malformed). State is then unchanged. */
  rejected?: string
  /** What this input changed, in order. */
  events: ElectionEvent[]
}

export type Role = 'leader' | 'follower' | 'candidate'

export interface ElectionState {
  role: Role
  epoch: number
  /** The leader of `epoch` as far as this node knows (itself when it leads). */
  leader?: bigint
  /** This node leads and holds a majority lease, at the time asked. */
  acting: boolean
  /** The known supernodes, ascending. */
  members: bigint[]
  /** It has sent its own id (or passed on a larger one) in the election of `epoch`. */
  participating: boolean
  /** Hops skipped because a delivery to them failed, ascending. */
  suspected: bigint[]
  /** It acks no leader but `to` (none: nobody, after a restart) until `until`. */
  promise?: { to?: bigint, until: number }
}

export interface ElectionCounts {
  /** Messages this node asked to send, re-sends after a failure included. */
  sent: Record<ElectionMessageType, number>
  /** Messages given to `step`, rejected ones included. */
  received: Record<ElectionMessageType, number>
  rejected: number
  /** Elections this node called. */
  elections: number
}

const zero = (): Record<ElectionMessageType, number> => ({ ELECTION: 0, ELECTED: 0, HEARTBEAT: 0, HEARTBEAT_ACK: 0 })
const ascending = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0)

export class ChangRoberts {
  private readonly cfg: ElectionConfig
  private readonly self: bigint
  private members: bigint[] = []
  private ring: bigint[] = []
  private role: Role = 'candidate'
  private epoch: number
  private leader?: bigint
  /** The first input has been seen (the boot quiet period runs from it). */
  private booted = false
  /** The first tick has happened, or the node has heard from the group: it calls no election of its own. */
  private started = false
  private participating = false
  private electionStartedAt = 0
  /** Follower: when the leader was last heard from. */
  private lastHeartbeat = 0
  /** Extra patience before calling an election, set by the driver from the delays it measures (`setSlack`). */
  private slack = 0
  /** Leader: when it last heartbeated, and the send times of this term's heartbeats that may still be acked. */
  private lastHeartbeatSent = -Infinity
  private beats: number[] = []
  private readonly acks = new Map<bigint, number>()
  private promise: { to?: bigint, until: number } = { until: -Infinity }
  private readonly suspected = new Map<bigint, number>()
  private now = -Infinity
  private reported: { leader?: bigint, epoch: number, acting: boolean }
  private readonly stats: ElectionCounts = { sent: zero(), received: zero(), rejected: 0, elections: 0 }

  constructor (config: ElectionConfig) {
    const { heartbeatIntervalMs: hb, leaderTimeoutMs, electionTimeoutMs, leaseMs, promiseMs } = config
    for (const [name, v] of Object.entries({ heartbeatIntervalMs: hb, leaderTimeoutMs, electionTimeoutMs, leaseMs, promiseMs })) {
      if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be a positive number, got ${v}`)
    }
    const quiet = config.bootQuietMs ?? promiseMs
    if (!(Number.isFinite(quiet) && quiet >= 0)) throw new RangeError(`bootQuietMs must be a number ≥ 0, got ${quiet}`)
    if (!(leaseMs < promiseMs)) throw new RangeError('leaseMs must be less than promiseMs')
    if (!(hb < leaseMs)) throw new RangeError('heartbeatIntervalMs must be less than leaseMs')
    if (!(hb < leaderTimeoutMs)) throw new RangeError('heartbeatIntervalMs must be less than leaderTimeoutMs')
    if (typeof config.self !== 'bigint') throw new TypeError('self must be a bigint')
    const startEpoch = config.startEpoch ?? 0
    if (!Number.isSafeInteger(startEpoch) || startEpoch < 0) throw new RangeError(`bad startEpoch ${startEpoch}`)
    this.cfg = config
    this.self = config.self
    this.epoch = startEpoch
    this.reported = { epoch: startEpoch, acting: false }
    this.setRing([config.self])
  }

  // ---- queries -------------------------------------------------------------------------------------------------

  /** The state as of the last input; `acting` as of `now` when given (a lease may have run out since). */
  state (now = this.now): ElectionState {
    const at = Math.max(now, this.now)
    return {
      role: this.role,
      epoch: this.epoch,
      ...(this.leader !== undefined ? { leader: this.leader } : {}),
      acting: this.acting(at),
      members: [...this.members],
      participating: this.participating,
      suspected: [...this.suspected].filter(([, until]) => until > at).map(([id]) => id).sort(ascending),
      ...(this.promise.until > at ? { promise: { ...this.promise } } : {})
    }
  }

  /** Does this node act as the leader at `now`: it leads and it plus the fresh acks form a majority. */
  acting (now = this.now): boolean {
    if (this.role !== 'leader' || !this.isMember()) return false
    now = Math.max(now, this.now)
    let votes = this.promise.to === this.self || this.promise.until <= now ? 1 : 0
    for (const sent of this.acks.values()) if (sent + this.cfg.leaseMs > now) votes++
    return votes * 2 > this.members.length
  }

  /**
   * The earliest time at which `tick` has something to do: a heartbeat, a timeout, or a change of `acting`
   * (a lease running out, a boot quiet period ending). Infinity when nothing is due. A service may set one
   * timer for it instead of ticking periodically.
   */
  nextTick (): number {
    if (!this.isMember()) return Infinity
    if (!this.started) return this.now
    if (this.role === 'follower') return this.lastHeartbeat + this.cfg.leaderTimeoutMs + this.slack
    if (this.role === 'candidate') return this.electionStartedAt + this.cfg.electionTimeoutMs + this.slack
    let next = this.lastHeartbeatSent + this.cfg.heartbeatIntervalMs
    if (this.promise.until > this.now) next = Math.min(next, this.promise.until)
    for (const sent of this.acks.values()) if (sent + this.cfg.leaseMs > this.now) next = Math.min(next, sent + this.cfg.leaseMs)
    return next
  }

  counts (): ElectionCounts {
    return {
      sent: { ...this.stats.sent },
      received: { ...this.stats.received },
      rejected: this.stats.rejected,
      elections: this.stats.elections
    }
  }

  // ---- inputs --------------------------------------------------------------------------------------------------

  /** The supernode set (this node included, or it has left). A leader that left the set causes an election. */
  setMembers (ids: readonly bigint[], now: number): Output {
    if (!ids.every(id => typeof id === 'bigint')) throw new TypeError('supernode ids must be bigints')
    const out = this.begin(now)
    this.setRing(ids)
    for (const id of [...this.acks.keys()]) if (!this.members.includes(id)) this.acks.delete(id)
    for (const id of [...this.suspected.keys()]) if (!this.members.includes(id)) this.suspected.delete(id)
    if (!this.isMember()) {
      this.role = 'follower'
      this.leader = undefined
      this.participating = false
    } else if (this.started && this.leader !== undefined && !this.members.includes(this.leader)) {
      this.startElection(out)
    }
    return this.finish(out)
  }

  /** Follow `leader` of `epoch` (a supernode joining a group): no election unless its heartbeats stop. */
  follow (leader: bigint, epoch: number, now: number): Output {
    const out = this.begin(now)
    if (!Number.isSafeInteger(epoch) || epoch < this.epoch) return this.reject(`cannot follow epoch ${epoch}, ours is ${this.epoch}`)
    if (!this.members.includes(leader)) return this.reject(`cannot follow ${leader}, not a known supernode`)
    this.started = true
    if (epoch > this.epoch) this.enterEpoch(epoch)
    if (leader === this.self) this.startElection(out) // we cannot resume leading without an election
    else this.followLeader(leader)
    return this.finish(out)
  }

  tick (now: number): Output {
    const out = this.begin(now)
    if (!this.isMember()) return this.finish(out)
    if (!this.started) {
      this.started = true
      this.startElection(out)
    } else if (this.role === 'leader') {
      if (this.now >= this.lastHeartbeatSent + this.cfg.heartbeatIntervalMs) this.heartbeat(out)
    } else if (this.role === 'follower') {
      if (this.now >= this.lastHeartbeat + this.cfg.leaderTimeoutMs + this.slack) this.startElection(out)
    } else if (this.now >= this.electionStartedAt + this.cfg.electionTimeoutMs + this.slack) {
      this.startElection(out)
    }
    return this.finish(out)
  }

  /**
   * Wait `ms` longer than leaderTimeoutMs (a follower) or electionTimeoutMs (a candidate) before calling an
   * election: the driver's measure of how late this machine runs (a starved event loop, heartbeats arriving
   * late). Only when an election starts depends on it, never a lease or a promise, so any value is safe.
   */
  setSlack (ms: number): void {
    this.slack = Number.isFinite(ms) && ms > 0 ? ms : 0
  }

  step (from: bigint, message: ElectionMessage, now: number): Output {
    const out = this.begin(now)
    const type = (message as { type?: unknown } | null)?.type
    if (typeof type === 'string' && (MESSAGE_TYPES as readonly string[]).includes(type)) this.stats.received[type as ElectionMessageType]++
    const problem = this.check(from, message) ??
      (message.epoch < this.epoch ? `${message.type} of epoch ${message.epoch}, ours is ${this.epoch}` : undefined) ??
      (message.epoch > this.epoch + MAX_EPOCH_JUMP
        ? `${message.type} of epoch ${message.epoch}, beyond what elections can reach from ${this.epoch}`
        : undefined) ??
      this.refuse(from, message)
    if (problem !== undefined) return this.reject(problem)
    this.suspected.delete(from)
    this.started = true // a node that has heard from the group does not call an election on its first tick
    switch (message.type) {
      case 'ELECTION': this.onElection(message, out); break
      case 'ELECTED': this.onElected(message, out); break
      case 'HEARTBEAT': this.onHeartbeat(message, out); break
      case 'HEARTBEAT_ACK': this.acks.set(from, Math.max(this.acks.get(from) ?? -Infinity, message.sent)); break
    }
    return this.finish(out)
  }

  /** Delivering `message` to `to` failed: suspect `to` and pass the message on to the next live node. */
  sendFailed (to: bigint, message: ElectionMessage, now: number): Output {
    const out = this.begin(now)
    if (!this.members.includes(to) || to === this.self) return this.finish(out)
    this.suspected.set(to, this.now + 3 * this.cfg.leaderTimeoutMs)
    if (message.epoch !== this.epoch) return this.finish(out)
    if (message.type === 'ELECTION' && this.leader === undefined) {
      if (message.id === to) this.startElection(out) // the candidate is gone: its election cannot finish
      else this.forward(message, out)
    } else if (message.type === 'ELECTED' && message.id !== to && this.leader === message.id) {
      this.forward(message, out)
    }
    return this.finish(out)
  }

  // ---- handlers (called only for valid messages of our epoch or a later one) ------------------------------------

  private onElection (m: Extract<ElectionMessage, { type: 'ELECTION' }>, out: Output): void {
    if (m.epoch > this.epoch) this.enterEpoch(m.epoch)
    if (m.id === this.self) {
      this.win(out)
    } else if (m.id > this.self) {
      this.participating = true
      this.forward(m, out)
    } else if (!this.participating) {
      this.participating = true
      this.forward({ type: 'ELECTION', id: this.self, epoch: this.epoch }, out)
    } // else: a smaller id after ours went out is swallowed
  }

  private onElected (m: Extract<ElectionMessage, { type: 'ELECTED' }>, out: Output): void {
    if (m.id === this.self) return // our announcement came round: it stops here
    if (m.epoch > this.epoch) this.enterEpoch(m.epoch)
    this.followLeader(m.id)
    this.forward(m, out)
  }

  private onHeartbeat (m: Extract<ElectionMessage, { type: 'HEARTBEAT' }>, out: Output): void {
    if (m.epoch > this.epoch) this.enterEpoch(m.epoch)
    this.followLeader(m.id)
    if (this.promise.to === m.id || this.promise.until <= this.now) {
      this.promise = { to: m.id, until: this.now + this.cfg.promiseMs }
      this.emit(m.id, { type: 'HEARTBEAT_ACK', id: m.id, epoch: m.epoch, sent: m.sent }, out)
    }
  }

  /** Why a valid message of our epoch or a later one is still refused, before anything changes; or undefined. */
  private refuse (from: bigint, m: ElectionMessage): string | undefined {
    const sameEpoch = m.epoch === this.epoch
    const outranked = sameEpoch && this.leader !== undefined && m.id < this.leader
    const notForUs = this.role !== 'leader' || m.id !== this.self || !sameEpoch
    switch (m.type) {
      case 'ELECTION':
        if (sameEpoch && this.leader !== undefined) return `ELECTION of epoch ${m.epoch}, which ${this.leader} has won`
        return undefined
      case 'ELECTED':
        if (m.id === this.self) return this.role === 'leader' && sameEpoch
          ? undefined
          : `ELECTED names us for epoch ${m.epoch}, which we do not lead`
        if (outranked) return `ELECTED ${m.id} while ${this.leader} leads epoch ${m.epoch}`
        return undefined
      case 'HEARTBEAT':
        // Two leaders of one epoch (elected on both sides of a partition): the higher id wins.
        if (outranked) return `a heartbeat of ${m.id} while ${this.leader} leads epoch ${m.epoch}`
        return undefined
      case 'HEARTBEAT_ACK':
        if (notForUs) return `an ack from ${from} for ${m.id} of epoch ${m.epoch}, not for us`
        if (!this.beats.includes(m.sent)) return `an ack from ${from} for a heartbeat we did not send lately (${m.sent})`
        return undefined
    }
  }

  // ---- transitions -----------------------------------------------------------------------------------------------

  private startElection (out: Output): void {
    this.enterEpoch(this.epoch + 1)
    this.participating = true
    this.stats.elections++
    out.events.push({ type: 'election:start', epoch: this.epoch })
    this.forward({ type: 'ELECTION', id: this.self, epoch: this.epoch }, out)
  }

  /** Join epoch `epoch` as a candidate; the leader of the old epoch is forgotten. */
  private enterEpoch (epoch: number): void {
    this.epoch = epoch
    this.role = 'candidate'
    this.leader = undefined
    this.participating = false
    this.electionStartedAt = this.now
    this.acks.clear()
    this.beats = []
  }

  private win (out: Output): void {
    this.role = 'leader'
    this.leader = this.self
    this.participating = false
    this.acks.clear()
    this.beats = []
    this.forward({ type: 'ELECTED', id: this.self, epoch: this.epoch }, out)
    this.heartbeat(out)
  }

  private followLeader (id: bigint): void {
    if (this.role === 'leader') {
      this.acks.clear()
      this.beats = []
    }
    this.role = 'follower'
    this.leader = id
    this.participating = false
    this.lastHeartbeat = this.now
  }

  private heartbeat (out: Output): void {
    this.lastHeartbeatSent = this.now
    const sent = Math.max(0, Math.floor(this.now))
    this.beats = this.beats.filter(t => t + this.cfg.leaseMs > this.now)
    if (!this.beats.includes(sent)) this.beats.push(sent)
    for (const id of this.members) if (id !== this.self) this.emit(id, { type: 'HEARTBEAT', id: this.self, epoch: this.epoch, sent }, out)
  }

  /** Send `m` to the next live node on the ring; with none left, an ELECTION for us is won at once. */
  private forward (m: ElectionMessage, out: Output): void {
    const next = this.nextLive()
    if (next !== undefined) this.emit(next, m, out)
    else if (m.type === 'ELECTION' && m.id === this.self && this.role !== 'leader') this.win(out)
  }

  private nextLive (): bigint | undefined {
    const n = this.ring.length
    const at = this.ring.indexOf(this.self)
    if (at < 0) return undefined
    for (let i = 1; i < n; i++) {
      const id = this.ring[(at + i) % n]
      const until = this.suspected.get(id)
      if (until === undefined || until <= this.now) return id
    }
    return undefined
  }

  private emit (to: bigint, message: ElectionMessage, out: Output): void {
    this.stats.sent[message.type]++
    out.send.push({ to, message })
  }

  // ---- bookkeeping -----------------------------------------------------------------------------------------------

  private begin (now: number): Output {
    if (typeof now !== 'number' || Number.isNaN(now)) throw new RangeError(`bad time ${String(now)}`)
    this.now = Math.max(this.now, now) // time never goes back
    if (!this.booted) {
      this.booted = true
      this.promise = { until: this.now + (this.cfg.bootQuietMs ?? this.cfg.promiseMs) }
    }
    return { send: [], events: [] }
  }

  /** Report what changed; every input ends here (or in `reject`). */
  private finish (out: Output): Output {
    const acting = this.acting(this.now)
    const r = this.reported
    if (r.leader !== this.leader || r.epoch !== this.epoch) out.events.push({
      type: 'leader:change', ...(this.leader !== undefined ? { leader: this.leader } : {}), epoch: this.epoch
    })
    if (r.acting !== acting) out.events.push({ type: 'acting:change', acting, epoch: this.epoch })
    this.reported = { ...(this.leader !== undefined ? { leader: this.leader } : {}), epoch: this.epoch, acting }
    return out
  }

  private reject (reason: string): Output {
    this.stats.rejected++
    return { send: [], rejected: reason, events: [] }
  }

  private isMember (): boolean {
    return this.members.includes(this.self)
  }

  private setRing (ids: readonly bigint[]): void {
    this.members = [...new Set(ids)].sort(ascending)
    if (this.cfg.arrange === undefined) {
      this.ring = this.members
      return
    }
    const ring = [...this.cfg.arrange(this.members)]
    if (ring.length !== this.members.length || new Set(ring).size !== ring.length || !ring.every(id => this.members.includes(id))) {
      throw new RangeError('arrange must return a permutation of the supernodes')
    }
    this.ring = ring
  }

  /** Structural checks: why `m` from `from` is malformed or not for us, or undefined. */
  private check (from: unknown, m: unknown): string | undefined {
    if (typeof m !== 'object' || m === null) return 'not a message'
    const { type, id, epoch } = m as Record<string, unknown>
    const sent = (m as Record<string, unknown>).sent
    if (typeof from !== 'bigint') return 'bad sender'
    if (!(MESSAGE_TYPES as readonly unknown[]).includes(type)) return `unknown type ${String(type)}`
    if (!this.isMember()) return `${String(type)} while we are not a supernode`
    if (from === this.self) return `${String(type)} from ourselves`
    if (!this.members.includes(from)) return `${String(type)} from ${from}, not a known supernode`
    if (typeof id !== 'bigint') return 'bad id'
    if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) return `bad epoch ${String(epoch)}`
    switch (type as ElectionMessageType) {
      case 'ELECTION':
        if (!this.members.includes(id)) return `ELECTION names ${id}, not a known supernode`
        if (id < from) return `ELECTION of ${id} from ${from}: a node sends only its own id or a larger one`
        return undefined
      case 'ELECTED':
        if (!this.members.includes(id)) return `ELECTED names ${id}, not a known supernode`
        return undefined
      case 'HEARTBEAT':
      case 'HEARTBEAT_ACK':
        if (type === 'HEARTBEAT' && id !== from) return 'a heartbeat on behalf of another node'
        if (typeof sent !== 'number' || !Number.isSafeInteger(sent) || sent < 0) return `bad send time ${String(sent)}`
        return undefined
    }
  }
}
