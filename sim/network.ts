// The simulator's network: an in-memory implementation of the ring core's `Transport` (go-chord's in-process
// transport, STYLE.md item 2). Every remote call is a direct call of the target ChordNode's handler; a call to a
// dead or unknown node rejects with UnreachableError at once (a timeout costs no simulated time here). It also
// counts messages and estimates their bytes on the wire, so the driver can report maintenance traffic.
import { UnreachableError } from '../src/errors.js'
import type { ChordNode } from '../src/ring/node.js'
import type { AbortOptions, FindResult, LeaveInfo, NodeRef, RemoteState, Transport } from '../src/ring/types.js'

export type RpcKind = 'findSuccessor' | 'getState' | 'notify' | 'ping' | 'leave' | 'unify'

/** Messages and estimated bytes, per remote call kind (a request and its reply count as one message each). */
export interface TrafficStats {
  messages: number
  bytes: number
  failed: number
  byKind: Record<RpcKind, { calls: number, bytes: number }>
}

/**
 * The wire-size model (an estimate, not a measurement): an id is ceil(m/8) bytes, an address is a libp2p
 * PeerId (38-byte identity multihash of an Ed25519 key), a NodeRef costs both plus 4 bytes of protobuf
 * framing, and every message carries `MESSAGE_OVERHEAD` bytes of length prefix, type, yamux (12) and noise
 * (16-byte tag + 2-byte length) framing. Stream opening and connection setup are not counted.
 */
export const ADDRESS_BYTES = 38
export const MESSAGE_OVERHEAD = 40

export class SimNetwork implements Transport {
  private readonly nodes = new Map<string, ChordNode>()
  private readonly dead = new Set<string>()
  /** While the network is split: the side of each address (addresses on no side reach everyone). */
  private sides?: ReadonlyMap<string, number>
  private readonly idBytes: number
  private readonly refBytes: number
  stats: TrafficStats = emptyStats()

  constructor (m: number) {
    this.idBytes = Math.ceil(m / 8)
    this.refBytes = this.idBytes + ADDRESS_BYTES + 4
  }

  add (node: ChordNode): void {
    if (this.nodes.has(node.self.address)) throw new Error(`address ${node.self.address} is already on the network`)
    this.nodes.set(node.self.address, node)
  }

  /** Crash a node: it stays in the map (its state is kept for inspection) but every call to it rejects. */
  kill (address: string): void {
    if (!this.nodes.has(address)) throw new Error(`no node at ${address}`)
    this.dead.add(address)
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

  /** The network as the node at `from` reaches it: its calls across a split reject. */
  from (from: string): Transport {
    const cut = (to: NodeRef): boolean => {
      const a = this.sides?.get(from)
      const b = this.sides?.get(to.address)
      return a !== undefined && b !== undefined && a !== b
    }
    // Plain functions, as above: no extra microtask per call.
    return {
      findSuccessor: (to, key, o) => cut(to) ? unreachable(to) : this.findSuccessor(to, key, o),
      getState: (to, o) => cut(to) ? unreachable(to) : this.getState(to, o),
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

  findSuccessor (to: NodeRef, key: bigint, _options?: AbortOptions): Promise<FindResult> {
    const target = this.reach(to, 'findSuccessor', this.idBytes)
    if (target === undefined) return unreachable(to)
    const reply = target.handleFindSuccessor(key)
    this.count('findSuccessor', 1 + reply.nodes.length * this.refBytes)
    return Promise.resolve(reply)
  }

  getState (to: NodeRef, _options?: AbortOptions): Promise<RemoteState> {
    const target = this.reach(to, 'getState', 0)
    if (target === undefined) return unreachable(to)
    const reply = target.handleGetState()
    this.count('getState', (reply.predecessor === undefined ? 0 : this.refBytes) + reply.successors.length * this.refBytes)
    return Promise.resolve(reply)
  }

  notify (to: NodeRef, self: NodeRef, options?: AbortOptions): Promise<void> {
    const target = this.reach(to, 'notify', this.refBytes)
    if (target === undefined) return unreachable(to)
    this.count('notify', 0)
    return target.handleNotify(self, options)
  }

  ping (to: NodeRef, _options?: AbortOptions): Promise<void> {
    const target = this.reach(to, 'ping', 0)
    if (target === undefined) return unreachable(to)
    this.count('ping', 0)
    return Promise.resolve()
  }

  leave (to: NodeRef, info: LeaveInfo, _options?: AbortOptions): Promise<void> {
    const size = this.refBytes * (1 + (info.predecessor === undefined ? 0 : 1) + info.successors.length)
    const target = this.reach(to, 'leave', size)
    if (target === undefined) return unreachable(to)
    target.handleLeave(info)
    this.count('leave', 0)
    return Promise.resolve()
  }

  unify (to: NodeRef, contact: NodeRef, _options?: AbortOptions): Promise<void> {
    const target = this.reach(to, 'unify', this.refBytes)
    if (target === undefined) return unreachable(to)
    target.handleUnify(contact)
    this.count('unify', 0)
    return Promise.resolve()
  }

  /** Count the request; return the target when it is live. */
  private reach (to: NodeRef, kind: RpcKind, requestBytes: number): ChordNode | undefined {
    const bytes = MESSAGE_OVERHEAD + requestBytes
    this.stats.messages++
    this.stats.bytes += bytes
    this.stats.byKind[kind].calls++
    this.stats.byKind[kind].bytes += bytes
    if (this.dead.has(to.address)) { this.stats.failed++; return undefined }
    const target = this.nodes.get(to.address)
    if (target === undefined) this.stats.failed++
    return target
  }

  /** Count a reply. */
  private count (kind: RpcKind, replyBytes: number): void {
    const bytes = MESSAGE_OVERHEAD + replyBytes
    this.stats.messages++
    this.stats.bytes += bytes
    this.stats.byKind[kind].bytes += bytes
  }
}

function unreachable (to: NodeRef): Promise<never> {
  return Promise.reject(new UnreachableError(`${to.address} is down`))
}

function emptyStats (): TrafficStats {
  const kind = (): { calls: number, bytes: number } => ({ calls: 0, bytes: 0 })
  return {
    messages: 0,
    bytes: 0,
    failed: 0,
    byKind: { findSuccessor: kind(), getState: kind(), notify: kind(), ping: kind(), leave: kind(), unify: kind() }
  }
}
