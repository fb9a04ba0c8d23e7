// /chord-peer/membership/1.0.0: admission to and departure from the ring, coordinated by the leader of the
// supernodes (DESIGN §4), and the membership view the leader replicates.
// - A JOIN or LEAVE may go to any supernode. The one that receives it checks that `peer_id` is the connection's
//   authenticated peer, then forwards it to the leader (`forwarded`, which the leader accepts only from a known
//   supernode). With no acting leader (an election is running) the answer is a temporary refusal with
//   `retry_after_ms`, and the joiner asks again.
// - The leader handles JOINs and LEAVEs one at a time. It admits a joiner with the ring settings, its successor
//   list (a lookup of its id; the joiner copies it before notifying anyone, Zave) and the supernodes, records it
//   in the view, raises the view's version, pushes the view to every supernode (PUSH_VIEW) and persists it.
// - A supernode accepts a pushed view only from a known supernode and only when it is newer (`newerView`).
import { logger } from '@libp2p/logger'
import { MembershipRequest, MembershipResponse, type RingSettings } from '../../protocols/membership.js'
import { JoinFailedError } from '../errors.js'
import { request, RpcClient, serveRpc, type RpcLimits } from '../net/rpc.js'
import { MAX_ADDRS, decodeAddrs, decodePeerId, fromWireList, nodeRefOf, toWire, type AddressBook } from '../chord/wire.js'
import { newerView, viewFromWire, viewToJson, viewToWire, withNode, withoutNode, type View, type ViewStore } from './view.js'
import type { ChordService } from '../chord/service.js'
import type { NodeRef } from '../ring/index.js'
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import type { Logger } from '@libp2p/logger'
import type { Multiaddr } from '@multiformats/multiaddr'

export const MEMBERSHIP_PROTOCOL = '/chord-peer/membership/1.0.0'
export const MEMBERSHIP_LIMITS: RpcLimits = { maxMessageBytes: 1024 * 1024, timeoutMs: 10_000 }
/** What a supernode without an acting leader tells a joiner to wait before it asks again. */
export const RETRY_AFTER_MS = 300
/** How often a supernode tries to get a dead member out of the view before it leaves it to the next report. */
const REPORT_ATTEMPTS = 8

export type { RingSettings }

/** What membership needs from the election: who leads, and whether this node may act as the leader. */
export interface Leadership {
  /** The leader this node follows (itself when it leads), if any. */
  leader (): NodeRef | undefined
  /** This node leads and holds a majority lease: it may change the view. */
  acting (): boolean
  /** The current election epoch. */
  epoch (): number
  /** The supernode set changed. */
  setSupernodes (nodes: NodeRef[]): void
}

export interface MembershipInit {
  host: Libp2p
  chord: ChordService
  /** The view to start from: this node alone for a new ring, or the view received when it joined. */
  view: View
  election: Leadership
  /** Where the view is kept between runs (data dir, S3). */
  stores?: ViewStore[]
  log?: Logger
}

/** The supernode side: serve JOIN, LEAVE, GET_VIEW and PUSH_VIEW; lead membership when elected. */
export class MembershipService {
  private view: View
  private readonly log: Logger
  private readonly client: RpcClient<MembershipRequest, MembershipResponse>
  /** Serialises the leader's changes to the view. */
  private queue: Promise<unknown> = Promise.resolve()
  private persisting: Promise<void> = Promise.resolve()
  private stopped = false
  /** Members whose death this node is confirming or reporting now. */
  private readonly reporting = new Set<string>()

  constructor (private readonly init: MembershipInit) {
    this.view = init.view
    this.log = init.log ?? logger('chord-peer:membership')
    this.client = new RpcClient<MembershipRequest, MembershipResponse>({ host: init.host, protocol: MEMBERSHIP_PROTOCOL, request: MembershipRequest, response: MembershipResponse, limits: MEMBERSHIP_LIMITS })
  }

  get current (): View {
    return this.view
  }

