// The typed outbound side of /chord-peer/chord/2.0.0: the ring core's Transport over libp2p streams
// (go-libp2p-kad-dht's protocol_messenger). Calls addressed to this node are answered locally.
import { ChordRequest, ChordResponse } from '../../protocols/chord.js'
import { RpcClient, type RpcLimits } from '../net/rpc.js'
import { MAX_ADDRS, type PeerDirectory } from './wire.js'
import type { AbortOptions, ChordNode, FindResult, LeaveInfo, NodeRef, RemoteState, Transport } from '../ring/index.js'
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

  async findSuccessor (to: NodeRef, key: bigint, options?: AbortOptions): Promise<FindResult> {
    if (this.isLocal(to)) return this.local!.handleFindSuccessor(key)
    const res = await this.call(to, { type: ChordRequest.Type.FIND_SUCCESSOR, key: this.peers.space.toBytes(key) }, options)
    return { found: res.found, nodes: this.peers.membersFromWire(res.nodes) }
  }

  async getState (to: NodeRef, options?: AbortOptions): Promise<RemoteState> {
    if (this.isLocal(to)) return this.local!.handleGetState()
    const res = await this.call(to, { type: ChordRequest.Type.GET_STATE }, options)
    const predecessor = res.predecessor === undefined ? [] : this.peers.membersFromWire([res.predecessor])
    return { predecessor: predecessor[0], successors: this.peers.membersFromWire(res.successors) }
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
