// Ring members on the wire, in one place (kad-dht message/utils.ts): a `Peer` message ↔ the core's NodeRef, and
// the multiaddrs learned with it. A NodeRef's address is its PeerId string; its ring id is always derived from
// the PeerId (SHA-256 of the multihash bytes), never read from a message. The address book that remembers
// where each node listens is private to this module: the rest of the node converts, learns and dials through
// a `PeerDirectory`, so one policy decides which addresses are kept and how a node is dialled.
import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { InvalidMessageError } from '../errors.js'
import type { IdSpace, NodeRef } from '../ring/index.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

/** Most multiaddrs accepted per peer, and most peers per list, in any message. */
export const MAX_ADDRS = 16
export const MAX_PEERS = 64

/** A ring member as every protocol carries it (the `Peer` message of chord.proto, membership.proto, files.proto). */
export interface WirePeer {
  peerId: Uint8Array<ArrayBuffer>
  addrs: Array<Uint8Array<ArrayBuffer>>
}

/** How to open a stream to a node: its PeerId, or multiaddrs that each end in /p2p/<its PeerId>. */
export type DialTarget = PeerId | Multiaddr[]

/** The ring point of a peer: SHA-256 of its PeerId's multihash bytes. */
export function ringId (space: IdSpace, peerId: PeerId): bigint {
  return space.hash(peerId.toMultihash().bytes)
}

export function nodeRefOf (space: IdSpace, peerId: PeerId): NodeRef {
  return { id: ringId(space, peerId), address: peerId.toString() }
}

export function decodeAddrs (list: Uint8Array[]): Multiaddr[] {
  if (list.length > MAX_ADDRS) throw new InvalidMessageError(`more than ${MAX_ADDRS} addresses`)
  return list.map(bytes => {
    try {
      return multiaddr(bytes)
    } catch (err) {
      throw new InvalidMessageError('invalid multiaddr', { cause: err })
    }
  })
}

export function decodePeerId (bytes: Uint8Array): PeerId {
  try {
    return peerIdFromMultihash(Digest.decode(bytes))
  } catch (err) {
    throw new InvalidMessageError('invalid peer id', { cause: err })
  }
}

interface Entry { peerId: PeerId, addrs: Multiaddr[] }

/**
 * Every node this node has heard of: its PeerId object and the multiaddrs (without /p2p) it is known to listen
 * on, converted to and from wire `Peer`s. Whatever is decoded is remembered: a non-empty address list replaces
 * the one known before, an empty one keeps it.
 */
export class PeerDirectory {
  private readonly entries = new Map<string, Entry>()

  constructor (readonly space: IdSpace, private readonly host: Pick<Libp2p, 'getConnections'>) {}

  /** The NodeRef of `peerId`, remembering `addrs` for it when given. */
  learn (peerId: PeerId, addrs: Multiaddr[] = []): NodeRef {
    const address = peerId.toString()
    const known = this.entries.get(address)
    if (known === undefined) this.entries.set(address, { peerId, addrs })
    else if (addrs.length > 0) known.addrs = addrs
    return nodeRefOf(this.space, peerId)
  }

  /** The NodeRef of a PeerId string (InvalidMessageError if it is not one). */
  refOf (address: string): NodeRef {
    return nodeRefOf(this.space, this.peerId(address))
  }

  peerId (address: string): PeerId {
    const known = this.entries.get(address)?.peerId
    if (known !== undefined) return known
    try {
      return peerIdFromString(address)
    } catch (err) {
      throw new InvalidMessageError(`invalid peer id ${JSON.stringify(address)}`, { cause: err })
    }
  }

  /** The multiaddrs `node` is known to listen on, without /p2p. */
  addrs (node: NodeRef): Multiaddr[] {
    return this.entries.get(node.address)?.addrs ?? []
  }

  /**
   * How to reach `node`, the one dial policy of the node: by PeerId when a connection to it is open (libp2p
   * reuses it) or when no address is known (libp2p's peer store may still know one); otherwise at the
   * multiaddrs the directory holds, each ending in /p2p/<its PeerId>, so the noise handshake checks that the
   * node answering there is the node we meant.
   */
  dialTarget (node: NodeRef): DialTarget {
    const peerId = this.peerId(node.address)
    const addrs = this.addrs(node)
    if (addrs.length === 0 || this.host.getConnections(peerId).length > 0) return peerId
    return addrs.map(a => a.encapsulate(`/p2p/${node.address}`))
  }

  /** The wire form of `node`, with up to MAX_ADDRS of its known addresses. */
  toWire (node: NodeRef): WirePeer {
    return { peerId: this.peerId(node.address).toMultihash().bytes, addrs: this.addrs(node).slice(0, MAX_ADDRS).map(a => a.bytes) }
  }

  /** Decode and validate one peer, learning its addresses. InvalidMessageError when malformed. */
  fromWire (peer: WirePeer): NodeRef {
    return this.learn(decodePeerId(peer.peerId), decodeAddrs(peer.addrs))
  }

  /** Decode a list of at most MAX_PEERS peers. */
  fromWireList (peers: WirePeer[]): NodeRef[] {
    if (peers.length > MAX_PEERS) throw new InvalidMessageError(`more than ${MAX_PEERS} peers in a list`)
    return peers.map(p => this.fromWire(p))
  }
}
