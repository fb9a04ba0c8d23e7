// The public API of chord-peer: start nodes and rings from scripts and tests.
import './polyfill.js'

export { createPeer, DEFAULT_SETTINGS, type Peer, type PeerOptions } from './peer.js'
export { createTestnet, ringCorrect, waitFor, type Testnet, type TestnetOptions } from './testnet.js'
export type { RingSettings } from './config.js'
export { parseSwarmKey, readSwarmKey } from './config.js'
// The HTTP client of a running daemon, as the CLI uses it (its token: the daemon's `<data-dir>/api-token`).
export { ApiClient, readApiTokenFile, readApiUrlFile, type ApiClientInit, type DaemonClient } from './client/index.js'
export type { FileRecord } from './files/record.js'
export type { LocateResult, PutResult, ReadResult } from './files/service.js'
export type { NodeMetrics } from './metrics/node-metrics.js'
export * from './errors.js'
export { IdSpace, type NodeRef } from './ring/index.js'
export type * from './api/types.js'
