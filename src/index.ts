// The public API of chord-peer: start nodes and rings from scripts and tests.
import './polyfill.js'

export { createPeer, DEFAULT_SETTINGS, type Peer, type PeerOptions } from './peer.js'
export { createTestnet, ringCorrect, waitFor, type Testnet, type TestnetOptions } from './testnet.js'
export type { RingSettings } from './config.js'
export { parseSwarmKey, readSwarmKey } from './config.js'
export * from './errors.js'
export { IdSpace, type NodeRef } from './ring/index.js'
export type * from './api/types.js'
