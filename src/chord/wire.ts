// Ring members on the wire, in one place (kad-dht message/utils.ts): a `Peer` message ↔ the core's NodeRef, with
// the member's certificate. A NodeRef's address is its PeerId string; its ring id is always derived from the
// PeerId (SHA-256 of the multihash bytes), never read from a message. Which nodes may be dialled, and where, is
// decided here and nowhere else: a node is dialled only while this node holds a valid membership certificate of
// it (src/trust/certs.ts), and only at the addresses in that certificate, which the member announced itself and
// a supernode signed. Addresses other nodes claim for it (hearsay) are never used. The directory is bounded: the
// least recently used entries go first.
import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { InvalidMessageError, NotMemberError } from '../errors.js'
import type { Cert, CertVerifier } from '../trust/certs.js'
import type { IdSpace, NodeRef } from '../ring/index.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

/** Most multiaddrs accepted per peer, and most peers per list, in any message. */
export const MAX_ADDRS = 16
export const MAX_PEERS = 64
/** Most nodes the directory remembers: a full view (4 096 members) twice over. */
export const MAX_KNOWN = 8192

/** A ring member as every protocol carries it (the `Peer` message of chord.proto, membership.proto, files.proto). */
export interface WirePeer {
  peerId: Uint8Array<ArrayBuffer>
  addrs: Array<Uint8Array<ArrayBuffer>>
  cert: Uint8Array<ArrayBuffer>
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

interface Entry { peerId: PeerId, cert?: Cert }

/**
 * Every node this node has heard of lately: its PeerId object and the newest valid certificate seen of it,
 * converted to and from wire `Peer`s.
 */
export class PeerDirectory {
  /** In least recently used order: the first entry goes when the directory is full. */
  private readonly entries = new Map<string, Entry>()
  /** Told when a certificate used to dial a node is past half its life, so it can be refreshed in time. */
  onAging?: (node: NodeRef) => void

  constructor (
    readonly space: IdSpace,
    private readonly host: Pick<Libp2p, 'getConnections'>,
    readonly verifier: CertVerifier,
    private readonly capacity = MAX_KNOWN
  ) {}

  /** The NodeRef of `peerId`, remembered without a certificate if it is new. */
  learn (peerId: PeerId): NodeRef {
    this.entry(peerId)
    return nodeRefOf(this.space, peerId)
  }

  /**
   * Take in a certificate (of `subject` only, when given): kept when valid and newer than the one held, or when
   * the one held is no longer valid. The valid certificate held now, if any; undefined for an invalid one.
   */
  learnCert (bytes: Uint8Array, subject?: string): Cert | undefined {
    const cert = this.verifier.verify(bytes)
    if (cert === undefined || (subject !== undefined && cert.address !== subject)) return undefined
    const entry = this.entry(cert.peerId)
    if (entry.cert === undefined || cert.expires > entry.cert.expires || this.cert(cert.address) === undefined) entry.cert = cert
    return this.cert(cert.address)
  }

  /** The valid certificate held of `address`, if any. */
  cert (address: string): Cert | undefined {
    const cert = this.entries.get(address)?.cert
    return cert !== undefined && this.verifier.fresh(cert) && this.verifier.isRoot(cert.issuer) ? cert : undefined
  }

  /** Does this node hold a valid certificate of `address` (is it a member, as far as this node can tell)? */
  isMember (address: string): boolean {
    return this.cert(address) !== undefined
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

  /** The addresses `node` announced in its valid certificate, without /p2p; none when this node holds none. */
  addrs (node: NodeRef): Multiaddr[] {
    return this.cert(node.address)?.addrs ?? []
  }

  /**
   * How to reach `node`, the one dial policy of the node: only a member this node holds a valid certificate of
   * (NotMemberError otherwise); by PeerId when a connection to it is open (libp2p reuses it), otherwise at the
   * certificate's addresses, each ending in /p2p/<its PeerId>, so the noise handshake checks that the node
   * answering there is the node meant.
   */
  dialTarget (node: NodeRef): DialTarget {
    const entry = this.entries.get(node.address)
    const cert = this.cert(node.address)
    if (entry === undefined || cert === undefined) throw new NotMemberError(`${node.address} is not a member this node knows`)
    this.touch(node.address, entry)
    if (this.verifier.aging(cert)) this.onAging?.(node)
    if (this.host.getConnections(entry.peerId).length > 0) return entry.peerId
    if (cert.addrs.length === 0) throw new NotMemberError(`${node.address} announced no address`)
    return cert.addrs.map(a => a.encapsulate(`/p2p/${node.address}`))
  }

  /** The wire form of `node`: its PeerId and, when this node holds one, its certificate and addresses. */
  toWire (node: NodeRef): WirePeer {
    const cert = this.cert(node.address)
    return {
      peerId: this.peerId(node.address).toMultihash().bytes as Uint8Array<ArrayBuffer>,
      addrs: (cert?.addrs ?? []).map(a => a.bytes as Uint8Array<ArrayBuffer>),
      cert: cert?.bytes ?? new Uint8Array(0)
    }
  }

  /**
   * Decode and validate one peer, taking in its certificate when it carries a valid one of that peer (a
   * certificate of another peer is ignored). InvalidMessageError when malformed. A peer named without a valid
   * certificate gets no entry: lists of made-up PeerIds cannot push members out of the directory.
   */
  fromWire (peer: WirePeer): NodeRef {
    const peerId = decodePeerId(peer.peerId)
    decodeAddrs(peer.addrs)
    if (peer.cert.byteLength > 0) this.learnCert(peer.cert, peerId.toString())
    return nodeRefOf(this.space, peerId)
  }

  /** Decode a list of at most MAX_PEERS peers. */
  fromWireList (peers: WirePeer[]): NodeRef[] {
    if (peers.length > MAX_PEERS) throw new InvalidMessageError(`more than ${MAX_PEERS} peers in a list`)
    return peers.map(p => this.fromWire(p))
  }

  /**
   * Decode a list of peers and keep the members among them: the nodes a ring message names are adopted into
   * routing state only when this node holds a valid certificate of them, so hearsay cannot place a stranger.
   */
  membersFromWire (peers: WirePeer[]): NodeRef[] {
    return this.fromWireList(peers).filter(n => this.isMember(n.address))
  }

  /** How many nodes the directory remembers. */
  get size (): number {
    return this.entries.size
  }

  private entry (peerId: PeerId): Entry {
    const address = peerId.toString()
    const known = this.entries.get(address)
    if (known !== undefined) {
      this.touch(address, known)
      return known
    }
    const entry: Entry = { peerId }
    this.entries.set(address, entry)
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!)
    return entry
  }

  private touch (address: string, entry: Entry): void {
    this.entries.delete(address)
    this.entries.set(address, entry)
  }
}
