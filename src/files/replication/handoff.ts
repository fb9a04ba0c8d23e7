// The hand-off pass of a graceful leave: give the successor every record of this node's range it lacks, so
// nothing is lost even with k = 1.
import { compareVersions } from '../record.js'
import { pushTo, type Replication } from './copies.js'
import type { FileRecord } from '../record.js'

/** Returns the number of records handed over (`onPushed` is told of each); bounded by `signal`. */
export async function handOff (rep: Replication, signal: AbortSignal, onPushed?: (record: FileRecord) => void): Promise<number> {
  const { ctx, index } = rep
  const succ = ctx.ring.successors()[0]
  const range = ctx.ring.range()
  if (succ === undefined || succ.id === ctx.ring.self.id || range === undefined || range.from === range.to) return 0
  const from = ctx.ring.space.toHex(range.from)
  const to = ctx.ring.space.toHex(range.to)
  const there = await index.listRange(succ, from, to, signal)
  let handed = 0
  for await (const m of ctx.records.listRange(from, to, { signal })) {
    const t = there.get(m.key)
    if (t !== undefined && compareVersions(t.version, m.version) >= 0) continue
    await pushTo(ctx, m, succ, signal)
    handed++
    onPushed?.(m)
  }
  return handed
}
