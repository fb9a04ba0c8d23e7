// Validation of the daemon's flags, all of them before anything starts: the result is the PeerOptions for
// createPeer, or an InvalidInputError listing every problem (one per line) so main() exits 2.
import { resolve } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidInputError } from '../errors.js'
import { parseHostPort } from '../client/api-url.js'
import { resolveDataDir } from './data-dir.js'
import { CONFIG_FILE, configToSave, remembersSupernodes, type DaemonConfig } from './daemon-config.js'
import { inviteBytes } from '../trust/invites.js'
import { isLoopback, MAX_K, parseApiHosts, parseRate, parseSize, readSwarmKey, s3ConfigFromEnv } from '../config.js'
import {
  DEFAULT_LOG_FORMAT, DEFAULT_LOG_LEVEL, isLogFormat, isLogLevel, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel
} from '../log.js'
import type { DataDirEnv } from './data-dir.js'
import type { PeerOptions } from './peer-contract.js'

/** The flags as commander hands them over (strings, repeated flags collected). */
export interface DaemonFlags {
  bootstrap?: boolean
  k?: string
  connect?: string[]
  listen?: string[]
  api?: string
  /** Host names the API answers to besides loopback ones (repeatable, or comma lists). */
  apiHost?: string[]
  /** A client command's flag: given to the daemon, it is a usage error. */
  apiToken?: string
  dataDir?: string
  /** Seconds. */
  joinTimeout?: string
  s3Bucket?: string
  s3Endpoint?: string
  s3Region?: string
  s3Prefix?: string
  /** A swarm key file: this node is in that private network. */
  swarmKey?: string
  /** An invite token (`chord-peer invite`). */
  invite?: string
  /** `open` or `invite`. */
  admission?: string
  /** Most bytes of file content to store: `10GiB`, `500MB`, plain bytes. */
  maxStorage?: string
  scrubRate?: string
  /** `host:port` of a listener serving GET /metrics without the token. */
  metrics?: string
  /** What the daemon logs on stderr: error, warn, info or debug. */
  logLevel?: string
  /** How: text or json. */
  logFormat?: string
}

/** Where S3 settings come from besides flags: the environment, with a `.env` file's values filling the gaps. */
export interface S3Env { vars?: NodeJS.ProcessEnv }

export type Role = 'supernode' | 'peer'

export interface DaemonPlan {
  role: Role
  options: PeerOptions
  /** Things worth saying that are not errors (e.g. an API bound beyond loopback). */
  warnings: string[]
  /** What `<data-dir>/config.json` is to hold once the daemon started (a supernode's port-0 listen still 0). */
  config: DaemonConfig
  /** The daemon's log on stderr (src/log.ts); default info, text. */
  log?: { level: LogLevel, format: LogFormat }
}

/** A day: anything longer is surely a typo for milliseconds. */
export const MAX_JOIN_TIMEOUT_S = 86_400
export const NO_ROLE_MESSAGE = 'give --bootstrap to start a ring or --connect <multiaddr> to join one ' +
  `(a node started before resumes from its --data-dir, which holds ${CONFIG_FILE})`

