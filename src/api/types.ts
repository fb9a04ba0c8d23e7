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

/** A supernode as `GET /api/leader` shows it. */
export interface SupernodeJson extends NodeJson {
  /** The leader this node follows. */
  leader: boolean
  /** Heard from (or reached) within the leader timeout; always true for the answering node itself. */
  alive: boolean
  /** Milliseconds since this node last heard from it, when it has. */
  lastSeenMs?: number
}

/** GET /api/leader: the supernodes' election as the answering node sees it. */
export interface LeaderJson {
  /** The leader this node follows, if it knows one. */
  leader?: NodeJson
  /** Epoch of the current election. */
  epoch: number
  /** The leader holds a majority lease and may admit and remove members (as seen from here). */
  acting: boolean
  /** This node's part: a supernode leads, follows or campaigns; a plain peer only observes. */
  role: 'leader' | 'follower' | 'candidate' | 'peer'
  supernodes: SupernodeJson[]
  /** The membership view this node holds (a peer: the one its supernode sent). */
  view: { version: number, members: number }
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
  /** The supernodes' leader as this node sees it (`GET /api/leader` has the details). */
  leader?: { peerId: string, epoch: number, acting: boolean }
  /** Open libp2p connections. */
  connections: number
  uptimeMs: number
  /** The scrubber's last completed pass over this node's stored blobs (src/files/scrub.ts); absent before the first. */
  lastScrub?: ScrubJson
  /** The blob collector's last completed sweep (src/files/blob-gc.ts); absent before the first. */
  lastGc?: GcJson
  /** The S3 tier, when configured: working or failing, its queue, the last failure. */
  s3?: S3StatusJson
  /** What this node stores and the room left (as `GET /api/storage`); absent when it could not be counted. */
  storage?: StorageJson
  /** The chord-peer version the daemon runs. */
  version?: string
  /** Bytes in and out, lookups, puts and gets since the node started (as `GET /api/traffic`). */
  traffic?: TrafficJson
}

/** The S3 tier as `status` shows it (src/files/durable.ts DurableHealth, with the queue). */
export interface S3StatusJson {
  /** `unknown` until its first request answered or failed (a probe at start). */
  state: 'unknown' | 'working' | 'failing'
  bucket: string
  endpoint?: string
  /** Versions waiting to go up. */
  queue: number
  /** Since when it fails, ms since the Unix epoch (while failing). */
  failingSince?: number
  /** The last failure and when (ms since the Unix epoch), kept after a recovery. */
  lastError?: string
  lastErrorAt?: number
  /** Versions uploaded, and failed attempts, since the node started. */
  uploaded: number
  failures: number
}

/** What one sweep of the blob collector did: blobs listed, unreferenced ones removed (and their bytes). */
export interface GcJson {
  /** When it completed, ms since the epoch. */
  finished: number
  ms: number
  blobs: number
  removed: number
  bytes: number
  /** Blobs that could not be removed (tried again by the next sweep). */
  errors: number
}

