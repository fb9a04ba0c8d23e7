// The AWS SDK is a third of a node's start-up: it must load only when S3 is configured. No static import chain
// may lead from the daemon's entry points to it (the S3 modules are imported dynamically, src/peer.ts and
// src/membership/view.ts), while the S3 modules themselves still reach it (so the walk below can see it).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'

const ROOT = join(import.meta.dirname, '..', '..')
/** Static, non-type imports: `import … from '…'` (over several lines too) and `import '…'`. */
const IMPORT = /^import (?!type )[^;']*?from '([^']+)'|^import '([^']+)'/gm

/** The chain of static imports from `entry` (a path under src/) to a module whose name starts with `pkg`, if any. */
function pathTo (entry: string, pkg: string): string[] | undefined {
  const seen = new Set<string>()
  const walk = (file: string, chain: string[]): string[] | undefined => {
    if (seen.has(file)) return undefined
    seen.add(file)
    const text = readFileSync(join(ROOT, file), 'utf8')
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]
      if (spec.startsWith(pkg)) return [...chain, file, spec]
      if (!spec.startsWith('.')) continue
      const found = walk(normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts'), [...chain, file])
      if (found !== undefined) return found
    }
    return undefined
  }
  return walk(entry, [])
}

describe('the AWS SDK loads only with S3', () => {
  it('no static import chain leads to it from createPeer or the CLI', () => {
    for (const entry of ['src/peer.ts', 'src/cli/index.ts', 'src/index.ts']) {
      assert.equal(pathTo(entry, '@aws-sdk'), undefined, `${entry} loads the AWS SDK: ${pathTo(entry, '@aws-sdk')?.join(' → ')}`)
    }
  })

  it('the S3 modules do reach it (the walk sees what it looks for)', () => {
    assert.ok(pathTo('src/files/s3-tier.ts', '@aws-sdk') !== undefined)
    assert.ok(pathTo('src/membership/s3-view-store.ts', '@aws-sdk') !== undefined)
  })
})
