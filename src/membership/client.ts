// The client side of /chord-peer/membership/3.0.0: every request a node sends to a supernode, with the request's
// defaults filled in one place. A joiner asks for admission, a leaving node says so, a member reports a node it
// found dead, a supernode forwards requests to its leader and pushes views. `PeerMembership` is the part a
// plain peer runs as a service: it reports members its ring finds dead (a peer's ring neighbours are often
// peers, which no supernode watches) and announces its graceful leave.
import { logger } from '@libp2p/logger'
import { MembershipRequest, MembershipResponse, type RingSettings } from '../../protocols/membership.js'
import { JoinFailedError } from '../errors.js'
import { andMore, errorText, eventNode, Throttle, type NodeEvents } from '../events.js'
import { backoff, sleep, TaskSet, type Service, type StopOptions } from '../lifecycle.js'
import { RpcClient, type RpcLimits, type Target } from '../net/rpc.js'
import { decodePeerId, MAX_ADDRS, type PeerDirectory } from '../chord/wire.js'
import { viewFromWire, viewToWire, type View } from './view.js'
import type { Ring } from '../chord/ring.js'
import type { NodeRef } from '../ring/index.js'
import type { Libp2p } from '@libp2p/interface'
import type { Logger } from '@libp2p/logger'
import { CODE_P2P, type Multiaddr } from '@multiformats/multiaddr'

export const MEMBERSHIP_PROTOCOL = '/chord-peer/membership/3.0.0'
/** Requests and replies alike: a PUSH_VIEW carries a whole view (4 096 members), the longest request. */
export const MEMBERSHIP_LIMITS: RpcLimits = { maxMessageBytes: 1024 * 1024, maxRequestBytes: 1024 * 1024, timeoutMs: 10_000 }
export const Status = MembershipResponse.Status

/** Backoff between rounds of join attempts: 250 ms doubling to 2 s. */
export const JOIN_BACKOFF = { minMs: 250, maxMs: 2_000 }

export interface Admission {
  settings: RingSettings
  successors: NodeRef[]
  supernodes: NodeRef[]
  /** This node's membership certificate, encoded. */
  cert: Uint8Array<ArrayBuffer>
  /** For a supernode: the view it starts from. */
  view?: View
}

/** A renewed certificate, and the supernodes as the renewing supernode knows them. */
export interface Renewal {
  cert: Uint8Array<ArrayBuffer>
  supernodes: NodeRef[]
}

export interface JoinOptions {
  /** Join the supernode group too. */
  supernode?: boolean
  /** An invite token's bytes (src/trust/invites.ts). */
  invite?: Uint8Array<ArrayBuffer>
  /** This node's certificate while it is still valid: a member coming back needs no invite. */
  cert?: Uint8Array<ArrayBuffer>
  /** Keep retrying unreachable supernodes until this long has passed (ms). */
  timeoutMs: number
  /** Called after each failed round, with the error. */
  onRetry?: (err: Error, attempt: number) => void
  signal?: AbortSignal
}

export class MembershipClient {
  private readonly rpc: RpcClient<MembershipRequest, MembershipResponse>

  constructor (private readonly host: Libp2p, private readonly peers: PeerDirectory) {
    // A fresh stream per request: membership requests are rare, and a joiner is not on the ring yet.
    this.rpc = new RpcClient<MembershipRequest, MembershipResponse>({
      host,
      protocol: MEMBERSHIP_PROTOCOL,
      request: MembershipRequest,
      response: MembershipResponse,
      limits: MEMBERSHIP_LIMITS,
      maxIdlePerPeer: 0
    })
  }

  /** Send one request (defaults filled in) and return the reply, whatever its status. */
  async ask (
    to: Target, req: Partial<MembershipRequest> & Pick<MembershipRequest, 'type'>, signal?: AbortSignal
  ): Promise<MembershipResponse> {
    const full: MembershipRequest = {
      peerId: new Uint8Array(0), addrs: [], supernode: false, forwarded: false, invite: new Uint8Array(0), cert: new Uint8Array(0), ...req
    }
    return await this.rpc.request(to, full, { signal })
  }