  async serve (): Promise<void> {
    this.persist(this.view) // the view we start from (a joiner's first view is not pushed to it again)
    await serveRpc<MembershipRequest, MembershipResponse>(this.init.host, {
      protocol: MEMBERSHIP_PROTOCOL,
      request: MembershipRequest,
      response: MembershipResponse,
      ...MEMBERSHIP_LIMITS,
      log: this.log,
      handler: async (req, connection, signal) => this.handle(req, connection, signal)
    })
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.client.close()
    await this.init.host.unhandle(MEMBERSHIP_PROTOCOL).catch(() => {})
    await this.persisting
  }

  /**
   * This node became the acting leader of `epoch`: take over the view (ours is a replica of the last leader's),
   * and push it so every supernode knows who writes it now.
   */
  async lead (): Promise<void> {
    await this.change(view => ({ ...view, epoch: this.init.election.epoch(), leader: this.init.chord.self }))
  }

  /** Leave the view ourselves (graceful shutdown): through the leader, or directly when we are it. */
  async leave (timeoutMs: number): Promise<void> {
    const self = this.init.chord.self
    if (this.init.election.acting()) {
      await this.change(view => ({ ...view, supernodes: withoutNode(view.supernodes, self.address), members: withoutNode(view.members, self.address) }))
      return
    }
    const others = this.view.supernodes.filter(n => n.address !== self.address)
    await announceLeave(this.init.host, this.init.chord.book, others, timeoutMs)
  }

  /**
   * This node's ring found `node` dead, or a member said so (REPORT_DEAD; DESIGN §4: crashes are repaired by the
   * ring and reported to the leader). If one chord PING from here confirms it, the leader takes it out of the
   * view; a follower reports it to the leader as a forwarded LEAVE. Reports of a node that is not a member, or
   * that answers, change nothing. Supernodes are left alone: they leave the election ring only by a graceful
   * LEAVE, so a crash never shrinks the majority.
   */
  async reportDead (node: NodeRef): Promise<void> {
    if (this.stopped || this.isSupernode(node.address) || !this.view.members.some(m => m.address === node.address)) return
    if (this.reporting.has(node.address)) return
    this.reporting.add(node.address)
    try {
      await this.confirmDead(node)
    } finally {
      this.reporting.delete(node.address)
    }
  }

  private async confirmDead (node: NodeRef): Promise<void> {
    const { chord, election } = this.init
    try {
      await chord.ping(node, { signal: AbortSignal.timeout(1_000) })
      return
    } catch {
      // no answer: it is gone
    }
    // Without an acting leader right now (an election, a lease that lapsed under load), try again for a while.
    for (let attempt = 0; attempt < REPORT_ATTEMPTS && !this.stopped; attempt++) {
      if (election.acting()) {
        await this.remove(node)
        return
      }
      const leader = election.leader()
      if (leader !== undefined && leader.address !== chord.self.address) {
        const req: MembershipRequest = { type: MembershipRequest.Type.LEAVE, peerId: chord.book.peerId(node.address).toMultihash().bytes, addrs: [], supernode: false, forwarded: true }
        const res = await this.client.request(chord.book.peerId(leader.address), dialTarget(chord.book, leader), req).catch(() => undefined)
        if (res?.ok === true) return
      }
      await new Promise(resolve => setTimeout(resolve, RETRY_AFTER_MS * 2 ** Math.min(attempt, 4)).unref())
    }
  }

