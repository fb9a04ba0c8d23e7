// `<data-dir>/config.json`: how the daemon of a data dir was last started, so `chord-peer --data-dir D` alone
// starts it again as the same node (same role, addresses, API, ring and S3 settings). Written after every
// successful start (the data dir's lock is held then, and a start that fails leaves nothing behind); flags given
// on a later start override what is stored and are stored in turn. The file holds no secret: invites are single
// use and never stored, S3 credentials stay in the environment, the swarm key is named by its path.
// A supernode that listened on port 0 is stored with the port it got: peers and the other supernodes remember
// its address, so it comes back where they look for it.
import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../atomic-file.js'
import { InvalidInputError, NotFoundError } from '../errors.js'
import { SUPERNODES_FILE } from '../membership/bootstrap.js'
import type { DaemonFlags, Role } from './daemon-options.js'

export const CONFIG_FILE = 'config.json'
const CONFIG_VERSION = 1
/** The supernode's stored view: a data dir from before config.json that has one was a supernode's. */
const VIEW_FILE = 'view.json'

/** What config.json holds: the role and the daemon flags as given (strings, as on the command line). */
export interface DaemonConfig {
  version: typeof CONFIG_VERSION
  role: Role
  connect?: string[]
  listen?: string[]
  api?: string
  apiHost?: string[]
  k?: string
  admission?: string
  joinTimeout?: string
  s3Bucket?: string
  s3Endpoint?: string
  s3Region?: string
  s3Prefix?: string
  /** Absolute path of the swarm key file. */
  swarmKey?: string
  maxStorage?: string
  scrubRate?: string
  metrics?: string
  logLevel?: string
  logFormat?: string
}

/** The flags stored as given; the role is stored apart. */
const STRING_FIELDS = [
  'api', 'k', 'admission', 'joinTimeout', 's3Bucket', 's3Endpoint', 's3Region', 's3Prefix', 'swarmKey', 'maxStorage', 'scrubRate',
  'logLevel', 'logFormat', 'metrics'
] as const
const LIST_FIELDS = ['connect', 'listen', 'apiHost'] as const
/** The S3 flags, which the environment overrides when read from the file (flags > environment > file). */
export const S3_FIELDS = ['s3Bucket', 's3Endpoint', 's3Region', 's3Prefix'] as const

/** Larger than any real config: a bigger file is not ours. */
const MAX_CONFIG_BYTES = 64 * 1024

/** The stored config of `dataDir`, or undefined when there is none; a malformed file is a usage error naming it. */
export async function readDaemonConfig (dataDir: string): Promise<DaemonConfig | undefined> {
  const file = join(dataDir, CONFIG_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new InvalidInputError(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  if (text.length > MAX_CONFIG_BYTES) throw new InvalidInputError(`${file} is larger than a config file can be`)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new InvalidInputError(`${file} is not JSON (${(err as Error).message}): fix it, or remove it and give the flags again`)
  }
  const problem = configProblem(json)
  if (problem !== undefined) throw new InvalidInputError(`${file}: ${problem}: fix it, or remove it and give the flags again`)
  return json as DaemonConfig
}

function configProblem (json: unknown): string | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return 'not an object'
  const c = json as Record<string, unknown>
  if (c.version !== CONFIG_VERSION) return `version must be ${CONFIG_VERSION}, got ${JSON.stringify(c.version)}`
  if (c.role !== 'supernode' && c.role !== 'peer') return `role must be "supernode" or "peer", got ${JSON.stringify(c.role)}`
  for (const field of STRING_FIELDS) {
    if (c[field] !== undefined && typeof c[field] !== 'string') return `${field} must be a string`
  }
  for (const field of LIST_FIELDS) {
    const value = c[field]
    const strings = Array.isArray(value) && value.every(v => typeof v === 'string')
    if (value !== undefined && !strings) return `${field} must be a list of strings`
  }
  return undefined
}

/**
 * The flags to start with: `given` over what `saved` holds. A data dir from before config.json is recognised by
 * its files (a supernode's view.json, a peer's supernodes.json), so it resumes too. The S3 fields are not merged
 * here: the caller puts them under the environment (`s3Defaults`).
 */
export function resumeFlags (given: DaemonFlags, saved: DaemonConfig | undefined, dataDir: string): DaemonFlags {
  const flags: DaemonFlags = { ...given }
  const role = given.bootstrap === true || (given.connect ?? []).length > 0 ? undefined : saved?.role ?? legacyRole(dataDir)
  if (role === 'supernode') flags.bootstrap = true
  if (saved === undefined) return flags
  for (const field of [...STRING_FIELDS, ...LIST_FIELDS]) {
    if ((S3_FIELDS as readonly string[]).includes(field) || flags[field] !== undefined) continue
    // A ring setting belongs to the supernode that founded the ring: not to one that now joins another.
    if ((field === 'k' || field === 'admission') && given.connect !== undefined) continue
    const value = saved[field]
    if (value !== undefined) (flags as Record<string, unknown>)[field] = Array.isArray(value) ? [...value] : value
  }
  return flags
}

