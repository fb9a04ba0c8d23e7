// JSON shapes of the daemon's HTTP API, shared by the server (src/api) and the client (src/client).
// Ids are lowercase hex strings of the full 256-bit ring point.

export interface NodeJson {
  id: string
  peerId: string
  /** Multiaddrs with /p2p/<peerId>, when known. */
  addrs?: string[]
}

export interface RingSettingsJson {
  /** Replication factor: total copies of each file. */
  k: number
  /** Successor list length. */
  r: number
  stabilizeIntervalMs: number
  fixFingersIntervalMs: number
  checkPredecessorIntervalMs: number
}

export interface FingerJson {
  /** Finger indexes [from, to] that point at this node (runs of equal entries are merged). */
  from: number
  to: number
  start: string
  node: NodeJson
}

/** GET /api/status */
export interface StatusJson {
  node: NodeJson
  role: 'supernode' | 'peer'
  apiUrl: string
  settings: RingSettingsJson
  joined: boolean
  predecessor?: NodeJson
  successors: NodeJson[]
  fingers: FingerJson[]
  /** Open libp2p connections. */
  connections: number
  uptimeMs: number
}

export interface RingMemberJson extends NodeJson {
  predecessor?: NodeJson
  successors: NodeJson[]
}

/** GET /api/ring[?check=1] */
export interface RingJson {
  /** Members in successor order, starting at the answering node. */
  members: RingMemberJson[]
  /** True when the walk came back to the start. */
  closed: boolean
  /** Present with ?check=1: the invariant check. */
  check?: { ok: boolean, problems: string[] }
}

/** GET /api/lookup?key=<name> or ?id=<hex> */
export interface LookupJson {
  key: string
  /** The name looked up, when a name was given. */
  name?: string
  owner: NodeJson
  /** The owner and the nodes after it (the first k hold the replicas). */
  successors: NodeJson[]
  hops: number
  /** Nodes queried, in order. */
  path: NodeJson[]
  ms: number
}

/** Every error answer: status 4xx/5xx with this body. */
export interface ErrorJson {
  error: string
  code: string
}
