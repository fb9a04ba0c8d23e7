// The simulator's network: an in-memory implementation of the ring core's `Transport` (go-chord's in-process
// transport, STYLE.md item 2). Every remote call is a direct call of the target ChordNode's handler; a call to a
// dead or unknown node rejects with UnreachableError at once (a timeout costs no simulated time here). It also
// counts every message and its size, so the drivers can report maintenance traffic.
//
// Sizes are the real wire messages of /chord-peer/chord/2.0.0: each request and reply is built as the libp2p
// service builds it (protocols/chord.ts) and measured with `ChordRequest.encode(msg).byteLength` (or
// ChordResponse) plus its varint length prefix. Every `Peer` in them is a full one: a 38-byte Ed25519 PeerId, one
// /ip4/…/tcp address and a signed MemberCert (`wirePeer`). GET_STATE follows the production rules: the asker
// sends the digest of the last full answer it had from that node (src/chord/state-cache.ts, as many entries),
// and gets `unchanged` while that node's predecessor and list are the same (the certificates never change here).
// An answer that changed goes without the certificates of the nodes the asker's earlier answer listed, when the
// answering node still remembers that answer among its last RECENT_REPLIES full ones (`RecentReplies`).
// Not counted: connection setup (TCP, noise handshake, multistream-select, identify), stream opening and closing,
// TCP/IP headers. The figure "on the wire" adds `WIRE_BYTES_PER_MESSAGE` per message: its yamux data frame
// header (12 bytes) in one noise message (16-byte tag, 2-byte length), and the yamux WINDOW_UPDATE frame the
// receiver sends back after every data frame it reads (@chainsafe/libp2p-yamux `handleData`), another 30.
import { UnreachableError } from '../src/errors.js'
import { ChordRequest, ChordResponse, type Peer } from '../protocols/chord.js'
import { MemberCert, Role } from '../protocols/trust.js'
import { DIGEST_BYTES, MAX_CACHED_STATES, RECENT_REPLIES, StateCache, stateKey } from '../src/chord/state-cache.js'
import type { ChordNode } from '../src/ring/node.js'
import type {
  AbortOptions, FindOptions, FindResult, GetStateOptions, LeaveInfo, NodeRef, RemoteState, Transport
} from '../src/ring/types.js'

export type RpcKind = 'findSuccessor' | 'getState' | 'notify' | 'ping' | 'leave' | 'unify'

/** Messages and bytes, for one kind of call or one task. */
export interface Traffic {
  /** Remote calls (byKind) or messages (byTask). */
  calls: number
  /** Bytes on the wire: payload plus WIRE_BYTES_PER_MESSAGE per message. */
  bytes: number
  /** Protobuf bytes plus length prefixes. */
  payload: number
}

/** Messages and bytes, per remote call kind and per task (a request and its reply count as one message each). */
export interface TrafficStats {
  messages: number
  /** On the wire: payload + WIRE_BYTES_PER_MESSAGE per message. */
  bytes: number
  /** Protobuf messages with their length prefixes. */
  payload: number
  failed: number
  byKind: Record<RpcKind, Traffic>
  /** By the task that caused the message (SimNetwork.task when it was sent). */
  byTask: Record<string, Traffic>
}

/** yamux frame header (12) + noise tag (16) and length (2), per message. */
export const FRAMING_BYTES = 30
/** A message's own framing, and the yamux WINDOW_UPDATE (a bare frame header, framed by noise) it is answered with. */
export const WIRE_BYTES_PER_MESSAGE = 2 * FRAMING_BYTES
/** Bytes of the PeerId of an Ed25519 key (identity multihash of its protobuf public key). */
export const PEER_ID_BYTES = 38

/**
 * The `Peer` every simulated node is on the wire: real sizes (a 38-byte PeerId, one /ip4/…/tcp address, a
 * signed PEER certificate naming it, its address, epoch, expiry and a 38-byte issuer), placeholder bytes.
 */