  private async handle (req: MembershipRequest, connection: Connection, signal: AbortSignal): Promise<MembershipResponse> {
    const { chord } = this.init
    const from = connection.remotePeer
    switch (req.type) {
      case MembershipRequest.Type.GET_VIEW:
        return { ...refusal(''), ok: true, view: viewToWire(chord.book, this.view) }
      case MembershipRequest.Type.PUSH_VIEW: {
        if (!this.isSupernode(from.toString())) return this.reject(`a view pushed by ${from.toString()}, not a known supernode`)
        const view = viewFromWire(chord.space, chord.book, req.view)
        if (!newerView(view, this.view)) return this.reject(`a stale view (epoch ${view.epoch}, version ${view.version}) from ${from.toString()}`)
        this.adopt(view)
        return { ...refusal(''), ok: true }
      }
      case MembershipRequest.Type.JOIN:
      case MembershipRequest.Type.LEAVE: {
        const subject = decodePeerId(req.peerId)
        if (req.forwarded) {
          if (!this.isSupernode(from.toString())) return this.reject(`a forwarded request from ${from.toString()}, not a known supernode`)
        } else if (!subject.equals(from)) {
          return this.reject(`the ${req.type === MembershipRequest.Type.JOIN ? 'join' : 'leave'} request names another peer than the connection`)
        }
        const addrs = decodeAddrs(req.addrs)
        if (this.init.election.acting()) {
          return req.type === MembershipRequest.Type.JOIN
            ? await this.admit(nodeRefOf(chord.space, subject), addrs, req.supernode, signal)
            : await this.remove(nodeRefOf(chord.space, subject))
        }
        const leader = this.init.election.leader()
        if (req.forwarded || leader === undefined || leader.address === chord.self.address) {
          return { ...refusal('no acting leader: an election is in progress'), retryAfterMs: RETRY_AFTER_MS }
        }
        try {
          return await this.client.request(chord.book.peerId(leader.address), dialTarget(chord.book, leader), { ...req, forwarded: true }, { signal })
        } catch (err) {
          return { ...refusal(`the leader did not answer: ${(err as Error).message}`), retryAfterMs: RETRY_AFTER_MS }
        }
      }
      case MembershipRequest.Type.REPORT_DEAD: {
        // Any member may say a node stopped answering (a peer's ring neighbours are often peers); the view
        // changes only if this supernode's own PING fails too, so a false report removes no one.
        if (!this.view.members.some(m => m.address === from.toString())) return this.reject(`a dead-node report from ${from.toString()}, not a member`)
        void this.reportDead(nodeRefOf(chord.space, decodePeerId(req.peerId)))
        return { ...refusal(''), ok: true }
      }
      default:
        return this.reject(`unknown request type ${String(req.type)}`)
    }
  }

  private reject (why: string): MembershipResponse {
    this.log('rejected %s', why)
    return refusal(why)
  }

  private isSupernode (address: string): boolean {
    return this.view.supernodes.some(n => n.address === address)
  }

  /** The leader admits `joiner`: place it, record it, answer. */
  private async admit (joiner: NodeRef, addrs: Multiaddr[], supernode: boolean, signal: AbortSignal): Promise<MembershipResponse> {
    const { chord } = this.init
    return await this.serialised(async () => {
      if (!this.init.election.acting()) return { ...refusal('the leader lost its majority'), retryAfterMs: RETRY_AFTER_MS }
      const peerId = chord.book.peerId(joiner.address)
      chord.book.add(peerId, addrs)
      let successors: NodeRef[]
      try {
        successors = await chord.node.successorsFor(joiner.id, { signal })
      } catch (err) {
        return refusal(`cannot place the joiner: ${(err as Error).message}`)
      }
      const view = await this.changeNow(v => ({
        ...v,
        members: withNode(v.members, joiner),
        supernodes: supernode ? withNode(v.supernodes, joiner) : v.supernodes
      }))
      this.log('admitted %s%s before %s', joiner.address, supernode ? ' (supernode)' : '', successors[0]?.address)
      return {
        ok: true,
        error: '',
        settings: view.settings,
        successors: successors.map(n => toWire(chord.book, n)),
        supernodes: view.supernodes.map(n => toWire(chord.book, n)),
        retryAfterMs: 0,
        ...(supernode ? { view: viewToWire(chord.book, view) } : {})
      }
    })
  }

