// The data directory (identity key, files, index, and the `api` file naming the running daemon's API URL).
// One rule, shared by the daemon and the client commands so they agree without flags: `--data-dir` if given,
// else `./.chord-peer` when it exists (a per-project node), else `~/.chord-peer`.
import { statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export const DATA_DIR_NAME = '.chord-peer'

export interface DataDirEnv {
  /** Default: process.cwd() */
  cwd?: string
  /** Default: os.homedir() */
  home?: string
}

/** `./.chord-peer` if that directory exists, else `~/.chord-peer`. Absolute. */
export function defaultDataDir (env: DataDirEnv = {}): string {
  const local = resolve(env.cwd ?? process.cwd(), DATA_DIR_NAME)
  if (isDirectory(local)) return local
  return join(env.home ?? homedir(), DATA_DIR_NAME)
}

/** The `--data-dir` flag resolved against cwd, or the default. Absolute. */
export function resolveDataDir (flag: string | undefined, env: DataDirEnv = {}): string {
  if (flag != null && flag !== '') return resolve(env.cwd ?? process.cwd(), flag)
  return defaultDataDir(env)
}

function isDirectory (path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