export function wirePeer (): Peer {
  const peerId = new Uint8Array(PEER_ID_BYTES).fill(7)
  const addr = new Uint8Array([4, 127, 0, 0, 1, 6, 0x9c, 0x41]) // /ip4/127.0.0.1/tcp/40001
  const cert = MemberCert.encode({
    peerId,
    role: Role.PEER,
    addrs: [addr],
    epoch: 3n,
    expires: BigInt(Date.UTC(2026, 0, 1)),
    issuer: new Uint8Array(PEER_ID_BYTES).fill(9),
    signature: new Uint8Array(64).fill(1)
  })
  return { peerId, addrs: [addr], cert }
}

/** A varint-length-prefixed frame of `n` bytes. */
export function framed (n: number): number {
  let prefix = 1
  for (let v = n; v >= 0x80; v = Math.floor(v / 0x80)) prefix++
  return n + prefix
}

/**
 * A GET_STATE answer as the asker holds it: the predecessor's id and the successor list as answered. The list is
 * the answering node's own array (ChordState replaces its list on a change, never edits it), so it keeps its
 * content, and while the node still has that array an unchanged answer is recognised without reading its nodes.
 */
interface SeenState { predecessor?: bigint, successors: readonly NodeRef[] }

/** A full GET_STATE answer a node sent, for the successor limit it was asked with. */
interface SentState extends SeenState { max?: number }

export class SimNetwork implements Transport {
  private readonly nodes = new Map<string, ChordNode>()
  private readonly dead = new Set<string>()
  /** While the network is split: the side of each address (addresses on no side reach everyone). */
  private sides?: ReadonlyMap<string, number>
  private readonly keyBytes: number
  /** Message sizes by shape (a name, or a `shape` number for the frequent ones), each measured once with the real encoder. */
  private readonly sizes = new Map<string | number, number>()
  /** stateKey(address, max) for each limit `max` asked with, made once per node (see stateKeyOf). */
  private readonly limitedStateKeys = new Map<number, Map<string, string>>()
  private readonly peer = wirePeer()
  /** Per asker: the GET_STATE answers it holds, as the messenger's StateCache does. */
  private readonly seen = new Map<string, StateCache<SeenState>>()
  /** Per answering node: its last RECENT_REPLIES distinct full answers, oldest first (src/chord/state-cache.ts). */
  private readonly sent = new Map<string, SentState[]>()
  stats: TrafficStats = emptyStats()
  /** The task the next messages are counted under (the drivers set it before each task runs). */
  task = 'other'

  /**
   * `stateDigests: false` models a node that sends no digest with GET_STATE (one older than the `known` field):
   * every answer is the full one. `certDeltas: false` models a node that resends every certificate in an answer
   * that changed (one older than RecentReplies).
   */
  constructor (m: number, private readonly init: { stateDigests?: boolean, certDeltas?: boolean } = {}) {
    this.keyBytes = Math.ceil(m / 8)
  }

  add (node: ChordNode): void {
    if (this.nodes.has(node.self.address)) throw new Error(`address ${node.self.address} is already on the network`)
    this.nodes.set(node.self.address, node)
  }

  /** Crash a node: it stays in the map (its state is kept for inspection) but every call to it rejects. */
  kill (address: string): void {
    if (!this.nodes.has(address)) throw new Error(`no node at ${address}`)
    this.dead.add(address)
    this.seen.delete(address)
    this.sent.delete(address)
  }

  /**
   * Split the network: from now on a call from a node on one side to a node on another rejects, as to a dead
   * node, until `heal`. Only calls made through `from(address)` know their sender (Simulation's nodes use it).
   */
  split (sides: ReadonlyMap<string, number>): void {
    this.sides = sides
  }

  heal (): void {
    this.sides = undefined
  }