/** The S3 settings stored, as environment variables the real environment overrides. */
export function s3Defaults (saved: DaemonConfig | undefined): NodeJS.ProcessEnv {
  const vars: NodeJS.ProcessEnv = {}
  if (saved?.s3Bucket !== undefined) vars.CHORD_PEER_S3_BUCKET = saved.s3Bucket
  if (saved?.s3Endpoint !== undefined) vars.AWS_ENDPOINT_URL_S3 = saved.s3Endpoint
  if (saved?.s3Region !== undefined) vars.AWS_REGION = saved.s3Region
  if (saved?.s3Prefix !== undefined) vars.CHORD_PEER_S3_PREFIX = saved.s3Prefix
  return vars
}

/** The role a data dir written before config.json existed had, judged by its files. */
function legacyRole (dataDir: string): Role | undefined {
  if (existsSync(join(dataDir, VIEW_FILE))) return 'supernode'
  if (existsSync(join(dataDir, SUPERNODES_FILE))) return 'peer'
  return undefined
}

/** Whether `dataDir` holds what a peer needs to rejoin without --connect (the supernodes it learnt). */
export function remembersSupernodes (dataDir: string): boolean {
  return existsSync(join(dataDir, SUPERNODES_FILE))
}

/**
 * Write config.json for a daemon that started (`bound`: its listen multiaddrs as running): a supernode's
 * port-0 listen addresses are pinned to the ports they got.
 */
export async function saveDaemonConfig (dataDir: string, config: DaemonConfig, bound: readonly string[]): Promise<void> {
  const stored = config.role === 'supernode' && config.listen !== undefined ? { ...config, listen: pinPorts(config.listen, bound) } : config
  await writeFileAtomic(join(dataDir, CONFIG_FILE), JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 })
}

/** The config a daemon started with these flags stores: S3 as in effect, whichever source it came from. */
export function configToSave (
  role: Role, flags: DaemonFlags, s3: { bucket: string, endpoint?: string, region?: string, prefix?: string } | undefined,
  swarmKeyPath: string | undefined
): DaemonConfig {
  const config: DaemonConfig = { version: CONFIG_VERSION, role }
  const listen = flags.listen ?? (role === 'supernode' ? [DEFAULT_LISTEN] : undefined)
  if (flags.connect !== undefined && flags.connect.length > 0) config.connect = [...flags.connect]
  if (listen !== undefined) config.listen = [...listen]
  if (flags.api !== undefined) config.api = flags.api.trim()
  if (flags.apiHost !== undefined && flags.apiHost.length > 0) config.apiHost = [...flags.apiHost]
  if (flags.k !== undefined) config.k = flags.k
  if (flags.admission !== undefined) config.admission = flags.admission
  if (flags.joinTimeout !== undefined) config.joinTimeout = flags.joinTimeout
  if (s3 !== undefined) {
    config.s3Bucket = s3.bucket
    if (s3.endpoint !== undefined) config.s3Endpoint = s3.endpoint
    if (s3.region !== undefined) config.s3Region = s3.region
    if (s3.prefix !== undefined && s3.prefix !== '') config.s3Prefix = s3.prefix
  }
  if (swarmKeyPath !== undefined) config.swarmKey = swarmKeyPath
  if (flags.maxStorage !== undefined) config.maxStorage = flags.maxStorage
  if (flags.scrubRate !== undefined) config.scrubRate = flags.scrubRate
  if (flags.metrics !== undefined) config.metrics = flags.metrics.trim()
  if (flags.logLevel !== undefined) config.logLevel = flags.logLevel
  if (flags.logFormat !== undefined) config.logFormat = flags.logFormat
  return config
}

/** createPeer's listen address when none is given. */
export const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/0'

/** Each `/ip4|ip6/<host>/tcp/0` with the port a bound address of the same family (and host, unless a wildcard) got. */
export function pinPorts (listen: readonly string[], bound: readonly string[]): string[] {
  return listen.map(addr => {
    const wanted = /^\/(ip4|ip6)\/([^/]+)\/tcp\/0$/.exec(addr)
    if (wanted === null) return addr
    const [, family, host] = wanted
    const wildcard = host === '0.0.0.0' || host === '::'
    for (const b of bound) {
      const got = /^\/(ip4|ip6)\/([^/]+)\/tcp\/(\d+)/.exec(b)
      if (got !== null && got[1] === family && (wildcard || got[2] === host) && got[3] !== '0') return `/${family}/${host}/tcp/${got[3]}`
    }
    return addr
  })
}

/** `chord-peer config`: the stored config of a data dir; NotFoundError when it has none. */
export async function loadConfigOrFail (dataDir: string): Promise<DaemonConfig> {
  const config = await readDaemonConfig(dataDir)
  if (config === undefined) {
    throw new NotFoundError(`no ${CONFIG_FILE} in ${dataDir}: a daemon writes it when it first starts with that --data-dir`)
  }
  return config
}
