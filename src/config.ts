// Everything a node is configured with, in one place: the options of createPeer and their defaults, the ring
// settings a node accepts (from its options or from an admitting supernode), the parsing of supernode addresses,
// and the S3 settings with where they come from (environment variables and a `.env` file). Plain data and
// parsing only: nothing here talks to the network or S3 or starts anything, so the CLI loads it cheaply. Also the
// swarm key file of a private network (Kubo's `swarm.key` format), read and checked before anything starts.
import { readFileSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { join } from 'node:path'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { parse as parseDotenv } from 'dotenv'
import { InvalidInputError } from './errors.js'
import { RingSettings } from '../protocols/membership.js'
import type { ElectionConfig } from './election/chang-roberts.js'
import type { ConnectionGater, PrivateKey } from '@libp2p/interface'

export type { RingSettings }

/** One S3 bucket (or a prefix inside it) and how to reach it: the durable tier and the stored membership view. */
export interface S3Config {
  bucket: string
  /** Prepended to every key, e.g. `chord-peer/` (default ''). */
  prefix?: string
  /** An S3-compatible endpoint URL (default: AWS for `region`). */
  endpoint?: string
  /** Default us-east-1 (what S3-compatible servers expect; `s3ConfigFromEnv` reads AWS_REGION). */
  region?: string
  /** Default: the SDK's credential chain (env, ~/.aws, instance role). */
  credentials?: { accessKeyId: string, secretAccessKey: string, sessionToken?: string }
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need (default false). */
  forcePathStyle?: boolean
}

/** Where a `.env` file is looked for, relative to the directory given to `envWithDotenv`. */
export const DOTENV_FILE = '.env'

/**
 * `env` merged over the variables of `<dir>/.env` (if it exists): real environment variables win, the file only
 * fills gaps, and nothing is written to `process.env`.
 */
export async function envWithDotenv (dir: string, env: NodeJS.ProcessEnv = process.env): Promise<NodeJS.ProcessEnv> {
  let text: string
  try {
    text = await readFile(join(dir, DOTENV_FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...env }
    throw err
  }
  const merged: NodeJS.ProcessEnv = { ...parseDotenv(text) }
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value
  return merged
}

/**
 * The S3 tier's configuration from environment variables, or undefined when `CHORD_PEER_S3_BUCKET` is unset (S3
 * off). Reads the standard AWS names, so the same variables work for the aws CLI: `AWS_ACCESS_KEY_ID` +
 * `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`; both unset → the SDK's default chain), `AWS_REGION` or
 * `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` (an S3-compatible server; path-style URLs
 * are then used), and ours: `CHORD_PEER_S3_BUCKET`, `CHORD_PEER_S3_PREFIX`. Use `envWithDotenv(dir)` to honour
 * a `.env` file too.
 */
export function s3ConfigFromEnv (env: NodeJS.ProcessEnv = process.env): S3Config | undefined {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }
  const bucket = get('CHORD_PEER_S3_BUCKET')
  if (bucket === undefined) return undefined
  const accessKeyId = get('AWS_ACCESS_KEY_ID')
  const secretAccessKey = get('AWS_SECRET_ACCESS_KEY')
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new InvalidInputError('set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither')
  }
  const sessionToken = get('AWS_SESSION_TOKEN')
  const endpoint = get('AWS_ENDPOINT_URL_S3') ?? get('AWS_ENDPOINT_URL')
  return {
    bucket,
    prefix: get('CHORD_PEER_S3_PREFIX'),
    endpoint,
    region: get('AWS_REGION') ?? get('AWS_DEFAULT_REGION'),
    credentials: accessKeyId === undefined
      ? undefined
      : { accessKeyId, secretAccessKey: secretAccessKey!, ...(sessionToken === undefined ? {} : { sessionToken }) },
    forcePathStyle: endpoint !== undefined
  }
}

// ---- node options ---------------------------------------------------------------------------------------------

