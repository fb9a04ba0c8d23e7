// Which daemon a client command talks to, and with which token. The URL: `--api <url>` (host:port or
// http://host:port), else the URL the daemon wrote to `<data-dir>/api`, with the data dir from `--data-dir` or the
// shared default. The token: `--api-token`, else CHORD_PEER_API_TOKEN, else the `api-token` file beside the
// `api` file. With `--api` the file is read only when `--data-dir` is given too, so the token of the local daemon
// is never sent to another URL.
import { join } from 'node:path'
import { ApiError } from '../errors.js'
import { API_TOKEN_FILE, normalizeApiUrl, readApiTokenFile, readApiUrlFile } from '../client/index.js'
import { resolveDataDir } from './data-dir.js'
import type { DataDirEnv } from './data-dir.js'

/** The environment variable a client command reads its API token from. */
export const API_TOKEN_ENV = 'CHORD_PEER_API_TOKEN'

export interface ApiFlags {
  api?: string
  dataDir?: string
  apiToken?: string
}

export interface ApiEnv extends DataDirEnv {
  /** Default: process.env. */
  vars?: NodeJS.ProcessEnv
}

export interface ApiTarget {
  url: string
  token?: string
  /** Where the token came from, or the file it was looked for in; for the message of a 401. */
  tokenFrom?: string
}

export async function resolveApiUrl (flags: ApiFlags, env: DataDirEnv = {}): Promise<string> {
  if (flags.api != null) return normalizeApiUrl(flags.api)
  return readApiUrlFile(resolveDataDir(flags.dataDir, env))
}

export async function resolveApi (flags: ApiFlags, env: ApiEnv = {}): Promise<ApiTarget> {
  const url = await resolveApiUrl(flags, env)
  if (flags.apiToken != null) return { url, token: flags.apiToken.trim(), tokenFrom: 'the --api-token flag' }
  const fromEnv = (env.vars ?? process.env)[API_TOKEN_ENV]?.trim()
  if (fromEnv != null && fromEnv !== '') return { url, token: fromEnv, tokenFrom: API_TOKEN_ENV }
  if (flags.api != null && flags.dataDir == null) return { url }
  const dir = resolveDataDir(flags.dataDir, env)
  return { url, token: await readApiTokenFile(dir), tokenFrom: join(dir, API_TOKEN_FILE) }
}

/** A 401 from the daemon, restated to say where the token is expected; any other error as it is. */
export function explainUnauthorized (err: unknown, target: ApiTarget): unknown {
  if (!(err instanceof Error) || (err as Partial<ApiError>).status !== 401) return err
  const where = `the daemon writes its token to the ${API_TOKEN_FILE} file of its data dir (a new one each start): ` +
    `pass --data-dir <dir>, --api-token <token> or ${API_TOKEN_ENV}`
  const what = target.token != null
    ? `the daemon at ${target.url} refused the API token from ${target.tokenFrom ?? 'the caller'}`
    : `the daemon at ${target.url} needs its API token, and none was found${target.tokenFrom != null ? ` (no ${target.tokenFrom})` : ''}`
  return new ApiError(`${what}; ${where}`, { status: 401, code: (err as ApiError).code }, { cause: err })
}
