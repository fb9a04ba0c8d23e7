// Conversion between wire messages and the ring core's domain types, in one place (kad-dht message/utils.ts).
// A NodeRef's address is its PeerId string; the multiaddrs learned with it go into the address book so the
// messenger can dial nodes it has only heard of. Ring ids are always derived from the PeerId, never trusted.
import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { InvalidMessageError } from '../errors.js'
import type { Peer } from '../../protocols/chord.js'
import type { IdSpace, NodeRef } from '../ring/index.js'
import type { PeerId } from '@libp2p/interface'

/** Most multiaddrs accepted per peer, and most peers per list, in any message. */
export const MAX_ADDRS = 16
export const MAX_PEERS = 64

interface Entry { peerId: PeerId, addrs: Multiaddr[] }

/** PeerId objects and known multiaddrs of every node we have heard of, keyed by PeerId string. */
export class AddressBook {
  private readonly entries = new Map<string, Entry>()

  get (address: string): Entry | undefined {
    return this.entries.get(address)
  }

  peerId (address: string): PeerId {
    return this.entries.get(address)?.peerId ?? peerIdFromString(address)
  }

  /** Remember a peer; non-empty `addrs` replace what we knew. */
  add (peerId: PeerId, addrs: Multiaddr[]): string {
    const address = peerId.toString()
    const known = this.entries.get(address)
    if (known === undefined) this.entries.set(address, { peerId, addrs })
    else if (addrs.length > 0) known.addrs = addrs
    return address
  }

  delete (address: string): void {
    this.entries.delete(address)
  }
}

/** The ring point of a peer: SHA-256 of its PeerId bytes. */
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

export function fromWire (space: IdSpace, book: AddressBook, peer: Peer): NodeRef {
  const peerId = decodePeerId(peer.peerId)
  book.add(peerId, decodeAddrs(peer.addrs))
  return nodeRefOf(space, peerId)
}

export function fromWireList (space: IdSpace, book: AddressBook, peers: Peer[]): NodeRef[] {
  if (peers.length > MAX_PEERS) throw new InvalidMessageError(`more than ${MAX_PEERS} peers in a list`)
  return peers.map(p => fromWire(space, book, p))
}

export function toWire (book: AddressBook, node: NodeRef): Peer {
  const entry = book.get(node.address)
  const peerId = entry?.peerId ?? peerIdFromString(node.address)
  return { peerId: peerId.toMultihash().bytes, addrs: (entry?.addrs ?? []).slice(0, MAX_ADDRS).map(a => a.bytes) }
}