  /** The network as the node at `from` reaches it: its calls across a split reject; its GET_STATEs send digests. */
  from (from: string): Transport {
    const cut = (to: NodeRef): boolean => {
      const a = this.sides?.get(from)
      const b = this.sides?.get(to.address)
      return a !== undefined && b !== undefined && a !== b
    }
    // Plain functions, as above: no extra microtask per call.
    return {
      findSuccessor: (to, key, o) => cut(to) ? unreachable(to) : this.findSuccessor(to, key, o),
      getState: (to, o) => cut(to) ? unreachable(to) : this.getStateFrom(from, to, o),
      notify: (to, self, o) => cut(to) ? unreachable(to) : this.notify(to, self, o),
      ping: (to, o) => cut(to) ? unreachable(to) : this.ping(to, o),
      leave: (to, info, o) => cut(to) ? unreachable(to) : this.leave(to, info, o),
      unify: (to, contact, o) => cut(to) ? unreachable(to) : this.unify(to, contact, o)
    }
  }

  isLive (ref: NodeRef): boolean {
    return this.nodes.has(ref.address) && !this.dead.has(ref.address)
  }

  node (address: string): ChordNode | undefined {
    return this.nodes.get(address)
  }

  liveNodes (): ChordNode[] {
    return [...this.nodes.values()].filter(n => !this.dead.has(n.self.address))
  }

  resetStats (): void {
    this.stats = emptyStats()
  }

  // ---- Transport --------------------------------------------------------------------------------------------
  // Plain (non-async) functions returning settled promises: one microtask per call and no extra frames.

  findSuccessor (to: NodeRef, key: bigint, options?: FindOptions): Promise<FindResult> {
    const max = options?.nodes === undefined ? undefined : Math.max(1, options.nodes)
    const target = this.reach(to, 'findSuccessor', this.size(shape(Shape.findRequest, max), () => ChordRequest.encode(request({
      type: ChordRequest.Type.FIND_SUCCESSOR, key: new Uint8Array(this.keyBytes), maxNodes: max
    }))))
    if (target === undefined) return unreachable(to)
    const all = target.handleFindSuccessor(key)
    const reply = all.found && max !== undefined && all.nodes.length > max ? { found: true, nodes: all.nodes.slice(0, max) } : all
    this.count('findSuccessor', this.size(shape(Shape.findReply, reply.found ? 1 : 0, reply.nodes.length), () =>
      ChordResponse.encode(response({ found: reply.found, nodes: reply.nodes.map(() => this.peer) }))))
    return Promise.resolve(reply)
  }

  /** GET_STATE from an unknown sender: no digest, the full answer. */
  getState (to: NodeRef, options?: GetStateOptions): Promise<RemoteState> {
    return this.getStateFrom(undefined, to, options)
  }

  private getStateFrom (from: string | undefined, to: NodeRef, options?: GetStateOptions): Promise<RemoteState> {
    const max = options?.successors
    const cache = from === undefined || this.init.stateDigests === false ? undefined : this.cacheOf(from)
    const key = this.stateKeyOf(to.address, max)
    const held = cache?.get(key)
    const target = this.reach(to, 'getState', this.size(shape(Shape.stateRequest, held === undefined ? 0 : 1, max), () =>
      ChordRequest.encode(request({
        type: ChordRequest.Type.GET_STATE,
        known: held === undefined ? undefined : new Uint8Array(DIGEST_BYTES),
        maxSuccessors: max
      }))))
    if (target === undefined) return unreachable(to)
    const full = target.handleGetState()
    const reply = max === undefined ? full : { ...full, successors: full.successors.slice(0, max) }
    if (held !== undefined && sameState(held.value, reply)) {
      this.count('getState', this.size('gs:unchanged', () => ChordResponse.encode(response({ unchanged: true }))))
    } else {
      cache?.set(key, NO_DIGEST, { predecessor: reply.predecessor?.id, successors: reply.successors })
      // Without the certificates of the nodes the earlier answer listed, if the node still remembers it.
      const before = held === undefined ? undefined : this.remembered(to.address, held.value, max)
      const omitted = before === undefined ? 0 : countHeld(reply, before)
      if (this.init.stateDigests !== false && this.init.certDeltas !== false) this.remember(to.address, reply, max)
      const p = reply.predecessor === undefined ? 0 : 1
      const n = reply.successors.length
      this.count('getState', omitted === 0
        ? this.size(shape(Shape.stateReply, p, n), () => this.stateReply(reply, 0))
        : this.size(`gs:${p}:${n}:${omitted}`, () => this.stateReply(reply, omitted)))
    }
    return Promise.resolve(reply)
  }

