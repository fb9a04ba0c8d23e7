// The sync pass (anti-entropy, repair and a joiner's pull in one): this node is primary for its range
// (predecessor, self] and makes sure its k − 1 successors hold the newest version of every record in it.
// 1. compare: a digest of the range with each replica; only a replica whose digest differs is listed;
// 2. pull: every version a replica holds that is newer than ours (or that we lack) comes here first — this is
//    how a joiner receives the range it now owns from its successor, the old owner;
// 3. restore: records of the range that only the durable tier still has (restore.ts);
// 4. push: each replica gets every version it lacks or holds an older copy of — this is how copies return to
//    k after a crash (the new primary, or the primary whose replica set changed, fills the new replica).
import { compareVersions, type FileRecord } from '../record.js'
import { digestOf } from '../index-protocol.js'
import { noRoom, pullFrom, pushTo, type CopyHooks, type Replication, type SyncReport } from './copies.js'
import type { DurableRestore } from './restore.js'

export async function syncPass (
  rep: Replication, restore: DurableRestore, now: number, signal: AbortSignal, hooks: CopyHooks = {}
): Promise<SyncReport> {
  const { ctx, index } = rep
  const report: SyncReport = { pulled: 0, pushed: 0, restored: 0, errors: 0, full: 0, bytes: 0 }
  const range = ctx.ring.range()
  if (range === undefined) return report // not known yet
  const self = ctx.ring.self
  const replicas = ctx.ring.successors().filter(n => n.id !== self.id).slice(0, ctx.k - 1)
  const from = ctx.ring.space.toHex(range.from)
  const to = ctx.ring.space.toHex(range.to)

  const mine = new Map<string, FileRecord>()
  for await (const r of ctx.records.listRange(from, to, { signal })) mine.set(r.key, r)
  if (replicas.length === 0) {
    await restore.run(from, to, mine, report, now, signal, hooks)
    return report
  }
  const myDigest = digestOf(mine.values())
  const theirs = new Map<bigint, Map<string, FileRecord>>()
  for (const node of replicas) {
    try {
      // Anti-entropy: equal digests of the shared range mean nothing to do; only a difference costs a listing.
      const d = await index.digest(node, from, to, signal)
      if (d.digest === myDigest.digest && d.count === myDigest.count) continue
      theirs.set(node.id, await index.listRange(node, from, to, signal))
    } catch (err) {
      signal.throwIfAborted()
      report.errors++
      ctx.log('replica sync: cannot list %s: %e', node.address, err)
    }
  }
  // Pull newer versions first, so what we push next is the newest any of us has.
  for (const node of replicas) {
    for (const [key, t] of theirs.get(node.id) ?? []) {
      const m = mine.get(key)
      if (m !== undefined && compareVersions(m.version, t.version) >= 0) continue
      try {
        hooks.copying?.()
        await pullFrom(ctx, t, node, signal)
        mine.set(key, t)
        report.pulled++
        report.bytes += t.size
        hooks.copied?.(t)
      } catch (err) {
        signal.throwIfAborted()
        report.errors++
        if (noRoom(err)) {
          report.full++
          ctx.log('replica sync: no room here for %s (a missing copy): %e', t.name, err)
        } else {
          ctx.log('replica sync: pull of %s from %s failed: %e', t.name, node.address, err)
        }
      }
    }
  }
  const known = new Map(mine)
  for (const there of theirs.values()) for (const [key, t] of there) known.set(key, t) // a failed pull is not for S3
  await restore.run(from, to, known, report, now, signal, hooks)
  for (const node of replicas) {
    const there = theirs.get(node.id)
    if (there === undefined) continue
    for (const [key, m] of mine) {
      const t = there.get(key)
      if (t !== undefined && compareVersions(t.version, m.version) >= 0) continue
      try {
        hooks.copying?.()
        await pushTo(ctx, m, node, signal)
        report.pushed++
        report.bytes += m.size
        hooks.copied?.(m)
      } catch (err) {
        signal.throwIfAborted()
        report.errors++
        if (noRoom(err)) {
          report.full++
          ctx.log('replica sync: %s has no room for %s (a missing copy): %e', node.address, m.name, err)
        } else {
          ctx.log('replica sync: push of %s to %s failed: %e', m.name, node.address, err)
        }
      }
    }
  }
  return report
}
