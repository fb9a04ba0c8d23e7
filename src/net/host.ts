// The libp2p host every node runs: TCP, noise, yamux, identify, ping. Connection-manager rate limits are raised
// so that many peers on one host (tests, a busy supernode) are not reset by the default per-host limits. With a
// swarm key, every connection is first wrapped in the pre-shared-key stream of ./pnet.ts, beneath noise: a peer
// without the same key never completes the handshake (a private network). A connection gater (the node's bans,
// src/trust/bans.ts) refuses the connections of the peers it names, both ways.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import { privateNetwork } from './pnet.js'
import type { Identify } from '@libp2p/identify'
import type { ComponentLogger, ConnectionGater, Metrics, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

/**
 * Most bytes a yamux stream lets its sender have in flight (libp2p's default grows to 16 MiB). A relaying holder
 * keeps up to a window per stream in memory, so the window bounds a node's memory during puts (BENCHMARKS.md has
 * the peak RSS at both sizes); 4 MiB still covers 200 MB/s × 20 ms of round trip and event-loop stall.
 */
export const STREAM_WINDOW_BYTES = 4 * 1024 * 1024

export type Host = Libp2p<{ identify: Identify, ping: Ping }>

export interface HostInit {
  privateKey: PrivateKey
  /** Listen multiaddrs (default `/ip4/0.0.0.0/tcp/0`). */
  listen?: string[]
  /** Most open connections (default 300; the least valued are pruned beyond it). */
  maxConnections?: number
  /** Dial timeout in ms (default 5000). */
  dialTimeoutMs?: number
  /** Start listening at once (default true); false leaves `start()` to the caller. */
  start?: boolean
  /**
   * A swarm key file's bytes (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits; see `readSwarmKey` in
   * src/config.ts): only peers with the same key can connect. Default none (a public network).
   */
  swarmKey?: Uint8Array
  /**
   * Which peers' connections to refuse, inbound and outbound (src/trust/bans.ts: `Bans.gater`, the peers this
   * node has banned). Default: refuse none.
   */
  connectionGater?: ConnectionGater
  /**
   * libp2p's `metrics` component (src/metrics/: NodeMetrics.libp2p counts this node's connection bytes, and on the
   * one node of a process that exports them, libp2p's own metrics). Default none.
   */
  metrics?: (components: { logger: ComponentLogger }) => Metrics
}

export async function createHost (init: HostInit): Promise<Host> {
  return createLibp2p({
    start: init.start ?? true,
    privateKey: init.privateKey,
    addresses: { listen: init.listen ?? ['/ip4/0.0.0.0/tcp/0'] },
    transports: [tcp()],
    ...(init.swarmKey === undefined ? {} : { connectionProtector: privateNetwork({ swarmKey: init.swarmKey }) }),
    ...(init.connectionGater === undefined ? {} : { connectionGater: init.connectionGater }),
    ...(init.metrics === undefined ? {} : { metrics: init.metrics }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: STREAM_WINDOW_BYTES } })],
    connectionManager: {
      maxConnections: init.maxConnections ?? 300,
      // Defaults (5 per second per host, 10 pending) reset rapid dials from many peers on one IP (ECONNRESET).
      inboundConnectionThreshold: 10_000,
      maxIncomingPendingConnections: 1_000,
      dialTimeout: init.dialTimeoutMs ?? 5_000
    },
    // libp2p pings every connection from both sides every 10 s on a fresh stream. Chord maintenance already
    // probes the neighbours that matter, so once a minute is enough to drop dead connections elsewhere.
    connectionMonitor: { pingInterval: 60_000 },
    services: { identify: identify(), ping: ping() }
  })
}

/**
 * A gater that refuses a dial or a connection when either `a` or `b` does (the peer-level checks: dials, and
 * connections once the noise handshake has named the remote peer).
 */
export function eitherGater (a: ConnectionGater, b: ConnectionGater): ConnectionGater {
  return {
    denyDialPeer: async peer => (await a.denyDialPeer?.(peer)) === true || (await b.denyDialPeer?.(peer)) === true,
    denyInboundEncryptedConnection: async (peer, conn) =>
      (await a.denyInboundEncryptedConnection?.(peer, conn)) === true || (await b.denyInboundEncryptedConnection?.(peer, conn)) === true,
    denyOutboundEncryptedConnection: async (peer, conn) =>
      (await a.denyOutboundEncryptedConnection?.(peer, conn)) === true || (await b.denyOutboundEncryptedConnection?.(peer, conn)) === true
  }
}