export interface PeerOptions {
  /** Start as a supernode: the first node of a ring, or (with `connect`) a further supernode. */
  bootstrap?: boolean
  /** Supernode multiaddrs (with /p2p/<id>) to join through. */
  connect?: string[]
  /** Listen multiaddrs (default `/ip4/0.0.0.0/tcp/0`). */
  listen?: string[]
  /** HTTP API `host:port` (default `127.0.0.1:0`); false for none. */
  api?: string | false
  /**
   * A second listener, `host:port`, that serves only `GET /metrics` (Prometheus text) without the API's token
   * (`--metrics`). Default none: the API serves `/metrics` with the token either way.
   */
  metrics?: string
  /**
   * Export libp2p's own metrics (@libp2p/prometheus-metrics: bytes per protocol, connections, dials, noise, TCP, and
   * Node's process metrics) in this node's `/metrics` as well. Their module keeps process-wide state, so at most one
   * node of a process may (InvalidInputError otherwise). The daemon turns it on; default off (createTestnet, scripts).
   */
  libp2pMetrics?: boolean
  /**
   * Host names (or addresses) the API answers to besides loopback ones and its listen address, as a request's
   * `Host` header gives them (`--api-host`); checked with `parseApiHosts`.
   */
  apiHosts?: string[]
  /**
   * Identity key and state; the daemon writes `<dataDir>/api` and `<dataDir>/api-token`. Without one the identity
   * is fresh each start, and the API token is only in memory (`Peer.apiToken`).
   */
  dataDir?: string
  /** Replication factor handed to joiners (supernode starting a ring; default 3). */
  k?: number
  /** Successor list length (supernode starting a ring; default 16). */
  r?: number
  /** Maintenance intervals in ms (supernode starting a ring; defaults 1000, 500, 2000). */
  stabilizeIntervalMs?: number
  fixFingersIntervalMs?: number
  checkPredecessorIntervalMs?: number
  /** How long to retry unreachable supernodes before giving up (default 30000 ms). */
  joinTimeoutMs?: number
  /** Told of each failed round of joining (the error, the attempt from 1), e.g. to print it; default: logged. */
  onJoinRetry?: (err: Error, attempt: number) => void
  /** Time allowed for one chord request (default 3000 ms). */
  rpcTimeoutMs?: number
  /** Use this identity instead of loading one from `dataDir`. */
  privateKey?: PrivateKey
  /** Chunk size for files this node writes (default 1 MiB). */
  chunkSize?: number
  /** Mean interval of the replica anti-entropy pass (default 10000 ms); ring changes also start one. */
  replicationIntervalMs?: number
  /** The S3 durable tier behind the replicas (off by default). The CLI builds it from flags, AWS_* and `.env`. */
  s3?: S3Config
  /** Election timers of a supernode (defaults in src/election/chang-roberts.ts: DEFAULT_ELECTION_CONFIG). */
  election?: Partial<Omit<ElectionConfig, 'self' | 'startEpoch'>>
  /**
   * An invite token (`chord-peer invite`): needed to join as a further supernode, and to join as a peer when the
   * ring's admission is `invite`.
   */
  invite?: string
  /** Who may join as a peer: `open` (anyone; default) or `invite` (supernode starting a ring). */
  admission?: 'open' | 'invite'
  /** Lifetime of the membership certificates this supernode issues, ms (default 10 min; tests shorten it). */
  certTtlMs?: number
  /**
   * How long this node turns away a member that keeps sending requests over their rates, ms (default 60 000,
   * src/trust/bans.ts: BAN_MS; tests shorten it).
   */
  banMs?: number
  /**
   * Connections to refuse besides those of banned peers (a libp2p connection gater; a dial or an inbound
   * connection is refused when either gater says so). Tests cut a network in two with it (createTestnet's
   * `partition`).
   */
  connectionGater?: ConnectionGater
  /** JOIN requests a supernode takes per remote IP address: a burst, then so many per second (default 64, 2). */
  joinRate?: { burst: number, perSecond: number }
  /** Most members a ring admits (supernode; default and largest 4 096, what a view may list). */
  maxMembers?: number
  /** How long a newly admitted member has to answer on the ring before the leader drops it (default 20 000 ms). */
  enterDeadlineMs?: number
  /**
   * A private network's swarm key: a key file's bytes (`readSwarmKey`). Every connection is then protected with
   * it before noise, so only nodes with the same key can connect at all. Default none (any peer may connect).
   */
  swarmKey?: Uint8Array
  /**
   * Most bytes of file content this node stores (`parseSize` reads `10GiB`, `500MB`, plain bytes); a copy that
   * would go over is refused (QuotaError) and counts as a missing copy. Default: no limit but the disk's.
   */
  maxStorage?: number
  /**
   * Bytes a second the scrubber re-hashes stored blobs at (src/files/scrub.ts, default 4 MiB/s); 0 turns it off.
   * The daemon's `--scrub-rate` reads `8MiB` or `0` (`parseRate`).
   */
  scrubRate?: number
}

