// Where a daemon's HTTP API lives: parsing `host:port` / `http://host:port` and reading the `<data-dir>/api` and
// `<data-dir>/api-token` files that a running daemon writes. No flag handling here (that is the CLI's), so
// scripts can reuse it.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DaemonUnreachableError, InvalidInputError } from '../errors.js'

/** Name of the file, inside a data dir, that holds the running daemon's API URL. */
export const API_FILE = 'api'
/** Name of the file, beside `API_FILE`, that holds the running daemon's API bearer token (mode 0600). */
export const API_TOKEN_FILE = 'api-token'

export interface HostPort {
  host: string
  port: number
}

/**
 * Parse `host:port` (IPv6 hosts in brackets: `[::1]:4001`). `allowZero` accepts port 0 (bind to any free
 * port), which only makes sense for a daemon's listen address.
 */
export function parseHostPort (input: string, options: { allowZero?: boolean } = {}): HostPort {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+):(\d{1,5})$/.exec(input.trim())
  if (match == null) throw new InvalidInputError(`expected host:port, got "${input}"`)
  const port = Number(match[2])
  const min = options.allowZero === true ? 0 : 1
  if (port < min || port > 65535) throw new InvalidInputError(`port must be in [${min}, 65535], got ${port} in "${input}"`)
  return { host: match[1], port }
}

/** Normalise `host:port` or `http(s)://host:port[/]` to an origin URL without a trailing slash. */
export function normalizeApiUrl (input: string): string {
  const text = input.trim()
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const { host, port } = parseHostPort(text)
    return `http://${host}:${port}`
  }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidInputError(`not a URL: "${input}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError(`the API URL must be http:// or https://, got "${input}"`)
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new InvalidInputError(`the API URL must be an origin like http://127.0.0.1:4001, got "${input}"`)
  }
  return url.origin
}

/** Read the API URL a daemon recorded in `<dataDir>/api`. Missing file → DaemonUnreachableError. */
export async function readApiUrlFile (dataDir: string): Promise<string> {
  const file = join(dataDir, API_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DaemonUnreachableError(
        `no daemon API URL found in ${file}: is the daemon running? start it again with the flags it had and ` +
        `--data-dir ${dataDir} (\`chord-peer --bootstrap\` on a new data dir starts a new ring), or pass --api <host:port> / ` +
        '--data-dir <dir>', {}, { cause: err })
    }
    throw err
  }
  try {
    return normalizeApiUrl(text)
  } catch (err) {
    throw new DaemonUnreachableError(`${file} does not hold an API URL: ${(err as Error).message}`, {}, { cause: err })
  }
}

/** The API token a daemon recorded in `<dataDir>/api-token`; undefined when there is no such file. */
export async function readApiTokenFile (dataDir: string): Promise<string | undefined> {
  try {
    const token = (await readFile(join(dataDir, API_TOKEN_FILE), 'utf8')).trim()
    return token === '' ? undefined : token
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
