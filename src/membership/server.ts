// The supernode side of /chord-peer/membership/3.0.0: admission to and departure from the ring, coordinated by
// the leader of the supernodes, and the membership view the leader replicates (protocols/README.md §6).
// - A JOIN or LEAVE may go to any supernode. The one that receives it checks that `peer_id` is the connection's
//   authenticated peer, then forwards it to the leader (`forwarded`, which the leader accepts only from a known
//   supernode). With no acting leader (an election is running) the answer is RETRY_LATER with `retry_after_ms`,
//   and the joiner asks again.
// - The leader handles JOINs and LEAVEs one at a time. It admits a joiner with the ring settings, its successor
//   list (a lookup of its id; the joiner copies it before notifying anyone, Zave) and the supernodes, records it
//   in the view, raises the view's version, pushes the view to every supernode (PUSH_VIEW) and persists it.
// - The leader issues each member's certificate (src/trust/certs.ts) with its admission; any supernode renews
//   the certificate of a member of its view (RENEW), so certificates lapse once their node leaves the view.
// - A new supernode needs an invite a supernode minted (src/trust/invites.ts), and so does a peer when the ring's
//   admission is INVITE; the leader records used invites in the view. JOINs are rate-limited per remote IP at
//   the supernode that receives them (a peer that keeps joining over the rate is disconnected: ../trust/bans.ts),
//   the member count is capped at admission, and a member that has not entered the ring ENTER_DEADLINE_MS after
//   its admission leaves the view again.
// - A supernode accepts a pushed view only from the view's own leader, a supernode of its current view; only
//   when it is newer (`newerView`), its settings are the ring's, and its epoch is within MAX_EPOCH_JUMP.
//   GET_VIEW answers members only.
// - It follows the election through its events: when this node starts acting as the leader of a new epoch it
//   takes the view over, and a follower whose heartbeat ack shows an older view version is pushed the view.
//   The view is also how two rings find each other after a partition: the supernodes of both sides stay in it,
//   so a follower unifies its ring with each new leader it follows, and the leader with each supernode whose
//   acks resume after a silence (src/ring/node.ts `unify`).
// - Members found dead by this node's ring, or reported by a member (REPORT_DEAD), leave the view once this
//   node's own PING fails too.
import { logger } from '@libp2p/logger'
import { MembershipRequest, MembershipResponse, RingSettings } from '../../protocols/membership.js'
import { sameSettings } from '../config.js'
import { MAX_EPOCH_JUMP } from '../election/chang-roberts.js'
import { andMore, eventNode, Throttle, type NodeEvents } from '../events.js'
import { backoff, sleep, TaskSet, type Service, type StopOptions } from '../lifecycle.js'
import { byType, serveRpc } from '../net/rpc.js'
import { decodeAddrs, decodePeerId } from '../chord/wire.js'
import { issueCert, Role } from '../trust/certs.js'
import { checkInvite, mintInvite } from '../trust/invites.js'
import { TokenBuckets } from '../trust/rate.js'
import { LEAVE_NOTICE_MS, MEMBERSHIP_LIMITS, MEMBERSHIP_PROTOCOL, MembershipClient, Status } from './client.js'
import {
  MAX_MEMBERS, MAX_USED_INVITES, newerView, viewFromWire, viewToJson, viewToWire, withAuthorised, withNode, withoutNode,
  type View, type ViewStore
} from './view.js'
import type { Ring } from '../chord/ring.js'
import type { ElectionService } from '../election/service.js'
import type { NodeRef } from '../ring/index.js'
import type { Bans } from '../trust/bans.js'
import type { Connection, Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import type { Logger } from '@libp2p/logger'
import type { Multiaddr } from '@multiformats/multiaddr'

/** What a supernode without an acting leader tells a joiner to wait before it asks again. */
export const RETRY_AFTER_MS = 300
/** How often a supernode tries to get a dead member out of the view before it leaves it to the next report. */
const REPORT_ATTEMPTS = 8
/** Waits between those tries: 300 ms doubling to 4.8 s. */
const REPORT_BACKOFF = { minMs: RETRY_AFTER_MS, maxMs: 16 * RETRY_AFTER_MS }
/** How long one chord PING may take to prove a reported node alive. */
const CONFIRM_DEAD_MS = 1_000
/** A member admitted this long ago that does not answer a chord PING has not entered the ring: it leaves the view. */
export const ENTER_DEADLINE_MS = 20_000
/** JOINs a supernode takes from one IP address: a burst, then so many a second. */
export const DEFAULT_JOIN_RATE = { burst: 64, perSecond: 2 }
/** A supernode silent this long before its heartbeat ack was cut off: the leader checks that they share a ring. */
const SILENCE_MS = 3_000
/** A refused joiner is told of in the node's events at most this often per reason (a joiner may keep trying). */
export const REFUSED_REPORT_MS = 60_000

export interface MembershipServerInit {
  host: Libp2p
  ring: Ring
  /** This node's key: it signs certificates and invites. */
  key: PrivateKey
  /** The view to start from: this node alone for a new ring, or the view received when it joined. */
  view: View
  election: ElectionService
  /** Takes this node's own certificate (the members-only gate serves it). */
  setOwnCert: (cert: Uint8Array<ArrayBuffer>) => void
  /** Where the view is kept between runs (data dir, S3). */
  stores?: ViewStore[]
  /** JOINs taken per remote IP (default DEFAULT_JOIN_RATE). */
  joinRate?: { burst: number, perSecond: number }
  /** Told of every JOIN over that rate: it closes the connections of a peer that keeps sending them. */
  bans?: Pick<Bans, 'overJoinRate'>
  /** Most members admitted (default and largest MAX_MEMBERS). */
  maxMembers?: number
  /** How long an admitted member has to answer on the ring (default ENTER_DEADLINE_MS). */
  enterDeadlineMs?: number
  /** The clock certificates and invites are dated by (default Date.now). */
  now?: () => number
  /**
   * Where the leader tells of the members it admits (`member.joined`), removes (`member.left`) and refuses
   * (`member.refused`); src/events.ts. Default: nowhere.
   */
  events?: NodeEvents
  log?: Logger
}

/** Why a member leaves the view: its own notice, a supernode's request (its leave notice or a failure), a failure. */
type Departure = 'left' | 'forwarded' | 'failed'

type Reply = MembershipResponse

const reply = (status: MembershipResponse.Status, error = ''): Reply => ({
  status, error, successors: [], supernodes: [], retryAfterMs: 0, cert: new Uint8Array(0)
})
const ok = (): Reply => reply(Status.OK)
const retryLater = (error: string): Reply => ({ ...reply(Status.RETRY_LATER, error), retryAfterMs: RETRY_AFTER_MS })

/** The supernode side: serve JOIN, LEAVE, GET_VIEW, PUSH_VIEW and REPORT_DEAD; lead membership when elected. */
export class MembershipServer implements Service {
  private view: View
  private readonly log: Logger
  private readonly client: MembershipClient
  private readonly tasks: TaskSet
  /** Serialises the leader's changes to the view. */
  private queue: Promise<unknown> = Promise.resolve()
  private persisting: Promise<void> = Promise.resolve()
  private stopped = false
  /** The epoch this node last took the view over in. */
  private ledEpoch = -1
  /** Members whose death this node is confirming or reporting now. */
  private readonly reporting = new Set<string>()
  private readonly joins: TokenBuckets<'join'>
  private readonly now: () => number
  private renewTimer?: NodeJS.Timeout
  private readonly refusals: Throttle
  /** When each supernode last acknowledged this leader's heartbeat. */
  private readonly lastAck = new Map<string, number>()

  private readonly onActing = (e: CustomEvent<{ acting: boolean, epoch: number }>): void => {
    if (!e.detail.acting || e.detail.epoch === this.ledEpoch) return
    this.ledEpoch = e.detail.epoch
    this.tasks.run('taking over the view', async () => { await this.lead() })
  }

  private readonly onAck = (e: CustomEvent<{ from: NodeRef, viewVersion: number }>): void => {
    const { from, viewVersion } = e.detail
    if (this.init.election.acting() && viewVersion < this.view.version) void this.push(this.view, [from])
    // A supernode heard from again after a silence was cut off (a partition): its ring may be another one.
    const now = Date.now()
    const last = this.lastAck.get(from.address)
    this.lastAck.set(from.address, now)
    if (last === undefined || now - last > SILENCE_MS) this.init.ring.unify(from)
  }

  /** A new leader to follow (after an election, or a partition that healed): make sure we share its ring. */
  private readonly onLeader = (e: CustomEvent<{ leader?: NodeRef }>): void => {
    const leader = e.detail.leader
    if (leader !== undefined && leader.address !== this.init.ring.self.address) this.init.ring.unify(leader)
  }

  private readonly onDead = (e: CustomEvent<{ node: NodeRef }>): void => { this.reportDead(e.detail.node) }

  constructor (private readonly init: MembershipServerInit) {
    this.view = init.view
    this.log = init.log ?? logger('chord-peer:membership')
    this.tasks = new TaskSet(this.log)
    this.client = new MembershipClient(init.host, init.ring.peers)
    this.now = init.now ?? Date.now
    this.joins = new TokenBuckets<'join'>({ join: init.joinRate ?? DEFAULT_JOIN_RATE }, { now: this.now })
    this.refusals = new Throttle(REFUSED_REPORT_MS, this.now)
    init.election.viewVersion = this.view.version
    init.ring.peers.verifier.setRoots(this.view.supernodes.map(n => n.address))
    // Subscribed before the election starts, so no change of leadership is missed.
    init.election.events.addEventListener('acting:change', this.onActing)
    init.election.events.addEventListener('ack', this.onAck)
    init.election.events.addEventListener('leader:change', this.onLeader)
  }

  get current (): View {
    return this.view
  }

  async start (): Promise<void> {
    this.persist(this.view) // the view we start from (a joiner's first view is not pushed to it again)
    // A supernode is a trust root: it signs its own certificate, and renews it at half its life.
    await this.renewOwnCert()
    this.init.ring.events.addEventListener('node:dead', this.onDead)
    const from = (connection: Connection): string => connection.remotePeer.toString()
    const handler = byType<MembershipRequest.Type, MembershipRequest, [Connection, AbortSignal], Reply>(MEMBERSHIP_PROTOCOL, {
      [MembershipRequest.Type.GET_VIEW]: async (_req, connection) => this.onGetView(from(connection)),
      [MembershipRequest.Type.PUSH_VIEW]: async (req, connection) => this.onPushView(req, from(connection)),
      [MembershipRequest.Type.JOIN]: async (req, connection, signal) => this.onJoinOrLeave(req, connection, signal),
      [MembershipRequest.Type.LEAVE]: async (req, connection, signal) => this.onJoinOrLeave(req, connection, signal),
      [MembershipRequest.Type.REPORT_DEAD]: async (req, connection) => this.onReportDead(req, from(connection)),
      [MembershipRequest.Type.RENEW]: async (req, connection) => await this.onRenew(req, connection)
    })
    await serveRpc<MembershipRequest, Reply>(this.init.host, {
      protocol: MEMBERSHIP_PROTOCOL,
      request: MembershipRequest,
      response: MembershipResponse,
      ...MEMBERSHIP_LIMITS,
      log: this.log,
      handler
    })
  }

  /** With `leave`, first leave the view: through the leader, or directly when this node leads. */
  async stop (options: StopOptions = {}): Promise<void> {
    if (options.leave === true && !this.stopped) {
      await this.leave().catch(err => { this.log('leave notice failed: %e', err) })
    }
    this.stopped = true
    clearTimeout(this.renewTimer)
    this.init.election.events.removeEventListener('acting:change', this.onActing)
    this.init.election.events.removeEventListener('ack', this.onAck)
    this.init.election.events.removeEventListener('leader:change', this.onLeader)
    this.init.ring.events.removeEventListener('node:dead', this.onDead)
    await this.tasks.stop()
    this.client.close()
    await this.init.host.unhandle(MEMBERSHIP_PROTOCOL).catch(() => {})
    await this.persisting
  }

  /**
   * This node became the acting leader of a new epoch: take over the view (ours is a replica of the last
   * leader's), and push it so every supernode knows who writes it now.
   */
  private async lead (): Promise<void> {
    await this.change(view => ({ ...view, epoch: this.init.election.epoch(), leader: this.init.ring.self }))
  }

  private async leave (): Promise<void> {
    const self = this.init.ring.self
    if (this.init.election.acting()) {
      const view = await this.change(v => ({
        ...v,
        supernodes: withoutNode(v.supernodes, self.address),
        members: withoutNode(v.members, self.address)
      }))
      this.init.events?.emit({
        type: 'member.left',
        node: eventNode(this.init.ring.space, self),
        how: 'left',
        level: 'info',
        message: `this node (${self.address}), the leader, left the view: the other supernodes elect a new leader`
      })
      // The others learn of it from this push (and elect at once): wait for it, briefly, before stopping.
      await Promise.race([Promise.all(this.push(view)), sleep(LEAVE_NOTICE_MS)])
      return
    }
    const others = this.view.supernodes.filter(n => n.address !== self.address)
    await this.client.leave(others, AbortSignal.timeout(LEAVE_NOTICE_MS))
  }

  /** Mint an invite to join as `role`, valid for `ttlMs`: the token to hand to the joiner's operator. */
  async invite (role: Role, ttlMs: number): Promise<{ token: string, expires: number }> {
    const now = this.now()
    return { token: await mintInvite(this.init.key, this.init.host.peerId, role, ttlMs, now), expires: now + ttlMs }
  }

  // ---- handlers ------------------------------------------------------------------------------------------------

  private onGetView (from: string): Reply {
    if (!this.isMember(from)) return this.refuse(Status.NOT_MEMBER, `GET_VIEW from ${from}, not a member`)
    return { ...ok(), view: viewToWire(this.init.ring.peers, this.view) }
  }

  private onPushView (req: MembershipRequest, from: string): Reply {
    if (!this.isSupernode(from)) return this.refuse(Status.NOT_SUPERNODE, `a view pushed by ${from}, not a known supernode`)
    const view = viewFromWire(this.init.ring.peers, req.view)
    if (view.leader?.address !== from) {
      return this.refuse(Status.NOT_LEADER, `a view of epoch ${view.epoch} pushed by ${from}, not its leader`)
    }
    if (!newerView(view, this.view)) {
      return this.refuse(Status.STALE_VIEW, `a stale view (epoch ${view.epoch}, version ${view.version}) from ${from}`)
    }
    if (view.epoch > this.view.epoch + MAX_EPOCH_JUMP) {
      return this.refuse(Status.STALE_VIEW, `a view of epoch ${view.epoch}, beyond what elections can reach from ${this.view.epoch}`)
    }
    if (!sameSettings(view.settings, this.view.settings)) {
      return this.refuse(Status.BAD_SETTINGS, `a view from ${from} with other ring settings: settings never change`)
    }
    this.adopt(view)
    return ok()
  }

  private async onRenew (req: MembershipRequest, connection: Connection): Promise<Reply> {
    const from = connection.remotePeer
    const address = from.toString()
    if (!this.isMember(address)) return this.refuse(Status.NOT_MEMBER, `RENEW from ${address}, not a member`)
    const cert = await this.issue(from, this.isSupernode(address) ? Role.SUPERNODE : Role.PEER, decodeAddrs(req.addrs))
    return { ...ok(), cert, supernodes: this.view.supernodes.map(n => this.init.ring.peers.toWire(n)) }
  }

  private async onJoinOrLeave (req: MembershipRequest, connection: Connection, signal: AbortSignal): Promise<Reply> {
    const { ring, election } = this.init
    const from = connection.remotePeer.toString()
    const join = req.type === MembershipRequest.Type.JOIN
    const subject = decodePeerId(req.peerId)
    if (join && !req.forwarded && !this.joins.take(remoteHost(connection), 'join')) {
      this.init.bans?.overJoinRate(connection.remotePeer)
      return { ...reply(Status.RETRY_LATER, 'too many joins from this address: wait'), retryAfterMs: 1_000 }
    }
    if (req.forwarded) {
      if (!this.isSupernode(from)) return this.refuse(Status.NOT_SUPERNODE, `a forwarded request from ${from}, not a known supernode`)
    } else if (subject.toString() !== from) {
      return this.refuse(Status.WRONG_PEER, `the ${join ? 'join' : 'leave'} request names another peer than the connection`)
    }
    const addrs = decodeAddrs(req.addrs)
    if (election.acting()) {
      const node = ring.peers.learn(subject)
      return join ? await this.admit(node, addrs, req, signal) : await this.remove(node, req.forwarded ? 'forwarded' : 'left')
    }
    const leader = election.leader()
    if (req.forwarded || leader === undefined || leader.address === ring.self.address) return retryLater(
      'no acting leader: an election is in progress')
    try {
      return await this.client.forward(leader, req, signal)
    } catch (err) {
      return retryLater(`the leader did not answer: ${(err as Error).message}`)
    }
  }

  private onReportDead (req: MembershipRequest, from: string): Reply {
    // Any member may say a node stopped answering (a peer's ring neighbours are often peers); the view
    // changes only if this supernode's own PING fails too, so a false report removes no one.
    if (!this.view.members.some(m => m.address === from)) return this.refuse(Status.NOT_MEMBER,
      `a dead-node report from ${from}, not a member`)
    this.reportDead(this.init.ring.peers.learn(decodePeerId(req.peerId)))
    return ok()
  }

  private refuse (status: MembershipResponse.Status, why: string): Reply {
    this.log('rejected %s', why)
    return reply(status, why)
  }

  private isSupernode (address: string): boolean {
    return this.view.supernodes.some(n => n.address === address)
  }

  private isMember (address: string): boolean {
    return this.view.members.some(n => n.address === address) || this.isSupernode(address)
  }

  /** A certificate for `subject`, signed by this supernode. */
  private async issue (subject: PeerId, role: Role, addrs: Multiaddr[]): Promise<Uint8Array<ArrayBuffer>> {
    const cert = await issueCert(this.init.key, this.init.host.peerId, {
      subject, role, addrs, epoch: this.init.election.epoch(), expires: this.now() + this.init.ring.peers.verifier.ttlMs
    })
    this.init.ring.peers.learnCert(cert)
    return cert
  }

  /** Sign this node's own certificate again, and again at half its life (in 5 s when signing failed). */
  private async renewOwnCert (): Promise<void> {
    if (this.stopped) return
    let next = this.init.ring.peers.verifier.ttlMs / 2
    try {
      const addrs = this.init.host.getMultiaddrs().map(a => a.decapsulateCode(421))
      this.init.setOwnCert(await this.issue(this.init.host.peerId, Role.SUPERNODE, addrs))
    } catch (err) {
      this.log.error('cannot sign this supernode\'s certificate: %e', err)
      next = 5_000
    }
    if (this.stopped) return
    this.renewTimer = setTimeout(() => {
      this.tasks.run('renewing this supernode\'s certificate', async () => { await this.renewOwnCert() })
    }, next)
    this.renewTimer.unref()
  }

  // ---- dead members ----------------------------------------------------------------------------------------------

  /**
   * This node's ring found `node` dead, or a member said so. If one chord PING from here confirms it, the
   * leader takes it out of the view; a follower sends the leader a forwarded LEAVE. Reports of a node that is
   * not a member, or that answers, change nothing. Supernodes are left alone: they leave the election ring
   * only by a graceful LEAVE, so a crash never shrinks the majority.
   */
  private reportDead (node: NodeRef): void {
    if (this.stopped || this.isSupernode(node.address) || !this.view.members.some(m => m.address === node.address)) return
    if (this.reporting.has(node.address)) return
    this.reporting.add(node.address)
    this.tasks.run(`confirming ${node.address} dead`, async signal => {
      try {
        await this.confirmDead(node, signal)
      } finally {
        this.reporting.delete(node.address)
      }
    })
  }

  /** Does `node` answer a chord PING within CONFIRM_DEAD_MS? */
  private async answers (node: NodeRef, signal: AbortSignal): Promise<boolean> {
    return await this.init.ring.ping(node, { signal: AbortSignal.any([signal, AbortSignal.timeout(CONFIRM_DEAD_MS)]) })
      .then(() => true, () => false)
  }

  private async confirmDead (node: NodeRef, signal: AbortSignal): Promise<void> {
    const { ring, election } = this.init
    if (await this.answers(node, signal)) return
    signal.throwIfAborted() // no answer: it is gone
    // Without an acting leader right now (an election, a lease that lapsed under load), try again for a while;
    // asking it again before each try, as it may have come back meanwhile (a partition that healed).
    for (let attempt = 1; attempt <= REPORT_ATTEMPTS; attempt++) {
      if (attempt > 1 && await this.answers(node, signal)) return
      if (election.acting()) {
        await this.remove(node, 'failed', 'it stopped answering (confirmed by a PING from this leader)')
        return
      }
      const leader = election.leader()
      if (leader !== undefined && leader.address !== ring.self.address) {
        const leave: MembershipRequest = {
          type: MembershipRequest.Type.LEAVE,
          peerId: ring.peers.toWire(node).peerId,
          addrs: [],
          supernode: false,
          forwarded: true,
          invite: new Uint8Array(0),
          cert: new Uint8Array(0)
        }
        const res = await this.client.forward(leader, leave, signal).catch(() => undefined)
        if (res?.status === Status.OK) return
      }
      await sleep(backoff(REPORT_BACKOFF, attempt), signal)
    }
  }

  // ---- the leader's changes ---------------------------------------------------------------------------------------

  /**
   * Is `joiner` coming back rather than new? A member (a restart) is admitted again as what it was; a supernode
   * the operator authorised once comes back as one (a crash, a restart) even after it left the view; a peer
   * still holding a valid certificate of this ring was a member until lately (taken out of the view as dead
   * while a partition cut it off), so it needs no invite either.
   */
  private again (joiner: NodeRef, req: MembershipRequest): boolean {
    if (req.supernode) return this.view.authorised.includes(joiner.address)
    if (this.isMember(joiner.address)) return true
    return req.cert.byteLength > 0 && this.init.ring.peers.learnCert(req.cert, joiner.address)?.role === Role.PEER
  }

  /**
   * Why `joiner` may not join as it asks (an invite it needs and lacks, a bad or used invite, a full ring), or
   * the nonce of the invite it used (undefined: none needed).
   */
  private admissible (joiner: NodeRef, req: MembershipRequest): Reply | { nonce?: string, expires?: number } {
    if (this.again(joiner, req)) return {}
    const needsInvite = req.supernode || this.view.settings.admission === RingSettings.Admission.INVITE
    const cap = Math.min(this.init.maxMembers ?? MAX_MEMBERS, MAX_MEMBERS)
    if (this.view.members.length >= cap) return this.refuse(Status.FULL, `the ring has ${cap} members, as many as it admits`)
    if (!needsInvite) return {}
    if (req.invite.byteLength === 0) {
      return this.refuse(Status.NEEDS_INVITE, req.supernode ? 'a new supernode needs an invite' : 'this ring admits peers by invite only')
    }
    const invite = checkInvite(req.invite, a => this.isSupernode(a), this.now())
    if (invite === 'invalid') return this.refuse(Status.INVITE_INVALID, 'the invite is not one a supernode of this ring signed')
    if (invite === 'expired') return this.refuse(Status.INVITE_EXPIRED, 'the invite has expired')
    if (req.supernode && invite.role !== Role.SUPERNODE) {
      return this.refuse(Status.INVITE_INVALID, 'the invite is for a peer, not a supernode')
    }
    if (this.view.usedInvites.some(u => u.nonce === invite.nonce)) return this.refuse(Status.INVITE_USED, 'the invite was used before')
    return { nonce: invite.nonce, expires: invite.expires }
  }

  /** The leader admits `joiner`: check, place, certify and record it, answer. */
  private async admit (joiner: NodeRef, addrs: Multiaddr[], req: MembershipRequest, signal: AbortSignal): Promise<Reply> {
    const { ring } = this.init
    const supernode = req.supernode
    return await this.serialised(async () => {
      if (!this.init.election.acting()) return retryLater('the leader lost its majority')
      const again = this.again(joiner, req)
      const checked = this.admissible(joiner, req)
      if ('status' in checked) {
        this.reportRefused(joiner, checked)
        return checked
      }
      let successors: NodeRef[]
      try {
        successors = await ring.successorsFor(joiner.id, { signal })
      } catch (err) {
        const refused = this.refuse(Status.CANNOT_PLACE, `cannot place the joiner: ${(err as Error).message}`)
        this.reportRefused(joiner, refused)
        return refused
      }
      const now = this.now()
      const used = checked.nonce === undefined ? [] : [{ nonce: checked.nonce, expires: checked.expires ?? now }]
      // Certified before the view that lists it goes out, so every node the view reaches can reach the joiner.
      const cert = await this.issue(ring.peers.peerId(joiner.address), supernode ? Role.SUPERNODE : Role.PEER, addrs)
      const view = this.changeNow(v => ({
        ...v,
        members: withNode(v.members, joiner),
        supernodes: supernode ? withNode(v.supernodes, joiner) : v.supernodes,
        usedInvites: [...v.usedInvites.filter(u => u.expires > now), ...used].slice(-MAX_USED_INVITES)
      }))
      this.log('admitted %s%s before %s', joiner.address, supernode ? ' (supernode)' : '', successors[0]?.address)
      const role = supernode ? 'supernode' : 'peer'
      this.init.events?.emit({
        type: 'member.joined',
        node: eventNode(ring.space, joiner),
        role,
        level: 'info',
        message: `${role} ${joiner.address} ${again ? 'joined again' : 'joined'}, admitted by this leader ` +
          `(${members(view)})`
      })
      if (!supernode) this.checkEntered(joiner)
      return {
        ...ok(),
        cert,
        settings: view.settings,
        successors: successors.map(n => ring.peers.toWire(n)),
        supernodes: view.supernodes.map(n => ring.peers.toWire(n)),
        ...(supernode ? { view: viewToWire(ring.peers, view) } : {})
      }
    })
  }

  /** A member that does not answer on the ring ENTER_DEADLINE_MS after its admission leaves the view again. */
  private checkEntered (member: NodeRef): void {
    this.tasks.run(`checking that ${member.address} entered the ring`, async signal => {
      const deadline = this.init.enterDeadlineMs ?? ENTER_DEADLINE_MS
      await sleep(deadline, signal)
      if (!this.view.members.some(m => m.address === member.address)) return
      try {
        await this.init.ring.ping(member, { signal: AbortSignal.any([signal, AbortSignal.timeout(CONFIRM_DEAD_MS)]) })
      } catch {
        signal.throwIfAborted()
        if (!this.init.election.acting()) return // the next leader's own checks (a dead-node report) take over
        this.log('%s did not enter the ring within %d ms of its admission', member.address, deadline)
        await this.remove(member, 'failed', `it did not enter the ring within ${deadline / 1000} s of its admission`)
      }
    })
  }

  /** The leader takes `node` out of the view and says so in the node's events (`how`, and `why` for a failure). */
  private async remove (node: NodeRef, how: Departure, why = ''): Promise<Reply> {
    if (!this.view.members.some(m => m.address === node.address) && !this.isSupernode(node.address)) return ok()
    const role = this.isSupernode(node.address) ? 'supernode' : 'peer'
    const view = await this.change(v => ({
      ...v, members: withoutNode(v.members, node.address), supernodes: withoutNode(v.supernodes, node.address)
    }))
    this.log('%s left the view', node.address)
    const events = this.init.events
    if (events === undefined) return ok()
    const left = (failed: boolean, reason: string): void => {
      events.emit({
        type: 'member.left',
        node: eventNode(this.init.ring.space, node),
        how: failed ? 'failed' : 'left',
        level: failed ? 'warn' : 'info',
        message: `${role} ${node.address} ${failed ? 'failed' : 'left the ring'}: ${reason} (${members(view)})`
      })
    }
    if (how !== 'forwarded') {
      left(how === 'failed', how === 'failed' ? why : 'its leave notice')
      return ok()
    }
    // A supernode forwarded the LEAVE: the member's own leave notice, or a failure that supernode confirmed; the
    // wire does not say which. A leaving member still serves the ring while it hands its range over: one PING
    // tells them apart, after the answer, so the departure is not held up.
    this.tasks.run(`telling how ${node.address} left`, async signal => {
      const alive = await this.answers(node, signal)
      signal.throwIfAborted()
      left(!alive, alive ? 'its leave notice, through another supernode' : 'it stopped answering (reported by a supernode)')
      // Alive: it is leaving, or the report was wrong (a supernode that confirmed the death while cut off from
      // it). Ask it to unify with us: a peer that is not leaving then finds it is no member and joins again,
      // rather than wait for its next renewal outside the view; one that is leaving has stopped listening.
      const briefly = AbortSignal.any([signal, AbortSignal.timeout(CONFIRM_DEAD_MS)])
      if (alive) await this.init.ring.askToUnify(node, { signal: briefly }).catch(() => {})
    })
    return ok()
  }

  /** Tell the node's events that the leader refused `joiner` (at most once per REFUSED_REPORT_MS per joiner and reason). */
  private reportRefused (joiner: NodeRef, refusal: Reply): void {
    const events = this.init.events
    if (events === undefined) return
    const held = this.refusals.take(`${refusal.status} ${joiner.address}`)
    if (held === undefined) return
    events.emit({
      type: 'member.refused',
      peerId: joiner.address,
      reason: refusal.error,
      level: 'warn',
      message: andMore(`refused to admit ${joiner.address}: ${refusal.error}`, held)
    })
  }

  private async serialised<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => {})
    return await run
  }

  /** Apply `edit` as the leader (serialised with joins and leaves). */
  private async change (edit: (view: View) => View): Promise<View> {
    return await this.serialised(async () => this.changeNow(edit))
  }

  private changeNow (edit: (view: View) => View): View {
    const next = withAuthorised({ ...edit(this.view), version: this.view.version + 1 })
    this.adopt(next)
    void this.push(next)
    return next
  }

  private adopt (view: View): void {
    const supernodesChanged = view.supernodes.map(n => n.address).join() !== this.view.supernodes.map(n => n.address).join()
    this.view = view
    this.init.election.viewVersion = view.version
    if (supernodesChanged) {
      this.init.election.setSupernodes(view.supernodes)
      this.init.ring.peers.verifier.setRoots(view.supernodes.map(n => n.address))
    }
    this.persist(view)
  }

  /**
   * Send `view` to every other supernode in the background, best effort: a supernode that misses it catches up
   * on the next heartbeat. The pushes settle when they have been answered or have failed.
   */
  private push (view: View, to: readonly NodeRef[] = view.supernodes): Array<Promise<void>> {
    return to.filter(node => node.address !== this.init.ring.self.address).map(node =>
      this.tasks.run(`pushing view ${view.version} to ${node.address}`, async signal => {
        const res = await this.client.pushView(node, view, signal)
        if (res.status !== Status.OK) this.log('%s refused view %d (%s): %s', node.address, view.version, res.status, res.error)
      }))
  }

  private persist (view: View): void {
    const stores = this.init.stores ?? []
    if (stores.length === 0 || this.stopped) return
    const json = viewToJson(this.init.ring.peers, view)
    // Writes are chained, so the last one written is the newest view.
    this.persisting = this.persisting.then(async () => {
      await Promise.all(stores.map(async s => s.save(json).catch(err => { this.log('cannot save the view to %s: %e', s.where, err) })))
    })
  }
}

/** `1 member`, `5 members`: the size of a view, for messages. */
function members (view: View): string {
  return `${view.members.length} member${view.members.length === 1 ? '' : 's'}`
}

/** The IP address a connection comes from (the whole remote address when it has none). */
function remoteHost (connection: Connection): string {
  const ip = connection.remoteAddr.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')
  return ip?.value ?? connection.remoteAddr.toString()
}