/** What one scrubber pass found: blobs and bytes re-hashed, how many were bad (and handed to repair). */
export interface ScrubJson {
  /** When it completed, ms since the epoch. */
  finished: number
  ms: number
  blobs: number
  bytes: number
  bad: number
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

// ---- files (issue 3) --------------------------------------------------------------------------------------

/** A file as the API shows it: the record without chunk hashes. */
export interface FileJson {
  name: string
  key: string
  size: number
  /** SHA-256 of the content, 64 hex digits. */
  hash: string
  contentType: string
  version: { time: number, counter: number, writer: string }
  created: number
  modified: number
}

/**
 * PUT /api/files/<url-encoded name> with the content as a streamed body (Content-Type kept, Content-Length
 * optional) → 201 with this. The put returns once the write quorum acknowledged.
 */
export interface PutJson {
  file: FileJson
  /** Nodes that acknowledged the stored copy, primary first. */
  holders: NodeJson[]
  /** Replication factor of the ring (copies wanted). */
  k: number
  ms: number
}

/**
 * GET /api/files/<name> → the content (200, or 206 with a Range header), headers `content-type`,
 * `content-length`, `etag` (= hash), `x-chord-peer-version`. HEAD → the headers only. 404 with ErrorJson when
 * there is no such file (or it was deleted); an ErrorJson too when no holder can serve its first bytes. A later
 * failure cuts the body short.
 */

/** GET /api/files?limit=N&after=<key> → one page of every file in the ring, in key order. */
export interface ListJson {
  files: FileJson[]
  /** Pass as `after` for the next page; absent on the last page. */
  next?: string
}

/** GET /api/locate/<name> → the holders of a name and the lookup's hops. */
export interface LocateJson {
  name: string
  key: string
  /** The k nodes that should hold it (the owner first). */
  placement: NodeJson[]
  /** For each placement node: does it hold the newest version? */
  holders: Array<{ node: NodeJson, has: boolean, version?: FileJson['version'], error?: string }>
  hops: number
  file?: FileJson
}

/** DELETE /api/files/<name> → 200 with this (a tombstone version was written to the replicas). */
export interface DeleteJson {
  name: string
  key: string
  version: FileJson['version']
  holders: NodeJson[]
}

/** POST /api/invites?supernode=1&ttlMs=N → 201 with this: an invite a supernode minted (single use). */
export interface InviteJson {
  token: string
  role: 'supernode' | 'peer'
  /** ms since the Unix epoch. */
  expires: number
}

/** Fields every event has (src/events.ts). */
export interface EventBaseJson {
  /** ms since the Unix epoch, when the node emitted it. */
  time: number
  /** Increasing per node from 1: a reader that reconnects asks for what came after the last it saw. */
  seq: number
  level: 'debug' | 'info' | 'warn' | 'error'
  /** The event as one human line (what the daemon's log prints). */
  message: string
}

/**
 * What a node reports as it happens: `GET /api/events` streams them as server-sent events named by `type`,
 * the daemon logs each `message`, `chord-peer events` prints them. Node references never carry more than the
 * node's id, PeerId and addresses.
 */
export type NodeEventJson = EventBaseJson & (
  /** A member entered the ring (this node heard of it: the leader admitted it, or it became a neighbour). */
  | { type: 'member.joined', node: NodeJson, role: 'supernode' | 'peer' }
  /** A member is gone: it left gracefully, or failure detection declared it dead. */
  | { type: 'member.left', node: NodeJson, how: 'left' | 'failed' }
  /** The leader refused an admission (invite, rate, full view…), with why. */
  | { type: 'member.refused', peerId: string, reason: string }
  /** The supernodes' acting leader changed (none while an election runs). */
  | { type: 'leader.changed', leader?: NodeJson, epoch: number }
  /** A repair of this node's copies began: why (a member failed, a range moved, a bad blob…). */
  | { type: 'repair.started', reason: string }
  | { type: 'repair.finished', reason: string, files: number, bytes: number, ms: number, failed: number }
  /** An upload to the S3 tier failed (it is retried); `queue`: versions waiting to go up. */
  | { type: 's3.failed', error: string, queue: number }
  | { type: 's3.recovered', queue: number }
  | { type: 'scrub.finished', blobs: number, bytes: number, bad: number, ms: number }
  | { type: 'gc.finished', blobs: number, removed: number, bytes: number, ms: number }
  /** The trust layer turned a peer away (a ban, a flood at the gate, a forged version…). */
  | { type: 'refused', what: string, peerId?: string }
)

/**
 * Running totals since the node started, for rates (`GET /api/traffic`, and the `traffic` event of
 * `/api/events` every second): a reader divides the difference of two samples by the time between them.
 */
export interface TrafficJson {
  /** ms since the Unix epoch when sampled. */
  time: number
  /** Bytes received and sent over libp2p connections. */
  bytesIn: number
  bytesOut: number
  lookups: number
  lookupsFailed: number
  /** Sum of the durations of the completed lookups, ms (÷ lookups: the mean). */
  lookupMs: number
  /**
   * Puts and gets this node ran as the entry, whatever their outcome (a get counts once its body was read to the
   * end or failed), and the file bytes they moved.
   */
  puts: number
  gets: number
  putBytes: number
  getBytes: number
}

// ---- the dashboard (issue 12) -------------------------------------------------------------------------------

/** POST /api/login-codes (with the token) → 201 with this: a one-time code that opens a dashboard session. */
export interface LoginCodeJson {
  code: string
  /** The dashboard's URL with the code in its fragment, on the host the request named. */
  url: string
  /** ms since the Unix epoch: the code must be redeemed before. */
  expires: number
}

/**
 * GET /api/session → whether this browser's cookie holds a live session; POST /api/session with `{ "code" }`
 * trades a login code for one (Set-Cookie, HttpOnly, SameSite=Strict); DELETE ends it.
 */
export interface SessionJson {
  session: boolean
  /** ms since the Unix epoch, when there is a session. */
  expires?: number
}

/** GET /api/storage: what this node stores, and for whom it waits (counts cached for a few seconds). */
export interface StorageJson {
  /** When the counts were taken, ms since the Unix epoch. */
  time: number
  /** Files this node holds a copy of (as primary or replica), and their bytes. */
  files: number
  bytes: number
  /** Deleted names whose tombstones it keeps. */
  tombstones: number
  /** The file system of the data dir (absent when it cannot be read). */
  disk?: { free: number, total: number }
  /** `--max-storage` and the bytes held against it. */
  quota?: { max: number, used: number }
  /** The S3 tier, when configured: versions waiting to go up, and the last failed upload. */
  s3?: { queue: number, uploaded: number, failures: number, lastError?: string }
  lastScrub?: ScrubJson
  lastGc?: GcJson
}