  /** A GET_STATE answer with `reply`'s peers, `omitted` of them without their certificate. */
  private stateReply (reply: RemoteState, omitted: number): Uint8Array {
    const bare = { ...this.peer, cert: new Uint8Array(0) }
    const peers = [reply.predecessor, ...reply.successors].filter(n => n !== undefined).map((_, i) => i < omitted ? bare : this.peer)
    return ChordResponse.encode(response({
      predecessor: reply.predecessor === undefined ? undefined : peers.shift(),
      successors: peers
    }))
  }

  /** The full answer `state` (for limit `max`) if `address` still remembers sending it. */
  private remembered (address: string, state: SeenState, max: number | undefined): SeenState | undefined {
    return this.sent.get(address)?.find(s => s.max === max && sameSeen(s, state))
  }

  /** `address` sent the full answer `reply` (for limit `max`): it is now the most recent of the ones it remembers. */
  private remember (address: string, reply: RemoteState, max: number | undefined): void {
    let list = this.sent.get(address)
    if (list === undefined) this.sent.set(address, list = [])
    const entry: SentState = { max, predecessor: reply.predecessor?.id, successors: reply.successors }
    const i = list.findIndex(s => s.max === max && sameSeen(s, entry))
    if (i >= 0) list.splice(i, 1)
    list.push(entry)
    if (list.length > RECENT_REPLIES) list.shift()
  }

  notify (to: NodeRef, self: NodeRef, options?: AbortOptions): Promise<void> {
    const target = this.reach(to, 'notify', this.size('notify', () => ChordRequest.encode(request({
      type: ChordRequest.Type.NOTIFY, addrs: this.peer.addrs
    }))))
    if (target === undefined) return unreachable(to)
    this.count('notify', this.emptyReply())
    return target.handleNotify(self, options)
  }

  ping (to: NodeRef, _options?: AbortOptions): Promise<void> {
    const target = this.reach(to, 'ping', this.size('ping', () => ChordRequest.encode(request({ type: ChordRequest.Type.PING }))))
    if (target === undefined) return unreachable(to)
    this.count('ping', this.emptyReply())
    return Promise.resolve()
  }

  leave (to: NodeRef, info: LeaveInfo, _options?: AbortOptions): Promise<void> {
    const target = this.reach(to, 'leave', this.size(`leave:${info.predecessor === undefined ? 0 : 1}:${info.successors.length}`, () =>
      ChordRequest.encode(request({
        type: ChordRequest.Type.LEAVE,
        predecessor: info.predecessor === undefined ? undefined : this.peer,
        successors: info.successors.map(() => this.peer)
      }))))
    if (target === undefined) return unreachable(to)
    target.handleLeave(info)
    this.count('leave', this.emptyReply())
    return Promise.resolve()
  }

  unify (to: NodeRef, contact: NodeRef, _options?: AbortOptions): Promise<void> {
    const target = this.reach(to, 'unify', this.size('unify', () => ChordRequest.encode(request({
      type: ChordRequest.Type.UNIFY, contact: this.peer
    }))))
    if (target === undefined) return unreachable(to)
    target.handleUnify(contact)
    this.count('unify', this.emptyReply())
    return Promise.resolve()
  }

  /**
   * stateKey(address, max), the key the asker's cache holds an answer under. The limited ones (fix_fingers asks
   * for the predecessor alone) are made once per node: building one per GET_STATE was a string to hash each time.
   */
  private stateKeyOf (address: string, max: number | undefined): string {
    if (max === undefined) return stateKey(address)
    let keys = this.limitedStateKeys.get(max)
    if (keys === undefined) this.limitedStateKeys.set(max, keys = new Map())
    let key = keys.get(address)
    if (key === undefined) keys.set(address, key = stateKey(address, max))
    return key
  }

  private cacheOf (from: string): StateCache<SeenState> {
    let cache = this.seen.get(from)
    if (cache === undefined) this.seen.set(from, cache = new StateCache<SeenState>(MAX_CACHED_STATES))
    return cache
  }