/** Longest successor list: replies carry r + 1 nodes and must stay within the wire's MAX_PEERS. */
export const MAX_R = 32
/** Largest replication factor. */
export const MAX_K = 16
/** Longest maintenance interval a ring accepts: an hour. */
export const MAX_INTERVAL_MS = 3_600_000
/** How long a node tries the supernodes before it gives up joining, ms. */
export const DEFAULT_JOIN_TIMEOUT_MS = 30_000

export const DEFAULT_SETTINGS: RingSettings = {
  k: 3,
  r: 16,
  stabilizeIntervalMs: 1_000,
  fixFingersIntervalMs: 500,
  checkPredecessorIntervalMs: 2_000,
  admission: RingSettings.Admission.OPEN
}

/** The ring settings `options` set explicitly (a supernode founding a ring uses them over the defaults). */
export function requestedSettings (o: PeerOptions): Partial<RingSettings> {
  const out: Partial<RingSettings> = {}
  if (o.k !== undefined) out.k = o.k
  if (o.r !== undefined) out.r = o.r
  if (o.stabilizeIntervalMs !== undefined) out.stabilizeIntervalMs = o.stabilizeIntervalMs
  if (o.fixFingersIntervalMs !== undefined) out.fixFingersIntervalMs = o.fixFingersIntervalMs
  if (o.checkPredecessorIntervalMs !== undefined) out.checkPredecessorIntervalMs = o.checkPredecessorIntervalMs
  if (o.admission !== undefined) out.admission = o.admission === 'invite' ? RingSettings.Admission.INVITE : RingSettings.Admission.OPEN
  return out
}

/** Ring settings a node accepts, from its options or from an admitting supernode; InvalidInputError otherwise. */
export function validateSettings (s: RingSettings): void {
  const positive = (name: string, v: number, max: number): void => {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new InvalidInputError(`${name} must be an integer in [1, ${max}], got ${v}`)
  }
  positive('k', s.k, MAX_K)
  positive('r', s.r, MAX_R)
  positive('stabilizeIntervalMs', s.stabilizeIntervalMs, MAX_INTERVAL_MS)
  positive('fixFingersIntervalMs', s.fixFingersIntervalMs, MAX_INTERVAL_MS)
  positive('checkPredecessorIntervalMs', s.checkPredecessorIntervalMs, MAX_INTERVAL_MS)
  if (!Object.values(RingSettings.Admission).includes(s.admission)) throw new InvalidInputError(`unknown admission ${String(s.admission)}`)
}

/** Do two rings' settings agree in every field? (Settings never change once a ring is founded.) */
export function sameSettings (a: RingSettings, b: RingSettings): boolean {
  return a.k === b.k && a.r === b.r && a.stabilizeIntervalMs === b.stabilizeIntervalMs &&
    a.fixFingersIntervalMs === b.fixFingersIntervalMs && a.checkPredecessorIntervalMs === b.checkPredecessorIntervalMs &&
    a.admission === b.admission
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40
}

/**
 * A number of bytes from `10GiB`, `1.5 GB`, `500MB`, `4096` (plain bytes): decimal units (kB, MB, GB, TB) and
 * binary ones (KiB, MiB, GiB, TiB), any case, rounded down to whole bytes. InvalidInputError unless it is a
 * positive whole number of bytes.
 */
export function parseSize (text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase() || 'b']
  const bytes = m === null || unit === undefined ? NaN : Math.floor(Number(m[1]) * unit)
  if (!(Number.isSafeInteger(bytes) && bytes > 0)) throw new InvalidInputError(
    `a size must be a positive number of bytes, optionally with a unit (kB, MB, GB, TB, KiB, MiB, GiB, TiB), got "${text}"`)
  return bytes
}

/** A rate in bytes a second (`8MiB`, `500kB`, plain bytes, an optional `/s`), or 0 (`0` turns it off). */
export function parseRate (text: string): number {
  const bare = text.trim().replace(/\/s$/i, '')
  return /^0+(\.0*)?$/.test(bare) ? 0 : parseSize(bare)
}