  private async remove (node: NodeRef): Promise<MembershipResponse> {
    if (!this.view.members.some(m => m.address === node.address) && !this.isSupernode(node.address)) return { ...refusal(''), ok: true }
    await this.change(v => ({ ...v, members: withoutNode(v.members, node.address), supernodes: withoutNode(v.supernodes, node.address) }))
    this.log('%s left the view', node.address)
    return { ...refusal(''), ok: true }
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

  private async changeNow (edit: (view: View) => View): Promise<View> {
    const next = { ...edit(this.view), version: this.view.version + 1 }
    this.adopt(next)
    this.push(next)
    return next
  }

  private adopt (view: View): void {
    const supernodesChanged = view.supernodes.map(n => n.address).join() !== this.view.supernodes.map(n => n.address).join()
    this.view = view
    if (supernodesChanged) this.init.election.setSupernodes(view.supernodes)
    this.persist(view)
  }

  /** Send `view` to every other supernode, best effort: a supernode that misses it catches up on the next heartbeat. */
  push (view: View = this.view, to: NodeRef[] = view.supernodes): void {
    const { chord } = this.init
    const wire = viewToWire(chord.book, view)
    for (const node of to) {
      if (node.address === chord.self.address) continue
      this.client.request(chord.book.peerId(node.address), dialTarget(chord.book, node), { type: MembershipRequest.Type.PUSH_VIEW, peerId: new Uint8Array(0), addrs: [], supernode: false, forwarded: false, view: wire })
        .then(res => { if (!res.ok) this.log('%s refused view %d: %s', node.address, view.version, res.error) })
        .catch(err => { this.log('cannot push view %d to %s: %s', view.version, node.address, (err as Error).message) })
    }
  }

  private persist (view: View): void {
    const stores = this.init.stores ?? []
    if (stores.length === 0 || this.stopped) return
    const json = viewToJson(this.init.chord.book, view)
    // Writes are chained, so the last one written is the newest view.
    this.persisting = this.persisting.then(async () => {
      await Promise.all(stores.map(async s => s.save(json).catch(err => { this.log('cannot save the view to %s: %s', s.where, (err as Error).message) })))
    })
  }
}

function refusal (error: string): MembershipResponse {
  return { ok: false, error, successors: [], supernodes: [], retryAfterMs: 0 }
}

function dialTarget (book: AddressBook, node: NodeRef): Multiaddr[] | PeerId {
  const addrs = book.get(node.address)?.addrs ?? []
  return addrs.length > 0 ? addrs.map(a => a.encapsulate(`/p2p/${node.address}`)) : book.peerId(node.address)
}

// ---- the joiner's side ------------------------------------------------------------------------------------------

export interface Admission {
  settings: RingSettings
  successors: NodeRef[]
  supernodes: NodeRef[]
  /** For a supernode: the view it starts from. */
  view?: View
}

export interface JoinOptions {
  host: Libp2p
  /** Supernodes to ask, in order: multiaddrs with /p2p/<id>. */
  bootstrap: Multiaddr[]
  /** Join the supernode group too. */
  supernode?: boolean
  /** Keep retrying unreachable supernodes until this long has passed (ms). */
  timeoutMs: number
  /** Called after each failed round, with the error. */
  onRetry?: (err: Error, attempt: number) => void
  signal?: AbortSignal
}

/**
 * Ask the supernodes in turn until one admits us. An unreachable supernode, or one without an acting leader
 * (`retry_after_ms`), is retried with backoff until `timeoutMs`; any other refusal is final.
 */
export async function requestAdmission (opts: JoinOptions, decode: (res: MembershipResponse) => Admission): Promise<Admission> {
  const deadline = Date.now() + opts.timeoutMs
  const req: MembershipRequest = {
    type: MembershipRequest.Type.JOIN,
    peerId: opts.host.peerId.toMultihash().bytes,
    addrs: opts.host.getMultiaddrs().slice(0, MAX_ADDRS).map(a => a.decapsulateCode(421).bytes),
    supernode: opts.supernode === true,
    forwarded: false
  }
  let lastError: Error = new JoinFailedError('no supernode given')
  let answered = false
  for (let attempt = 1; ; attempt++) {
    let wait = 0
    for (const addr of opts.bootstrap) {
      opts.signal?.throwIfAborted()
      let res: MembershipResponse
      try {
        res = await request<MembershipRequest, MembershipResponse>(opts.host, [addr], MEMBERSHIP_PROTOCOL, req, { request: MembershipRequest, response: MembershipResponse }, MEMBERSHIP_LIMITS, { signal: opts.signal })
      } catch (err) {
        lastError = err as Error
        continue
      }
      if (res.ok) return decode(res)
      if (res.retryAfterMs > 0) {
        answered = true
        lastError = new JoinFailedError(`supernode ${addr.toString()}: ${res.error}`)
        wait = Math.max(wait, res.retryAfterMs)
        continue
      }
      throw new JoinFailedError(`supernode ${addr.toString()} refused the join: ${res.error}`)
    }
    opts.onRetry?.(lastError, attempt)
    const remaining = deadline - Date.now()
    if (remaining <= 0) {
      const what = answered ? 'no supernode could admit us (no acting leader)' : 'no supernode answered'
      throw new JoinFailedError(`${what} within ${Math.round(opts.timeoutMs / 1000)} s: ${lastError.message}`, { cause: lastError })
    }
    // Back off 250 ms, 500 ms, 1 s, then every 2 s (or as told); the last try lands on the deadline.
    await new Promise(resolve => setTimeout(resolve, Math.min(Math.max(wait, 250 * 2 ** (attempt - 1)), 2_000, remaining)))
  }
}

/** Decode an admission reply against a ChordService's id space and address book. */
export function admissionDecoder (chord: { space: ChordService['space'], book: AddressBook }) {
  return (res: MembershipResponse): Admission => {
    if (res.settings === undefined || res.successors.length === 0) throw new JoinFailedError('the supernode sent an incomplete admission')
    return {
      settings: res.settings,
      successors: fromWireList(chord.space, chord.book, res.successors),
      supernodes: fromWireList(chord.space, chord.book, res.supernodes),
      ...(res.view !== undefined ? { view: viewFromWire(chord.space, chord.book, res.view) } : {})
    }
  }
}

/** Tell the leader (through the first supernode that answers) that this node leaves. Best effort within `timeoutMs`. */
export async function announceLeave (host: Libp2p, book: AddressBook, supernodes: readonly NodeRef[], timeoutMs: number): Promise<boolean> {
  const req: MembershipRequest = { type: MembershipRequest.Type.LEAVE, peerId: host.peerId.toMultihash().bytes, addrs: [], supernode: false, forwarded: false }
  return await tellSupernodes(host, book, supernodes, req, timeoutMs)
}

/** A peer tells the first supernode that takes it that `node` stopped answering (REPORT_DEAD). */
export async function reportDeadTo (host: Libp2p, book: AddressBook, supernodes: readonly NodeRef[], node: NodeRef, timeoutMs: number): Promise<boolean> {
  const req: MembershipRequest = { type: MembershipRequest.Type.REPORT_DEAD, peerId: book.peerId(node.address).toMultihash().bytes, addrs: [], supernode: false, forwarded: false }
  return await tellSupernodes(host, book, supernodes.filter(s => s.address !== node.address), req, timeoutMs)
}

/** Send `req` to each of `supernodes` in turn until one answers ok; false when none did within `timeoutMs`. */
async function tellSupernodes (host: Libp2p, book: AddressBook, supernodes: readonly NodeRef[], req: MembershipRequest, timeoutMs: number): Promise<boolean> {
  const signal = AbortSignal.timeout(timeoutMs)
  for (const node of supernodes) {
    try {
      const res = await request<MembershipRequest, MembershipResponse>(host, dialTarget(book, node), MEMBERSHIP_PROTOCOL, req, { request: MembershipRequest, response: MembershipResponse }, MEMBERSHIP_LIMITS, { signal })
      if (res.ok) return true
    } catch {
      if (signal.aborted) return false
    }
  }
  return false
}

/** Ask `node` for its view (GET_VIEW). */
export async function fetchView (host: Libp2p, chord: { space: ChordService['space'], book: AddressBook }, node: NodeRef, signal: AbortSignal): Promise<View> {
  const req: MembershipRequest = { type: MembershipRequest.Type.GET_VIEW, peerId: new Uint8Array(0), addrs: [], supernode: false, forwarded: false }
  const res = await request<MembershipRequest, MembershipResponse>(host, dialTarget(chord.book, node), MEMBERSHIP_PROTOCOL, req, { request: MembershipRequest, response: MembershipResponse }, MEMBERSHIP_LIMITS, { signal })
  if (!res.ok) throw new JoinFailedError(`${node.address} refused GET_VIEW: ${res.error}`)
  return viewFromWire(chord.space, chord.book, res.view)
}
