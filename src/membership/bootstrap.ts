// How a node enters the ring, decided before any ring service starts: join through a supernode, or found a ring.
// - The supernodes asked are the ones given (`--connect`), then the ones this node learnt before: a peer's
//   `<data-dir>/supernodes.json`, a supernode's stored view (`<data-dir>/view.json` and, with S3, the bucket's),
//   so a node restarts through any live supernode even if the one it was first pointed at is gone.
// - A supernode with nobody to ask founds a ring. Recovering a cluster from a stored view, a supernode first asks
//   the stored supernodes (so it rejoins a group that is still running); if none answers, the one with the
//   highest id starts the ring again after RECOVERY_PROBE_MS with the stored settings, epoch and members, and
//   the others join it, or start alone only after the join timeout.
// - A joiner takes the ring's settings from its admission (and refuses invalid ones); a founder uses its own.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../atomic-file.js'
import { InvalidInputError } from '../errors.js'
import { DEFAULT_SETTINGS, validateSettings, type RingSettings } from '../config.js'
import {
  addressesIn, newerView, validPeerId, viewFromJson, viewToJson, withAuthorised, withNode,
  type PeerJson, type View, type ViewJson, type ViewStore
} from './view.js'
import type { MembershipClient } from './client.js'
import type { PeerDirectory } from '../chord/wire.js'
import type { NodeRef } from '../ring/index.js'
import type { Logger } from '@libp2p/logger'
import type { Multiaddr } from '@multiformats/multiaddr'

/** A peer's list of the supernodes it learnt, in its data dir. */
export const SUPERNODES_FILE = 'supernodes.json'
/** How long the stored supernode with the highest id looks for its group before it restarts the ring. */
export const RECOVERY_PROBE_MS = 2_000

export interface BootstrapInit {
  peers: PeerDirectory
  client: MembershipClient
  self: NodeRef
  /** Start as a supernode. */
  supernode: boolean
  /** Supernodes to join through, as given. */
  connect: Multiaddr[]
  /** Where `supernodes.json` lives (a peer), if anywhere. */
  dataDir?: string
  /** Where a supernode's view is kept. */
  viewStores: ViewStore[]
  /** The settings of a ring this node founds: the defaults with `requested` over them. */
  requested: Partial<RingSettings>
  /** An invite token's bytes, for a supernode joining a group or a peer of an invite-only ring. */
  invite?: Uint8Array<ArrayBuffer>
  joinTimeoutMs: number
  /** Told of each failed round of joining (default: logged). */
  onJoinRetry?: (err: Error, attempt: number) => void
  log: Logger
}

export interface Entry {
  settings: RingSettings
  /** The successor list to enter the ring with; empty for a ring of one. */
  successors: NodeRef[]
  /** The supernodes this node knows. */
  supernodes: NodeRef[]
  /** The certificate the admitting leader issued this node; none for a node that founds a ring. */
  cert?: Uint8Array<ArrayBuffer>
  /** A supernode's first view, and the leader it follows (joined a running group) or the epochs taken. */
  supernode?: { view: View, follow?: { leader: NodeRef, epoch: number }, startEpoch: number }
}