  /**
   * Ask the supernodes at `bootstrap` in turn until one admits this node. An unreachable supernode, or one
   * without an acting leader (RETRY_LATER), is retried with backoff until `timeoutMs`; any other refusal is
   * final (JoinFailedError).
   */
  async join (bootstrap: Multiaddr[], options: JoinOptions): Promise<Admission> {
    const deadline = Date.now() + options.timeoutMs
    const req = {
      type: MembershipRequest.Type.JOIN,
      peerId: this.host.peerId.toMultihash().bytes,
      addrs: this.ownAddrs(),
      supernode: options.supernode === true,
      invite: options.invite ?? new Uint8Array(0),
      cert: options.cert ?? new Uint8Array(0)
    }
    let lastError: Error = new JoinFailedError('no supernode given')
    let answered = false
    for (let attempt = 1; ; attempt++) {
      let wait = 0
      // Addresses whose node has another PeerId than the one given: when every address does, retrying cannot
      // help (the operator's --connect is wrong), so the join fails at once.
      let wrong = 0
      for (const addr of bootstrap) {
        options.signal?.throwIfAborted()
        let res: MembershipResponse
        try {
          res = await this.ask([addr], req, options.signal)
        } catch (err) {
          const mismatch = wrongPeer(err, addr)
          if (mismatch !== undefined) wrong++
          lastError = mismatch ?? err as Error
          continue
        }
        if (res.status === Status.OK) return this.admission(res)
        if (res.status === Status.RETRY_LATER) {
          answered = true
          lastError = new JoinFailedError(`supernode ${addr.toString()}: ${res.error}`)
          wait = Math.max(wait, res.retryAfterMs)
          continue
        }
        throw new JoinFailedError(`supernode ${addr.toString()} refused the join (${res.status}): ${res.error}`)
      }
      if (wrong > 0 && wrong === bootstrap.length) throw lastError
      options.onRetry?.(lastError, attempt)
      const remaining = deadline - Date.now()
      if (remaining <= 0) {
        const what = answered ? 'no supernode could admit us (no acting leader)' : 'no supernode answered'
        throw new JoinFailedError(`${what} within ${Math.round(options.timeoutMs / 1000)} s: ${lastError.message}`, { cause: lastError })
      }
      // The last try lands on the deadline.
      await sleep(Math.min(Math.max(wait, backoff(JOIN_BACKOFF, attempt)), JOIN_BACKOFF.maxMs, remaining), options.signal)
    }
  }

  /** Tell the leader, through the first of `supernodes` that answers, that this node leaves. Best effort. */
  async leave (supernodes: readonly NodeRef[], signal: AbortSignal): Promise<boolean> {
    return await this.tellAny(supernodes, { type: MembershipRequest.Type.LEAVE, peerId: this.host.peerId.toMultihash().bytes }, signal)
  }

  /** Tell the first of `supernodes` that takes it that `node` stopped answering (REPORT_DEAD). */
  async reportDead (supernodes: readonly NodeRef[], node: NodeRef, signal: AbortSignal): Promise<boolean> {
    const others = supernodes.filter(s => s.address !== node.address)
    return await this.tellAny(others, { type: MembershipRequest.Type.REPORT_DEAD, peerId: this.peers.toWire(node).peerId }, signal)
  }

  /**
   * A fresh certificate from the first of `supernodes` that renews it (RENEW, announcing this node's current
   * addresses) with one valid for this node; 'removed' when none did and one said this node is not a member (it
   * is out of the view: it must join again); undefined when none did before `signal`.
   */
  async renew (supernodes: readonly NodeRef[], signal: AbortSignal): Promise<Renewal | 'removed' | undefined> {
    let removed = false
    for (const node of supernodes) {
      try {
        const res = await this.ask(this.peers.dialTarget(node), { type: MembershipRequest.Type.RENEW, addrs: this.ownAddrs() }, signal)
        if (res.status === Status.NOT_MEMBER) removed = true
        if (res.status !== Status.OK || res.cert.byteLength === 0) continue
        const supernodesNow = this.trustSupernodes(res.supernodes)
        if (this.peers.learnCert(res.cert)?.address !== this.host.peerId.toString()) continue
        return { cert: res.cert, supernodes: supernodesNow }
      } catch {
        signal.throwIfAborted()
      }
    }
    return removed ? 'removed' : undefined
  }

  /** `node`'s view (GET_VIEW). */
  async fetchView (node: NodeRef, signal: AbortSignal): Promise<View> {
    const res = await this.ask(this.peers.dialTarget(node), { type: MembershipRequest.Type.GET_VIEW }, signal)
    if (res.status !== Status.OK) throw new JoinFailedError(`${node.address} refused GET_VIEW (${res.status}): ${res.error}`)
    return viewFromWire(this.peers, res.view)
  }