export function planDaemon (flags: DaemonFlags, env: DataDirEnv & S3Env = {}): DaemonPlan {
  const problems: string[] = []
  const warnings: string[] = []
  const connect = flags.connect ?? []
  const listen = flags.listen ?? []
  const bootstrap = flags.bootstrap === true

  const dataDir = resolveDataDir(flags.dataDir, env)
  // A peer that ran before rejoins through the supernodes it learnt (supernodes.json) without --connect.
  if (!bootstrap && connect.length === 0 && !remembersSupernodes(dataDir)) problems.push(NO_ROLE_MESSAGE)

  let k: number | undefined
  if (flags.k != null) {
    k = /^\d+$/.test(flags.k) ? Number(flags.k) : NaN
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) {
      problems.push(`--k must be a whole number from 1 to ${MAX_K}, got "${flags.k}"`)
    } else if (!bootstrap) {
      problems.push('--k is a ring setting: give it to a supernode (--bootstrap); a peer learns k when it joins')
    } else if (connect.length > 0) {
      problems.push('--k is a ring setting: give it to the supernode that starts the ring; a supernode that joins (--connect) learns k')
    }
  }

  for (const addr of connect) {
    const problem = checkMultiaddr(addr, true)
    if (problem != null) problems.push(`--connect ${problem}`)
  }
  for (const addr of listen) {
    const problem = checkMultiaddr(addr, false)
    if (problem != null) problems.push(`--listen ${problem}`)
  }

  if (flags.api != null) {
    try {
      const { host } = parseHostPort(flags.api, { allowZero: true })
      if (!isLoopback(host)) {
        warnings.push(`the HTTP API is bound to ${host}, beyond this machine: anyone who can reach it and has its ` +
          'token (the api-token file of the data dir) controls this node; use it over a network you trust')
      }
    } catch (err) {
      problems.push(`--api ${(err as Error).message}`)
    }
  }
  if (flags.metrics != null) {
    try {
      const { host } = parseHostPort(flags.metrics, { allowZero: true })
      if (!isLoopback(host)) {
        warnings.push(`/metrics is served without a token at ${host}, beyond this machine: anyone who can reach it reads ` +
          'this node\'s figures (no secrets, no PeerIds); use it over a network you trust')
      }
    } catch (err) {
      problems.push(`--metrics ${(err as Error).message}`)
    }
  }
  let apiHosts: string[] = []
  try {
    apiHosts = parseApiHosts(flags.apiHost ?? [])
  } catch (err) {
    problems.push(`--api-host ${(err as Error).message}`)
  }
  if (flags.apiToken != null) {
    problems.push('--api-token is for client commands (chord-peer status --api-token <token>); the daemon makes its own')
  }

  let joinTimeoutMs: number | undefined
  if (flags.joinTimeout != null) {
    const seconds = /^\d+(\.\d+)?$/.test(flags.joinTimeout) ? Number(flags.joinTimeout) : NaN
    if (!(seconds > 0 && seconds <= MAX_JOIN_TIMEOUT_S)) {
      problems.push(`--join-timeout must be a number of seconds above 0 and at most ${MAX_JOIN_TIMEOUT_S}, got "${flags.joinTimeout}"`)
    } else {
      joinTimeoutMs = Math.round(seconds * 1000)
    }
  }

  // S3: flags override the environment (AWS_* and CHORD_PEER_S3_*, a .env file honoured by the caller).
  const vars: NodeJS.ProcessEnv = { ...(env.vars ?? process.env) }
  if (flags.s3Bucket != null) vars.CHORD_PEER_S3_BUCKET = flags.s3Bucket
  if (flags.s3Endpoint != null) vars.AWS_ENDPOINT_URL_S3 = flags.s3Endpoint
  if (flags.s3Region != null) vars.AWS_REGION = flags.s3Region
  if (flags.s3Prefix != null) vars.CHORD_PEER_S3_PREFIX = flags.s3Prefix
  let s3: PeerOptions['s3']
  try {
    s3 = s3ConfigFromEnv(vars)
    if (s3 === undefined && (flags.s3Endpoint != null || flags.s3Region != null || flags.s3Prefix != null)) problems.push(
      '--s3-endpoint, --s3-region and --s3-prefix need a bucket: --s3-bucket <name> (or CHORD_PEER_S3_BUCKET)')
    if (s3?.endpoint !== undefined && !/^https?:\/\/[^/]+/.test(s3.endpoint)) problems.push(`--s3-endpoint must be an http(s) URL, got "${s3.endpoint}"`)
    if (s3 !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s3.bucket)) problems.push(`--s3-bucket "${s3.bucket}" is not a valid bucket name (3-63 lowercase letters, digits, dots, hyphens)`)
  } catch (err) {
    problems.push((err as Error).message)
  }

  // A private network's key: read now, so a missing or malformed file is a usage error before anything starts.
  let swarmKey: Uint8Array | undefined
  const swarmKeyPath = flags.swarmKey != null ? resolve(env.cwd ?? process.cwd(), flags.swarmKey) : undefined
  if (swarmKeyPath != null) {
    try {
      swarmKey = readSwarmKey(swarmKeyPath)
    } catch (err) {
      problems.push(`--swarm-key: ${(err as Error).message}`)
    }
  }

  let scrubRate: number | undefined
  if (flags.scrubRate != null) {
    try {
      scrubRate = parseRate(flags.scrubRate)
    } catch (err) {
      problems.push(`--scrub-rate: ${(err as Error).message} (or 0 to turn scrubbing off)`)
    }
  }

  let maxStorage: number | undefined
  if (flags.maxStorage != null) {
    try {
      maxStorage = parseSize(flags.maxStorage)
    } catch (err) {
      problems.push(`--max-storage: ${(err as Error).message}`)
    }
  }

  if (flags.invite != null && inviteBytes(flags.invite) === undefined) {
    problems.push('--invite must be a token made by `chord-peer invite` (base64url)')
  }
  if (flags.admission != null) {
    if (flags.admission !== 'open' && flags.admission !== 'invite') {
      problems.push(`--admission must be open or invite, got "${flags.admission}"`)
    }
    else if (!bootstrap || connect.length > 0) problems.push('--admission is a ring setting: give it to the supernode that starts the ring')
  }

  if (flags.logLevel != null && !isLogLevel(flags.logLevel)) {
    problems.push(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${flags.logLevel}"`)
  }
  if (flags.logFormat != null && !isLogFormat(flags.logFormat)) {
    problems.push(`--log-format must be ${LOG_FORMATS.join(' or ')}, got "${flags.logFormat}"`)
  }

  if (problems.length > 0) throw new InvalidInputError(problems.join('\n'))

  // The daemon is one node per process: it exports libp2p's own metrics too (src/metrics/node-metrics.ts).
  const options: PeerOptions = { bootstrap, dataDir, libp2pMetrics: true }
  if (connect.length > 0) options.connect = connect
  if (listen.length > 0) options.listen = listen
  if (flags.api != null) options.api = flags.api.trim()
  if (apiHosts.length > 0) options.apiHosts = apiHosts
  if (k != null) options.k = k
  if (joinTimeoutMs != null) options.joinTimeoutMs = joinTimeoutMs
  if (s3 !== undefined) options.s3 = s3
  if (swarmKey !== undefined) options.swarmKey = swarmKey
  if (maxStorage !== undefined) options.maxStorage = maxStorage
  if (scrubRate !== undefined) options.scrubRate = scrubRate
  if (flags.metrics != null) options.metrics = flags.metrics.trim()
  if (flags.invite != null) options.invite = flags.invite.trim()
  if (flags.admission === 'open' || flags.admission === 'invite') options.admission = flags.admission
  const role = bootstrap ? 'supernode' : 'peer'
  const log = {
    level: flags.logLevel != null && isLogLevel(flags.logLevel) ? flags.logLevel : DEFAULT_LOG_LEVEL,
    format: flags.logFormat != null && isLogFormat(flags.logFormat) ? flags.logFormat : DEFAULT_LOG_FORMAT
  }
  return { role, options, warnings, config: configToSave(role, flags, s3, swarmKeyPath), log }
}

/** A problem with one multiaddr, or undefined. A dial address needs the PeerId to authenticate the remote. */
function checkMultiaddr (text: string, needsPeerId: boolean): string | undefined {
  let components
  try {
    components = multiaddr(text).getComponents()
  } catch (err) {
    return `"${text}" is not a multiaddr: ${(err as Error).message}`
  }
  const p2p = components.filter(c => c.name === 'p2p')
  if (!needsPeerId) {
    return p2p.length > 0 ? `"${text}" must not contain /p2p/: the PeerId comes from this node's identity key` : undefined
  }
  if (p2p.length === 0) return `"${text}" needs the supernode's PeerId at the end (…/p2p/<peerId>)`
  try {
    peerIdFromString(p2p[p2p.length - 1].value ?? '')
  } catch {
    return `"${text}" does not end in a valid PeerId`
  }
  return undefined
}
