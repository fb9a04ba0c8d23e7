// The typed outbound side of /chord-peer/chord/2.0.0: the ring core's Transport over libp2p streams
// (go-libp2p-kad-dht's protocol_messenger). Calls addressed to this node are answered locally.
import { ChordRequest, ChordResponse } from '../../protocols/chord.js'
import { RpcClient, type RpcLimits } from '../net/rpc.js'
import { InvalidMessageError } from '../errors.js'
import { StateCache, stateDigest, stateKey, withHeldCerts } from './state-cache.js'
import { decodePeerId, MAX_ADDRS, MAX_PEERS, type PeerDirectory } from './wire.js'
import type {
  AbortOptions, ChordNode, FindOptions, FindResult, GetStateOptions, LeaveInfo, NodeRef, RemoteState, Transport
} from '../ring/index.js'
import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export const CHORD_PROTOCOL = '/chord-peer/chord/2.0.0'

export interface MessengerInit {
  host: Libp2p
  peers: PeerDirectory
  limits: RpcLimits
  /** Our own listen addresses, sent with NOTIFY. */
  selfAddrs: () => Multiaddr[]
}

export class ChordMessenger implements Transport {
  /** Set once the local ChordNode exists; calls to ourselves go straight to it. */
  local?: ChordNode
  private readonly rpc: RpcClient<ChordRequest, ChordResponse>
  private readonly peers: PeerDirectory
  /** The last full GET_STATE answer of each node asked lately, to send its digest with the next GET_STATE. */
  private readonly states = new StateCache<RemoteState>()

  constructor (private readonly init: MessengerInit) {
    this.peers = init.peers
    this.rpc = new RpcClient<ChordRequest, ChordResponse>({
      host: init.host, protocol: CHORD_PROTOCOL, request: ChordRequest, response: ChordResponse, limits: init.limits
    })
  }

  /** Drop pooled streams (on shutdown). */
  close (): void {
    this.rpc.close()
  }

  async findSuccessor (to: NodeRef, key: bigint, options?: FindOptions): Promise<FindResult> {
    const max = options?.nodes === undefined ? undefined : Math.max(1, Math.min(options.nodes, MAX_PEERS))
    if (this.isLocal(to)) return cut(this.local!.handleFindSuccessor(key), max)
    const res = await this.call(to, { type: ChordRequest.Type.FIND_SUCCESSOR, key: this.peers.space.toBytes(key), maxNodes: max }, options)
    // A node older than max_nodes sends every node: keep what was asked for.
    return cut({ found: res.found, nodes: this.peers.membersFromWire(res.nodes) }, max)
  }

  /**
   * GET_STATE, sending the digest of the last full answer `to` gave (src/chord/state-cache.ts): a node whose
   * state has not changed answers `unchanged`, and the answer kept from before is used, less any node whose
   * certificate this node no longer holds as valid.
   */
  async getState (to: NodeRef, options?: GetStateOptions): Promise<RemoteState> {
    if (this.isLocal(to)) {
      const st = this.local!.handleGetState()
      return options?.successors === undefined ? st : { ...st, successors: st.successors.slice(0, options.successors) }
    }
    const max = options?.successors === undefined ? undefined : Math.max(0, Math.min(options.successors, MAX_PEERS))
    const key = stateKey(to.address, max)
    const cached = this.states.get(key)
    const res = await this.call(to, { type: ChordRequest.Type.GET_STATE, known: cached?.digest, maxSuccessors: max }, options)
    if (res.unchanged) {
      if (cached === undefined) throw new InvalidMessageError('GET_STATE answered unchanged, but no digest was sent')
      const { predecessor, successors } = cached.value
      return {
        predecessor: predecessor !== undefined && this.peers.isMember(predecessor.address) ? predecessor : undefined,
        successors: successors.filter(n => this.peers.isMember(n.address))
      }
    }
    const predecessor = res.predecessor === undefined ? [] : this.peers.membersFromWire([res.predecessor])
    // A node older than max_successors sends its whole list: keep what was asked for.
    const state = { predecessor: predecessor[0], successors: this.peers.membersFromWire(res.successors).slice(0, max) }
    // Peers sent without a certificate are ones this node held (the answer left out what the one `known` names
    // carried): put back the ones it holds, so that the digest is the full answer's, as the receiver takes it.
    // A node whose certificate this node does not hold stays out of the state (membersFromWire) and out of the
    // digest, which then matches nothing, and the next answer comes full.
    const full = withHeldCerts(res, peerId => this.peers.cert(decodePeerId(peerId).toString())?.bytes)
    this.states.set(key, stateDigest(full), state)
    return state
  }

  async notify (to: NodeRef, _self: NodeRef, options?: AbortOptions): Promise<void> {
    if (this.isLocal(to)) return
    // The receiver learns who we are from the authenticated connection; we add only our addresses.
    await this.call(to, { type: ChordRequest.Type.NOTIFY, addrs: this.init.selfAddrs().slice(0, MAX_ADDRS).map(a => a.bytes) }, options)
  }

  async ping (to: NodeRef, options?: AbortOptions): Promise<void> {
    if (this.isLocal(to)) return
    await this.call(to, { type: ChordRequest.Type.PING }, options)
  }

  async leave (to: NodeRef, info: LeaveInfo, options?: AbortOptions): Promise<void> {
    if (this.isLocal(to)) return
    await this.call(to, {
      type: ChordRequest.Type.LEAVE,
      predecessor: info.predecessor === undefined ? undefined : this.peers.toWire(info.predecessor),
      successors: info.successors.map(n => this.peers.toWire(n))
    }, options)
  }

  async unify (to: NodeRef, contact: NodeRef, options?: AbortOptions): Promise<void> {
    if (this.isLocal(to)) {
      this.local!.handleUnify(contact)
      return
    }
    await this.call(to, { type: ChordRequest.Type.UNIFY, contact: this.peers.toWire(contact) }, options)
  }

  private isLocal (to: NodeRef): boolean {
    return this.local !== undefined && to.id === this.local.self.id
  }

  private async call (to: NodeRef, req: Partial<ChordRequest>, options?: AbortOptions): Promise<ChordResponse> {
    const full: ChordRequest = { type: ChordRequest.Type.PING, addrs: [], successors: [], key: new Uint8Array(0), ...req }
    return await this.rpc.request(this.peers.dialTarget(to), full, options)
  }
}

/** A found answer cut to `max` nodes (the owner first). */
function cut (result: FindResult, max: number | undefined): FindResult {
  return result.found && max !== undefined && result.nodes.length > max ? { found: true, nodes: result.nodes.slice(0, max) } : result
}
