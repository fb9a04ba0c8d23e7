// The surplus pass: drop the copies this node no longer needs — records whose placement (owner + k − 1
// successors, by lookup) does not include this node, as after a join moved them on or a node came back from a
// crash. A record goes only once every placement node has answered that it holds that version or a newer one,
// only if the ring did not change while we asked (`ringChanged`), and only if it was not replaced meanwhile.
// Records are taken one owner's range at a time: one lookup and k listings per range.
import { placement } from '../context.js'
import { compareVersions, type FileRecord } from '../record.js'
import { dropIfUnused } from '../store.js'
import type { Replication } from './copies.js'
import type { NodeRef } from '../../ring/index.js'

const MAX_KEY = 'f'.repeat(64)

/** Returns the number of records dropped. */
export async function dropSurplus (rep: Replication, ringChanged: () => boolean, signal: AbortSignal): Promise<number> {
  const { ctx, index } = rep
  const self = ctx.ring.self
  const space = ctx.ring.space
  let dropped = 0
  let gt: string | undefined
  while (gt !== MAX_KEY) {
    let first: FileRecord | undefined
    for await (const r of ctx.records.list({ gt, limit: 1, signal })) first = r
    if (first === undefined) break
    let nodes: NodeRef[]
    try {
      nodes = (await placement(ctx, first.key, signal)).nodes
    } catch (err) {
      signal.throwIfAborted()
      ctx.log('surplus: cannot look up the placement of %s: %e', first.key, err)
      break
    }
    // This owner's range ends at its id; a range that wraps past ff…f is taken up to ff…f here, the rest
    // again from 00…0 by the next pass.
    const ownerHex = space.toHex(nodes[0].id)
    const upper = ownerHex >= first.key ? ownerHex : MAX_KEY
    const from = gt ?? space.toHex((BigInt('0x' + first.key) - 1n + space.size) % space.size)
    gt = upper
    if (nodes.length < ctx.k || nodes.some(n => n.id === self.id)) continue
    const group: FileRecord[] = []
    for await (const r of ctx.records.listRange(from, upper, { signal })) group.push(r)
    let theirs: Array<Map<string, FileRecord>>
    try {
      theirs = await Promise.all(nodes.map(async n => index.listRange(n, from, upper, signal)))
    } catch (err) {
      signal.throwIfAborted()
      ctx.log('surplus: cannot list the placement of %s: %e', first.key, err)
      continue
    }
    if (ringChanged()) continue
    for (const r of group) {
      if (!theirs.every(m => { const t = m.get(r.key); return t !== undefined && compareVersions(t.version, r.version) >= 0 })) continue
      if (!(await ctx.records.delete(r.key, r.version))) continue
      if (!r.tombstone) await dropIfUnused(ctx, r.hash)
      dropped++
    }
  }
  return dropped
}
