// Where the chord-peer package is on disk, and its version: the dashboard's files (web/) sit at the package root,
// beside package.json, whether the node runs from source (src/api) or compiled (dist/src/api), so walk up to the
// first package.json named chord-peer.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let found: { root: string, version: string } | undefined

/** The package's root directory and version (read once). */
export function packageInfo (): { root: string, version: string } {
  if (found !== undefined) return found
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'chord-peer' && typeof pkg.version === 'string') return (found = { root: dir, version: pkg.version })
    } catch {
      // no (readable) package.json here: keep walking up
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error('cannot find the chord-peer package root (no package.json named chord-peer above this module)')
    dir = parent
  }
}
