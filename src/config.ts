// Everything a node is configured with, in one place: the options of createPeer and their defaults, the ring
// settings a node accepts (from its options or from an admitting supernode), the parsing of supernode addresses,
// and the S3 settings with where they come from (environment variables and a `.env` file). Plain data and
// parsing only: nothing here talks to the network or S3 or starts anything, so the CLI loads it cheaply.
import { readFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { join } from 'node:path'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { parse as parseDotenv } from 'dotenv'
import { InvalidInputError } from './errors.js'
import type { RingSettings } from '../protocols/membership.js'
import type { ElectionConfig } from './election/chang-roberts.js'
import type { PrivateKey } from '@libp2p/interface'

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
  /** Identity key and state; the daemon writes `<dataDir>/api`. Without one the identity is fresh each start. */
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
  checkPredecessorIntervalMs: 2_000
}

/** The ring settings `options` set explicitly (a supernode founding a ring uses them over the defaults). */
export function requestedSettings (o: PeerOptions): Partial<RingSettings> {
  const out: Partial<RingSettings> = {}
  if (o.k !== undefined) out.k = o.k
  if (o.r !== undefined) out.r = o.r
  if (o.stabilizeIntervalMs !== undefined) out.stabilizeIntervalMs = o.stabilizeIntervalMs
  if (o.fixFingersIntervalMs !== undefined) out.fixFingersIntervalMs = o.fixFingersIntervalMs
  if (o.checkPredecessorIntervalMs !== undefined) out.checkPredecessorIntervalMs = o.checkPredecessorIntervalMs
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
