// The surplus pass: drop the copies this node no longer needs — records whose placement (owner + k − 1
// successors, by lookup) does not include this node, as after a join moved them on or a node came back from a
// crash. A record goes only once every placement node has answered that it holds that version or a newer one,
// only if the ring did not change while we asked (`ringChanged`), and only if it was not replaced meanwhile.
// A record the placement's primary lacks (or holds older) is handed to it first: after a partition heals, the
// nodes that held a name on one side may all fall outside its placement on the merged ring, and no sync pass
// would ever ask them (the primary syncs with its replicas only). The primary checks such a push as any store
// hop (owners.ts), and its sync pass passes it on to the replicas; the copy here goes on a later pass.
// Records are taken one owner's range at a time: one lookup and k listings per range.
import { noRoom, pushTo } from './copies.js'
import { placement } from '../context.js'
import { compareVersions, type FileRecord } from '../record.js'
import { blobAddress } from '../hashing.js'
import { dropIfUnused } from '../store.js'
import type { Replication } from './copies.js'
import type { NodeRef } from '../../ring/index.js'

const MAX_KEY = 'f'.repeat(64)

/** What one surplus pass did: copies dropped, copies handed to their primary, hand-overs that failed. */
export interface SurplusReport { dropped: number, handed: number, failed: number }

export async function dropSurplus (rep: Replication, ringChanged: () => boolean, signal: AbortSignal): Promise<SurplusReport> {
  const { ctx, index } = rep
  const self = ctx.ring.self
  const space = ctx.ring.space
  let dropped = 0
  let handed = 0
  let failed = 0
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
    const holds = (m: Map<string, FileRecord>, r: FileRecord): boolean => {
      const t = m.get(r.key)
      return t !== undefined && compareVersions(t.version, r.version) >= 0
    }
    for (const r of group) {
      if (!holds(theirs[0], r)) {
        try {
          await pushTo(ctx, r, nodes[0], signal)
          handed++
        } catch (err) {
          signal.throwIfAborted()
          failed++
          ctx.log('surplus: cannot hand %s to its primary %s%s: %e', r.name, nodes[0].address, noRoom(err) ? ' (no room)' : '', err)
        }
        continue
      }
      if (!theirs.every(m => holds(m, r))) continue
      if (!(await ctx.records.delete(r.key, r.version))) continue
      if (!r.tombstone) await dropIfUnused(ctx, blobAddress(r))
      dropped++
    }
  }
  return { dropped, handed, failed }
}