/** Join through a supernode or found a ring, as the module header says. */
export async function joinOrFound (init: BootstrapInit): Promise<Entry> {
  const { self, supernode, connect, log } = init
  const loaded = await loadView(init)
  const stored = loaded?.view
  const learned = !supernode && init.dataDir !== undefined ? await loadSupernodes(init.dataDir) : []
  const rememberedJson = [...(loaded?.json.supernodes ?? []), ...learned].filter(n => n.peerId !== self.address && validPeerId(n.peerId))
  const remembered = rememberedJson.map(n => init.peers.refOf(n.peerId))
  const via = [...connect, ...addressesIn(rememberedJson)]

  let settings: RingSettings = stored?.settings ?? { ...DEFAULT_SETTINGS, ...init.requested }
  let successors: NodeRef[] = []
  let supernodes: NodeRef[] = [self]
  let joined: View | undefined
  let cert: Uint8Array<ArrayBuffer> | undefined
  if (!supernode && via.length === 0) {
    throw new InvalidInputError('this peer knows no supernode to join through: give connect (--connect <multiaddr>)')
  }
  if (via.length > 0) {
    const highest = remembered.every(n => n.id < self.id)
    const probing = supernode && connect.length === 0 && highest
    try {
      const admission = await init.client.join(via, {
        supernode,
        invite: init.invite,
        timeoutMs: probing ? Math.min(RECOVERY_PROBE_MS, init.joinTimeoutMs) : init.joinTimeoutMs,
        onRetry: (err, attempt) => {
          log('join attempt %d failed: %e', attempt, err)
          // A recovering supernode's short probe of the stored view is not a join the user asked for.
          if (!probing) init.onJoinRetry?.(err, attempt)
        }
      })
      settings = admission.settings
      successors = admission.successors
      supernodes = admission.supernodes
      joined = admission.view
      cert = admission.cert
    } catch (err) {
      if (connect.length > 0 || !supernode) throw err
      log('no supernode of the stored view answered (%e): starting the ring again alone', err)
    }
  }
  if (stored !== undefined && init.requested.k !== undefined && init.requested.k !== settings.k) {
    log('warning: the ring was created with k = %d; --k %d is ignored', settings.k, init.requested.k)
  }
  validateSettings(settings)
  if (!supernode) {
    if (init.dataDir !== undefined) await saveSupernodes(init.dataDir, init.peers, supernodes)
    return { settings, successors, supernodes, ...(cert !== undefined ? { cert } : {}) }
  }
  // A new ring (or one restarted from its stored view) starts a view of its own, in a later epoch than the
  // stored one; a supernode that joined a group starts from the leader's view and follows that leader.
  const view: View = joined ?? withAuthorised({
    version: (stored?.version ?? 0) + 1,
    epoch: stored?.epoch ?? 0,
    settings,
    supernodes: [self],
    members: withNode(stored?.members ?? [], self),
    usedInvites: stored?.usedInvites ?? [],
    authorised: stored?.authorised ?? []
  })
  const follow = joined?.leader !== undefined ? { leader: joined.leader, epoch: joined.epoch } : undefined
  return {
    settings,
    successors,
    supernodes: view.supernodes,
    ...(cert !== undefined ? { cert } : {}),
    supernode: { view, ...(follow !== undefined ? { follow } : {}), startEpoch: view.epoch }
  }
}

/** The newest view in the stores (with its stored form), or undefined; a store that fails to load is logged and skipped. */
async function loadView (init: BootstrapInit): Promise<{ view: View, json: ViewJson } | undefined> {
  let best: { view: View, json: ViewJson } | undefined
  for (const store of init.viewStores) {
    try {
      const json = await store.load()
      if (json === undefined) continue
      const view = viewFromJson(init.peers, json)
      if (best === undefined || newerView(view, best.view)) best = { view, json }
    } catch (err) {
      init.log('cannot load the view from %s: %e', store.where, err)
    }
  }
  return best
}

/** The supernodes a peer remembers, with the addresses they had. */
async function loadSupernodes (dataDir: string): Promise<PeerJson[]> {
  const text = await readFile(join(dataDir, SUPERNODES_FILE), 'utf8').catch(() => undefined)
  if (text === undefined) return []
  try {
    const json = JSON.parse(text) as Pick<ViewJson, 'supernodes'>
    return Array.isArray(json.supernodes) ? json.supernodes.filter(n => typeof n.peerId === 'string' && Array.isArray(n.addrs)) : []
  } catch {
    return []
  }
}

async function saveSupernodes (dataDir: string, peers: PeerDirectory, supernodes: NodeRef[]): Promise<void> {
  const view: View = { version: 0, epoch: 0, settings: DEFAULT_SETTINGS, supernodes, members: [], usedInvites: [], authorised: [] }
  const json = viewToJson(peers, view)
  await writeFileAtomic(join(dataDir, SUPERNODES_FILE), JSON.stringify({ supernodes: json.supernodes }, null, 2) + '\n')
}