  /** Offer `view` to the supernode `node` (PUSH_VIEW); resolves with its reply. */
  async pushView (node: NodeRef, view: View, signal: AbortSignal): Promise<MembershipResponse> {
    return await this.ask(this.peers.dialTarget(node), {
      type: MembershipRequest.Type.PUSH_VIEW,
      view: viewToWire(this.peers, view)
    }, signal)
  }

  /** Relay a request this supernode has checked to the leader (`forwarded`). */
  async forward (leader: NodeRef, req: MembershipRequest, signal: AbortSignal): Promise<MembershipResponse> {
    return await this.ask(this.peers.dialTarget(leader), { ...req, forwarded: true }, signal)
  }

  close (): void {
    this.rpc.close()
  }

  private admission (res: MembershipResponse): Admission {
    if (res.settings === undefined || res.successors.length === 0 || res.cert.byteLength === 0) {
      throw new JoinFailedError('the supernode sent an incomplete admission')
    }
    // The supernodes the admitting supernode names are this node's trust roots from now on: it reached that
    // supernode at the PeerId its operator gave (or one it learnt from such a supernode before).
    const supernodes = this.trustSupernodes(res.supernodes)
    if (this.peers.learnCert(res.cert)?.address !== this.host.peerId.toString()) {
      throw new JoinFailedError('the supernode sent a certificate that is not valid for this node')
    }
    return {
      settings: res.settings,
      successors: this.peers.fromWireList(res.successors),
      supernodes,
      cert: res.cert,
      ...(res.view !== undefined ? { view: viewFromWire(this.peers, res.view) } : {})
    }
  }

  /** Make `supernodes` this node's trust roots, then take in their certificates. */
  private trustSupernodes (supernodes: MembershipResponse['supernodes']): NodeRef[] {
    if (supernodes.length === 0) throw new JoinFailedError('the supernode named no supernodes')
    this.peers.verifier.setRoots(supernodes.map(p => decodePeerId(p.peerId).toString()))
    return this.peers.fromWireList(supernodes)
  }

  /** This node's listen addresses as it announces them (without /p2p). */
  private ownAddrs (): Array<Uint8Array<ArrayBuffer>> {
    return this.host.getMultiaddrs().slice(0, MAX_ADDRS).map(a => a.decapsulateCode(421).bytes as Uint8Array<ArrayBuffer>)
  }

  /** Send `req` to each of `supernodes` in turn until one answers OK; false when none did before `signal`. */
  private async tellAny (
    supernodes: readonly NodeRef[], req: Partial<MembershipRequest> & Pick<MembershipRequest, 'type'>, signal: AbortSignal
  ): Promise<boolean> {
    for (const node of supernodes) {
      try {
        const res = await this.ask(this.peers.dialTarget(node), req, signal)
        if (res.status === Status.OK) return true
      } catch {
        if (signal.aborted) return false
      }
    }
    return false
  }
}

/** How long a leaving node waits for the leader to note it. */
export const LEAVE_NOTICE_MS = 2_000
/** How long a peer tries the supernodes with one dead-node report. */
export const REPORT_DEAD_MS = 10_000

/** How long a renewal may take before the next attempt; and the wait after a failed one. */
const RENEW_TIMEOUT_MS = 10_000
const RENEW_RETRY_MS = 5_000
/** The least time between two renewals that certificates naming unknown supernodes ask for. */
const REFRESH_ROOTS_MS = 5_000
/** How many times a membership check after a ring merge asks the supernodes before it gives up (a minute). */
const RECHECK_ROUNDS = 12

export interface PeerMembershipInit {
  ring: Ring
  client: MembershipClient
  /** The supernodes this peer knows (from its admission). */
  supernodes: readonly NodeRef[]
  /** Where to ask to join again besides the known supernodes (the operator's --connect addresses). */
  bootstrap?: readonly Multiaddr[]
  /** Takes this node's renewed certificate (the members-only gate serves it). */
  setOwnCert: (cert: Uint8Array<ArrayBuffer>) => void
  /** Where a join again is told (src/events.ts). Default: nowhere. */
  events?: NodeEvents
  log?: Logger
}

