// `chord-peer ring [--check]`: the ring as seen by walking successor pointers from the daemon, one line per
// member in ring order; with --check, the daemon's invariant check (protocols/README.md §7), exit 1 when it
// fails.
import { shortId, shortPeerId, table } from './format.js'
import { EXIT_FAILED, EXIT_OK } from './context.js'
import type { CommandContext } from './context.js'
import type { RingJson } from '../api/types.js'

export interface RingArgs {
  json?: boolean
  check?: boolean
}

export async function ringCommand (ctx: CommandContext, args: RingArgs = {}): Promise<number> {
  const check = args.check === true
  const ring = await ctx.client.ring({ check, signal: ctx.signal })
  const problems = check ? ringProblems(ring) : []
  if (args.json === true) ctx.printJson(ring)
  else ctx.print(formatRing(ring, check ? problems : undefined))
  return problems.length === 0 ? EXIT_OK : EXIT_FAILED
}

/** The daemon's problems, plus the ones the walk itself shows. Empty means the ring is healthy. */
export function ringProblems (ring: RingJson): string[] {
  if (ring.check == null) return ['the daemon did not return an invariant check']
  const problems = [...ring.check.problems]
  if (!ring.check.ok && problems.length === 0) problems.push('the daemon reports the check failed without details')
  if (!ring.closed && !problems.some(p => /clos/i.test(p))) {
    problems.push('the successor walk did not come back to its start')
  }
  return problems
}

/** `problems` undefined: no check asked for. */
export function formatRing (ring: RingJson, problems?: string[]): string {
  const n = ring.members.length
  const lines = [`${n} member${n === 1 ? '' : 's'} in ring order${ring.closed ? '' : ' (the walk did not close)'}`]
  if (n > 0) {
    lines.push(table([
      ['#', 'id', 'peer', 'successors'],
      ...ring.members.map((m, i) => [String(i + 1), shortId(m.id), shortPeerId(m.peerId), String(m.successors.length)])
    ]))
  }
  if (problems == null) return lines.join('\n')
  if (problems.length === 0) {
    lines.push(`ring OK: ${n} member${n === 1 ? '' : 's'}, ordered, closed`)
  } else {
    lines.push(`ring check FAILED: ${problems.length} problem${problems.length === 1 ? '' : 's'}`)
    for (const problem of problems) lines.push(`  - ${problem}`)
  }
  return lines.join('\n')
}
