// Which daemon a client command talks to: `--api <url>` (host:port or http://host:port), else the URL the
// daemon wrote to `<data-dir>/api`, with the data dir from `--data-dir` or the shared default.
import { normalizeApiUrl, readApiUrlFile } from '../client/index.js'
import { resolveDataDir } from './data-dir.js'
import type { DataDirEnv } from './data-dir.js'

export interface ApiFlags {
  api?: string
  dataDir?: string
}

export async function resolveApiUrl (flags: ApiFlags, env: DataDirEnv = {}): Promise<string> {
  if (flags.api != null) return normalizeApiUrl(flags.api)
  return readApiUrlFile(resolveDataDir(flags.dataDir, env))
}