/**
 * A plain peer's part in membership: renew its certificate at half its life (so it lapses only once the peer
 * has left the view), join again when the supernodes no longer count it a member (taken out of the view as
 * dead while it was cut off, say), report dead members, announce a graceful leave.
 */
export class PeerMembership implements Service {
  private readonly log: Logger
  private readonly tasks: TaskSet
  private known: readonly NodeRef[]
  /** Members being reported now: one report at a time per node. */
  private readonly reporting = new Set<string>()
  private lastRefresh = -Infinity
  private rechecking = false
  /** A peer cut off tries to join again every few seconds: its failures are told once a minute. */
  private readonly rejoinFailures = new Throttle(60_000)
  private readonly onDead = (e: CustomEvent<{ node: NodeRef }>): void => { this.report(e.detail.node) }
  private readonly onUnified = (): void => { this.recheck() }

  constructor (private readonly init: PeerMembershipInit) {
    this.log = init.log ?? logger('chord-peer:membership')
    this.tasks = new TaskSet(this.log)
    this.known = init.supernodes
  }

  /** The supernodes this peer knows now (the last renewal's list). */
  get supernodes (): readonly NodeRef[] {
    return this.known
  }

  async start (): Promise<void> {
    this.init.ring.events.addEventListener('node:dead', this.onDead)
    this.init.ring.events.addEventListener('ring:unified', this.onUnified)
    this.init.ring.events.addEventListener('node:returned', this.onUnified)
    this.init.ring.events.addEventListener('unify:asked', this.onUnified)
    this.tasks.run('renewing this node\'s certificate', async signal => { await this.renewals(signal) })
  }

  async stop (options: StopOptions = {}): Promise<void> {
    this.init.ring.events.removeEventListener('node:dead', this.onDead)
    this.init.ring.events.removeEventListener('ring:unified', this.onUnified)
    this.init.ring.events.removeEventListener('node:returned', this.onUnified)
    this.init.ring.events.removeEventListener('unify:asked', this.onUnified)
    await this.tasks.stop()
    if (options.leave === true) {
      const told = await this.init.client.leave(this.known, AbortSignal.timeout(LEAVE_NOTICE_MS))
      if (!told) this.log('no supernode took the leave notice; the ring will notice the departure')
    }
    this.init.client.close()
  }

  /**
   * A certificate showed a supernode this peer does not know: one that joined (or came back) since this peer's
   * last renewal. Renew now, which brings the current supernodes (this peer's trust roots, and where it sends
   * renewals, leave notices and dead reports); at most once per REFRESH_ROOTS_MS, as anyone can send a
   * certificate.
   */
  refreshRoots (): void {
    const now = Date.now()
    if (now - this.lastRefresh < REFRESH_ROOTS_MS) return
    this.lastRefresh = now
    this.tasks.run('refreshing the trusted supernodes', async signal => {
      const renewal = await this.init.client.renew(this.known, AbortSignal.any([signal, AbortSignal.timeout(RENEW_TIMEOUT_MS)]))
      if (typeof renewal === 'object') this.take(renewal)
    })
  }

  /**
   * This node's ring merged with another, a node it had found dead answers again, or another node that had
   * found this one dead asks it to unify (a partition healed): the leader may have taken this node out of the
   * view as dead while it was cut off. Ask every known supernode, since one cut off on this node's side still
   * holds the old view: when any says this node is no member, join again (its certificate, still valid, stands
   * for an invite); when every one renews, this node is a member.
   * Until every one renews, ask again every REFRESH_ROOTS_MS (a supernode still out of reach, a view on its way,
   * a join the ring could not place while it was still merging), RECHECK_ROUNDS times at most. One check at a
   * time.
   */
  private recheck (): void {
    if (this.rechecking) return
    this.rechecking = true
    this.tasks.run('checking membership after a ring merge', async signal => {
      try {
        for (let round = 0; round < RECHECK_ROUNDS; round++) {
          if (round > 0) await sleep(REFRESH_ROOTS_MS, signal)
          const within = AbortSignal.any([signal, AbortSignal.timeout(RENEW_TIMEOUT_MS)])
          const answers = await Promise.all(this.known.map(async n => await this.init.client.renew([n], within)))
          if (answers.includes('removed')) {
            await this.rejoin(signal) // and check again next round: a join the ring could not place yet fails
            continue
          }
          const renewals = answers.filter(a => typeof a === 'object')
          if (renewals.length > 0) this.take(renewals[renewals.length - 1])
          if (renewals.length === answers.length) return
        }
      } finally {
        this.rechecking = false
      }
    })
  }

