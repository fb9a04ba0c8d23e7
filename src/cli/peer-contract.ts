// The daemon command's view of src/peer.ts (the composition root). The module is imported on demand so that
// client commands such as `status` never load libp2p; the daemon needs only a narrow slice of a Peer, which
// also keeps the test stubs small.
import type { Peer, PeerOptions } from '../peer.js'

export type { PeerOptions } from '../peer.js'

/** What the daemon command uses of a running node (`events`: its log; a test stub may have none). */
export type DaemonPeer = Pick<Peer, 'peerId' | 'multiaddrs' | 'apiUrl' | 'stop'> & Partial<Pick<Peer, 'events' | 'metricsUrl'>>

export type CreatePeer = (options: PeerOptions) => Promise<DaemonPeer>

/** Import src/peer.ts on demand. */
export async function loadCreatePeer (): Promise<CreatePeer> {
  const { createPeer } = await import('../peer.js')
  return createPeer
}
