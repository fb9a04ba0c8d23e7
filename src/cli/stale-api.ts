// A stale `api` file: the daemon that wrote `<data-dir>/api` was killed or crashed (a daemon that stops removes
// the file), so nothing listens at the URL it names. The way back is that daemon started again on the same data
// dir (same identity, same view); `chord-peer --bootstrap` elsewhere would start a second, separate ring.
import { join } from 'node:path'
import { API_FILE } from '../client/index.js'
import { DaemonUnreachableError } from '../errors.js'
import { resolveDataDir } from './data-dir.js'
import { CONFIG_FILE } from './daemon-config.js'
import type { DataDirEnv } from './data-dir.js'

/**
 * A refused connection to the URL read from the data dir's `api` file, restated: the daemon is gone, restart it
 * with the same `--data-dir`. Any other error (or a URL given with `--api`) as it is.
 */
export function explainStaleApiFile (err: unknown, flags: { api?: string, dataDir?: string }, env: DataDirEnv = {}): unknown {
  if (flags.api != null || (err as { code?: unknown } | undefined)?.code !== DaemonUnreachableError.code || !refused(err)) return err
  const dir = resolveDataDir(flags.dataDir, env)
  const url = (err as DaemonUnreachableError).url ?? 'its URL'
  return new DaemonUnreachableError(
    `no daemon answers at ${url}, the URL in ${join(dir, API_FILE)}: the daemon that wrote it is gone (killed or ` +
    `crashed). Start it again with the same data dir: chord-peer --data-dir ${dir} (it resumes from its ${CONFIG_FILE}) ` +
    '(a new `chord-peer --bootstrap` on another data dir would start a second ring)',
    { url: (err as DaemonUnreachableError).url }, { cause: err })
}

/** Was the connection refused (ECONNREFUSED anywhere in the causes)? */
function refused (err: unknown): boolean {
  const seen = new Set<unknown>()
  for (let e = err; e != null && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e)
    if ((e as { code?: unknown }).code === 'ECONNREFUSED') return true
    const inner = (e as { errors?: unknown }).errors
    if (Array.isArray(inner) && inner.some(refused)) return true
  }
  return false
}