/** A supernode's address to join through: a multiaddr that names its peer (/p2p/<id>). */
export function parseConnect (addr: string): Multiaddr {
  let ma: Multiaddr
  try {
    ma = multiaddr(addr)
  } catch (err) {
    throw new InvalidInputError(`invalid multiaddr ${JSON.stringify(addr)}: ${(err as Error).message}`)
  }
  if (ma.getComponents().every(c => c.name !== 'p2p')) throw new InvalidInputError(
    `${addr} has no /p2p/<peer id>: a supernode address must name its peer`)
  return ma
}

/** Is `host` (a name or an address, IPv6 with or without brackets) this machine only? */
export function isLoopback (host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'))
}

/**
 * `--api-host` values (each a name or a comma list of names) as the API compares them with a `Host` header:
 * lowercase, IPv6 without brackets. A value that is not a DNS name or an IP address (a port, a scheme, a path)
 * is an InvalidInputError.
 */
export function parseApiHosts (values: readonly string[]): string[] {
  const names = values.flatMap(v => v.split(',')).map(n => n.trim().toLowerCase())
  for (const name of names) {
    const bare = name.replace(/^\[(.*)\]$/, '$1')
    const dns = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(name)
    if (!dns && isIP(bare) === 0) {
      throw new InvalidInputError(`"${name}" is not a host name or an IP address (no port, scheme or path)`)
    }
  }
  return names.map(n => n.replace(/^\[(.*)\]$/, '$1'))
}

// ---- swarm key (private network) ------------------------------------------------------------------------------

/** First line of a swarm key file (the pre-shared key format of Kubo and @libp2p/pnet). */
export const SWARM_KEY_HEADER = '/key/swarm/psk/1.0.0/'
/** A swarm key file's encoding line: @libp2p/pnet reads only base16 (Kubo also knows `/base64/` and `/bin/`). */
export const SWARM_KEY_ENCODING = '/base16/'
/** Largest file `readSwarmKey` reads: a key file is 95 bytes, a bigger one is surely the wrong file. */
const MAX_SWARM_KEY_FILE_BYTES = 4096

/**
 * Check a swarm key file's content (three lines: the header, `/base16/`, a 256-bit key in hex) and return it in
 * canonical form (`\n` line ends, lower-case hex, no trailing newline), which is what HostInit.swarmKey takes.
 * InvalidInputError saying what is wrong with `file` (a name for messages) otherwise.
 */
export function parseSwarmKey (content: Uint8Array, file = 'the swarm key'): Uint8Array {
  const fail = (why: string): never => {
    throw new InvalidInputError(`${file} is not a swarm key: ${why} (expected the lines ${SWARM_KEY_HEADER}, ` +
      `${SWARM_KEY_ENCODING} and 64 hex digits; chord-peer swarm-key makes one)`)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(content)
  } catch {
    return fail('it is not text')
  }
  const lines = text.split(/\r\n|\r|\n/).map(line => line.trim())
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  if (lines[0] !== SWARM_KEY_HEADER) return fail(`its first line is not ${SWARM_KEY_HEADER}`)
  if (lines[1] !== SWARM_KEY_ENCODING) {
    return fail(lines[1] === '/base64/' || lines[1] === '/bin/'
      ? `its key is in ${lines[1]}, and only ${SWARM_KEY_ENCODING} is supported`
      : `its second line is not ${SWARM_KEY_ENCODING}`)
  }
  if (!/^[0-9a-fA-F]{64}$/.test(lines[2] ?? '')) return fail('its third line is not a key of 64 hex digits')
  if (lines.length > 3) return fail('it has more than three lines')
  return new TextEncoder().encode(`${SWARM_KEY_HEADER}\n${SWARM_KEY_ENCODING}\n${lines[2].toLowerCase()}`)
}

/**
 * Read and check a swarm key file (`parseSwarmKey`). Synchronous: it runs once, while the daemon's flags are
 * checked. InvalidInputError naming the file when it is missing, unreadable or not a swarm key.
 */
export function readSwarmKey (path: string): Uint8Array {
  let content: Uint8Array
  try {
    const { size } = statSync(path)
    if (size > MAX_SWARM_KEY_FILE_BYTES) {
      throw new InvalidInputError(`${path} is not a swarm key: it has ${size} bytes, a swarm key file about 95`)
    }
    content = readFileSync(path)
  } catch (err) {
    if (err instanceof InvalidInputError) throw err
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new InvalidInputError(`swarm key file ${path} does not exist`, { cause: err })
    throw new InvalidInputError(`cannot read swarm key file ${path}: ${(err as Error).message}`, { cause: err })
  }
  return parseSwarmKey(content, path)
}