  private emptyReply (): number {
    return this.size('empty', () => ChordResponse.encode(response({})))
  }

  /** The framed size of the message of shape `shape`, encoded once by `encode`. */
  private size (shape: string | number, encode: () => Uint8Array): number {
    let n = this.sizes.get(shape)
    if (n === undefined) this.sizes.set(shape, n = framed(encode().byteLength))
    return n
  }

  /**
   * Count the request; return the target when it is live. A call to a crashed or unknown node costs no bytes:
   * its connection is gone, and a dial to it carries no payload (it costs the caller a timeout instead).
   */
  private reach (to: NodeRef, kind: RpcKind, payload: number): ChordNode | undefined {
    const target = this.dead.has(to.address) ? undefined : this.nodes.get(to.address)
    if (target === undefined) this.stats.failed++
    else this.add1(kind, payload, true)
    return target
  }

  /** Count a reply. */
  private count (kind: RpcKind, payload: number): void {
    this.add1(kind, payload, false)
  }

  private add1 (kind: RpcKind, payload: number, call: boolean): void {
    const bytes = payload + WIRE_BYTES_PER_MESSAGE
    const s = this.stats
    s.messages++
    s.payload += payload
    s.bytes += bytes
    const k = s.byKind[kind]
    if (call) k.calls++
    k.payload += payload
    k.bytes += bytes
    const t = s.byTask[this.task] ??= { calls: 0, bytes: 0, payload: 0 }
    t.calls++
    t.payload += payload
    t.bytes += bytes
  }
}

const NO_DIGEST = new Uint8Array(0)

/** Kinds of the messages sent most, whose sizes are looked up by a number rather than a string made per message. */
const Shape = { findRequest: 1, findReply: 2, stateRequest: 3, stateReply: 4 } as const

/** The shape of a message: its kind and up to two counts (each below 2^20 - 1, or undefined). */
function shape (kind: number, a: number | undefined, b?: number): number {
  return (kind * 2 ** 20 + (a ?? -1) + 1) * 2 ** 20 + (b ?? -1) + 1
}

/** How many of `reply`'s peers `before` listed too (their certificates never change here). */
function countHeld (reply: RemoteState, before: SeenState): number {
  let n = 0
  for (const node of [reply.predecessor, ...reply.successors]) {
    if (node !== undefined && (node.id === before.predecessor || before.successors.some(s => s.id === node.id))) n++
  }
  return n
}

/** Are two answers the same (same predecessor, same successors in the same order)? */
function sameSeen (a: SeenState, b: SeenState): boolean {
  if (a.predecessor !== b.predecessor) return false
  if (a.successors === b.successors) return true
  if (a.successors.length !== b.successors.length) return false
  for (let i = 0; i < a.successors.length; i++) if (a.successors[i].id !== b.successors[i].id) return false
  return true
}

/** Is the answer `b` the one the asker holds as `a` (same predecessor, same successors in the same order)? */
function sameState (a: SeenState, b: RemoteState): boolean {
  if (a.predecessor !== b.predecessor?.id) return false
  if (a.successors === b.successors) return true
  if (a.successors.length !== b.successors.length) return false
  for (let i = 0; i < a.successors.length; i++) if (a.successors[i].id !== b.successors[i].id) return false
  return true
}

function request (fields: Partial<ChordRequest>): ChordRequest {
  return { type: ChordRequest.Type.PING, key: new Uint8Array(0), addrs: [], successors: [], ...fields }
}

function response (fields: Partial<ChordResponse>): ChordResponse {
  return { found: false, nodes: [], successors: [], unchanged: false, ...fields }
}

function unreachable (to: NodeRef): Promise<never> {
  return Promise.reject(new UnreachableError(`${to.address} is down`))
}

function emptyStats (): TrafficStats {
  const kind = (): Traffic => ({ calls: 0, bytes: 0, payload: 0 })
  return {
    messages: 0,
    bytes: 0,
    payload: 0,
    failed: 0,
    byKind: { findSuccessor: kind(), getState: kind(), notify: kind(), ping: kind(), leave: kind(), unify: kind() },
    byTask: {}
  }
}