  /**
   * Renew this node's certificate whenever it is past half its life, until stopped; at least RENEW_RETRY_MS apart
   * (a clock far ahead would make every certificate look due). Join again when a supernode says this node is no
   * member, or when no supernode renews and this node's certificate has lapsed.
   */
  private async renewals (signal: AbortSignal): Promise<void> {
    const { peers } = this.init.ring
    const self = this.init.ring.self.address
    let gap = 0
    while (!signal.aborted) {
      const own = peers.cert(self)
      const due = own === undefined ? 0 : own.expires - peers.verifier.ttlMs / 2 - peers.verifier.now()
      await sleep(Math.max(due, gap), signal)
      gap = RENEW_RETRY_MS
      const renewal = await this.init.client.renew(this.known, AbortSignal.any([signal, AbortSignal.timeout(RENEW_TIMEOUT_MS)]))
      if (typeof renewal === 'object') {
        this.take(renewal)
      } else if (renewal === 'removed' || peers.cert(self) === undefined) {
        await this.rejoin(signal)
      } else {
        this.log('no supernode renewed this node\'s certificate; trying again in %d ms', RENEW_RETRY_MS)
      }
    }
  }

  private take (renewal: Renewal): void {
    this.init.setOwnCert(renewal.cert)
    this.known = renewal.supernodes
  }

  /** Ask to be admitted again, through the known supernodes' addresses and the bootstrap addresses. */
  private async rejoin (signal: AbortSignal): Promise<void> {
    const { peers } = this.init.ring
    const targets = [
      ...this.known.flatMap(n => peers.addrs(n).map(a => a.encapsulate(`/p2p/${n.address}`))),
      ...(this.init.bootstrap ?? [])
    ]
    this.log('the supernodes no longer count this node a member; joining again')
    const self = this.init.ring.self
    try {
      const cert = peers.cert(self.address)?.bytes
      this.take(await this.init.client.join(targets, { timeoutMs: RENEW_TIMEOUT_MS, signal, ...(cert !== undefined ? { cert } : {}) }))
      this.log('admitted again')
      this.init.events?.emit({
        type: 'member.joined',
        node: eventNode(this.init.ring.space, self),
        role: 'peer',
        level: 'info',
        message: `this node (${self.address}) joined the ring again: the supernodes had taken it out of the view`
      })
    } catch (err) {
      signal.throwIfAborted()
      this.log('joining again failed: %e', err)
      const held = this.rejoinFailures.take('rejoin')
      if (held !== undefined) {
        this.init.events?.emit({
          type: 'member.refused',
          peerId: self.address,
          reason: errorText(err),
          level: 'error',
          message: andMore(`the supernodes no longer count this node a member, and joining again failed: ${errorText(err)}`, held)
        })
      }
    }
  }

  private report (node: NodeRef): void {
    if (this.reporting.has(node.address) || this.known.some(s => s.address === node.address)) return
    this.reporting.add(node.address)
    this.tasks.run(`report ${node.address} dead`, async signal => {
      try {
        await this.init.client.reportDead(this.known, node, AbortSignal.any([signal, AbortSignal.timeout(REPORT_DEAD_MS)]))
      } finally {
        this.reporting.delete(node.address)
      }
    })
  }
}

/**
 * A dial that reached a node with another identity than the PeerId its multiaddr names, as "the node at <addr>
 * has PeerId X, not Y"; else undefined. Noise says "Payload identity key X does not match expected remote
 * identity key Y" (an Ed25519 public key's string form is its PeerId); libp2p passes that message on in an
 * error of its own, so the message is what is matched, anywhere in the causes.
 */
export function wrongPeer (err: unknown, addr: Multiaddr): JoinFailedError | undefined {
  for (let e = err; e instanceof Error; e = e.cause) {
    const keys = /identity key (\S+) does not match expected remote identity key (\S+)/.exec(e.message)
    if (keys === null) continue
    const at = addr.decapsulateCode(CODE_P2P).toString()
    return new JoinFailedError(`the node at ${at} has PeerId ${keys[1]}, not ${keys[2]}: check --connect`, { cause: err })
  }
  return undefined
}
