// The membership view: what the leader of the supernodes knows about the ring. Only the leader
// writes it; every change raises `version`, and the leader pushes the new view to every supernode. A view is
// newer than another when its epoch is higher, or its epoch is equal and its version higher, so a view written
// by a deposed leader never replaces one written under a later election.
// Here: the domain type, its wire and JSON forms with their validation, and the stores that persist it (a file
// in the data dir, and with S3 configured an object in the bucket, so a restarted cluster recovers it).
import { mkdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { writeFileAtomic } from '../atomic-file.js'
import { InvalidMessageError, StorageError } from '../errors.js'
import { decodePeerId, nodeRefOf, type PeerDirectory } from '../chord/wire.js'
import { RingSettings, type MembershipView, type Peer } from '../../protocols/membership.js'
import { validateSettings } from '../config.js'
import type { NodeRef } from '../ring/index.js'
import type { S3Config } from '../config.js'
import type { Service } from '../lifecycle.js'

/** The view's file in a supernode's data dir. */
export const VIEW_FILE = 'view.json'

/** Most members and supernodes a view may list. */
export const MAX_MEMBERS = 4_096
export const MAX_SUPERNODES = 64

export interface View {
  version: number
  epoch: number
  leader?: NodeRef
  settings: RingSettings
  supernodes: NodeRef[]
  members: NodeRef[]
  /** Invites the leaders accepted, by nonce (hex), until they expire (ms since the Unix epoch): each works once. */
  usedInvites: UsedInvite[]
  /**
   * PeerId strings the operator authorised as supernodes, current ones included: each may rejoin as a supernode
   * (a crash, a restart) without a new invite. Kept by `withAuthorised`, never longer than MAX_AUTHORISED.
   */
  authorised: string[]
}

export interface UsedInvite { nonce: string, expires: number }

/** Most used invites a view records (each is kept only until it expires). */
export const MAX_USED_INVITES = 4_096

/** Most identities a view remembers as authorised supernodes. */
export const MAX_AUTHORISED = 256

/**
 * `view` with its current supernodes in `authorised`; past that bound the longest-authorised identities that are
 * no longer supernodes are forgotten (they need a new invite).
 */
export function withAuthorised<V extends Pick<View, 'supernodes' | 'authorised'>> (view: V): V {
  const all = [...new Set([...view.authorised, ...view.supernodes.map(n => n.address)])]
  const current = new Set(view.supernodes.map(n => n.address))
  let extra = all.length - MAX_AUTHORISED
  const authorised = all.filter(a => current.has(a) || extra-- <= 0)
  return { ...view, authorised }
}

/** True when `a` should replace `b`. */
export function newerView (a: Pick<View, 'epoch' | 'version'>, b: Pick<View, 'epoch' | 'version'>): boolean {
  return a.epoch > b.epoch || (a.epoch === b.epoch && a.version > b.version)
}

/** `nodes` with `node` added (replacing an entry of the same address), sorted by ring id. */
export function withNode (nodes: readonly NodeRef[], node: NodeRef): NodeRef[] {
  return [...nodes.filter(n => n.address !== node.address), node].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

export function withoutNode (nodes: readonly NodeRef[], address: string): NodeRef[] {
  return nodes.filter(n => n.address !== address)
}

export function viewToWire (peers: PeerDirectory, view: View): MembershipView {
  return {
    version: BigInt(view.version),
    epoch: BigInt(view.epoch),
    leader: view.leader === undefined ? new Uint8Array(0) : peers.toWire(view.leader).peerId,
    settings: view.settings,
    supernodes: view.supernodes.map(n => peers.toWire(n)),
    members: view.members.map(n => peers.toWire(n)),
    usedInvites: view.usedInvites.map(u => ({ nonce: hexBytes(u.nonce), expires: BigInt(u.expires) })),
    authorised: view.authorised.map(a => peerIdFromString(a).toMultihash().bytes as Uint8Array<ArrayBuffer>)
  }
}

const hexBytes = (hex: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(hex, 'hex'))

/** Decode and check a view from the wire; learns every address in it. InvalidMessageError when malformed. */
export function viewFromWire (peers: PeerDirectory, wire: MembershipView | undefined): View {
  if (wire === undefined) throw new InvalidMessageError('the view is missing')
  if (wire.settings === undefined) throw new InvalidMessageError('the view has no ring settings')
  if (wire.supernodes.length > MAX_SUPERNODES) throw new InvalidMessageError(`more than ${MAX_SUPERNODES} supernodes`)
  if (wire.members.length > MAX_MEMBERS) throw new InvalidMessageError(`more than ${MAX_MEMBERS} members`)
  if (wire.usedInvites.length > MAX_USED_INVITES) throw new InvalidMessageError(`more than ${MAX_USED_INVITES} used invites`)
  if (wire.authorised.length > MAX_AUTHORISED) throw new InvalidMessageError(`more than ${MAX_AUTHORISED} authorised supernodes`)
  try {
    validateSettings(wire.settings)
  } catch (err) {
    throw new InvalidMessageError(`the view's settings are invalid: ${(err as Error).message}`, { cause: err })
  }
  const epoch = Number(wire.epoch)
  const version = Number(wire.version)
  if (!Number.isSafeInteger(epoch) || !Number.isSafeInteger(version)) {
    throw new InvalidMessageError('the view\'s epoch or version is out of range')
  }
  const list = (list: Peer[]): NodeRef[] => list.map(p => peers.fromWire(p))
  const supernodes = list(wire.supernodes)
  const leader = wire.leader.length === 0 ? undefined : nodeRefOf(peers.space, decodePeerId(wire.leader))
  return {
    version,
    epoch,
    ...(leader !== undefined ? { leader } : {}),
    settings: wire.settings,
    supernodes,
    members: list(wire.members),
    usedInvites: wire.usedInvites.map(u => ({ nonce: Buffer.from(u.nonce).toString('hex'), expires: Number(u.expires) })),
    authorised: wire.authorised.map(a => decodePeerId(a).toString())
  }
}

// ---- persistence ---------------------------------------------------------------------------------------------

export interface PeerJson { peerId: string, addrs: string[] }
export interface ViewJson {
  version: number
  epoch: number
  leader?: string
  settings: RingSettings
  supernodes: PeerJson[]
  members: PeerJson[]
  usedInvites?: UsedInvite[]
  authorised?: string[]
}

export function viewToJson (peers: PeerDirectory, view: View): ViewJson {
  const peer = (n: NodeRef): PeerJson => ({ peerId: n.address, addrs: peers.addrs(n).map(a => a.toString()) })
  return {
    version: view.version,
    epoch: view.epoch,
    ...(view.leader !== undefined ? { leader: view.leader.address } : {}),
    settings: view.settings,
    supernodes: view.supernodes.map(peer),
    members: view.members.map(peer),
    usedInvites: view.usedInvites,
    authorised: view.authorised
  }
}

/**
 * Read a stored view back; StorageError when it is not one. The addresses stored with each node are not learnt
 * (only certificates say where a member is); `addressesIn` reads them for a node restarting its ring.
 */
export function viewFromJson (peers: PeerDirectory, json: ViewJson): View {
  const space = peers.space
  try {
    const list = (list: PeerJson[]): NodeRef[] => list.map(p => peers.learn(peerIdFromString(p.peerId)))
    if (!Number.isSafeInteger(json.version) || !Number.isSafeInteger(json.epoch)) throw new Error('bad version or epoch')
    const settings = { ...json.settings, admission: json.settings?.admission ?? RingSettings.Admission.OPEN }
    validateSettings(settings)
    return {
      version: json.version,
      epoch: json.epoch,
      ...(json.leader !== undefined ? { leader: nodeRefOf(space, peerIdFromString(json.leader)) } : {}),
      settings,
      supernodes: list(json.supernodes),
      members: list(json.members),
      usedInvites: (json.usedInvites ?? []).filter(u => typeof u.nonce === 'string' && Number.isSafeInteger(u.expires)),
      authorised: (json.authorised ?? []).filter(validPeerId).slice(0, MAX_AUTHORISED)
    }
  } catch (err) {
    throw new StorageError(`the stored membership view is malformed: ${(err as Error).message}`, { cause: err })
  }
}

/** Is `text` a PeerId string? */
export function validPeerId (text: string): boolean {
  try {
    peerIdFromString(text)
    return true
  } catch {
    return false
  }
}

/** The multiaddrs (with /p2p) stored for each of `nodes` in a stored view or supernode list. */
export function addressesIn (nodes: readonly PeerJson[]): Multiaddr[] {
  const out: Multiaddr[] = []
  for (const n of nodes) {
    for (const a of n.addrs) {
      try {
        out.push(multiaddr(a).encapsulate(`/p2p/${n.peerId}`))
      } catch {
        // a malformed stored address is skipped
      }
    }
  }
  return out
}

/** Where a supernode keeps the view between runs. */
export interface ViewStore {
  readonly where: string
  load (): Promise<ViewJson | undefined>
  save (view: ViewJson): Promise<void>
  close? (): void
}

/**
 * The stores of a supernode's view: `<data-dir>/view.json` (with a data dir) and, with S3 configured, the
 * bucket's copy (./s3-view-store.ts, loaded only then: the AWS SDK is a third of a node's start-up); none for a
 * peer. A service so that starting the node opens them and stopping it closes them.
 */
export class ViewStores implements Service {
  readonly list: ViewStore[] = []

  constructor (private readonly init: { dataDir?: string, s3?: S3Config } = {}) {}

  async start (): Promise<void> {
    if (this.init.dataDir !== undefined) this.list.push(new FileViewStore(join(this.init.dataDir, VIEW_FILE)))
    if (this.init.s3 !== undefined) {
      const { S3ViewStore } = await import('./s3-view-store.js')
      this.list.push(new S3ViewStore(this.init.s3))
    }
  }

  stop (): void {
    for (const store of this.list) store.close?.()
  }
}

/** `<data-dir>/view.json`, replaced atomically. */
export class FileViewStore implements ViewStore {
  constructor (readonly where: string) {}

  async load (): Promise<ViewJson | undefined> {
    let text: string
    try {
      text = await readFile(this.where, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new StorageError(`cannot read ${this.where}: ${(err as Error).message}`, { cause: err })
    }
    return JSON.parse(text) as ViewJson
  }

  async save (view: ViewJson): Promise<void> {
    await mkdir(dirname(this.where), { recursive: true })
    await writeFileAtomic(this.where, JSON.stringify(view, null, 2) + '\n')
  }
}
