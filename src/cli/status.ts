// `chord-peer status`: this node's identity, role, neighbours, finger summary, ring settings, storage, the S3 tier,
// last scrub and last blob collection.
import {
  fieldBlock, formatBytes, formatDate, formatDuration, formatNode, formatRate, printable, shortId, table, type Field
} from './format.js'
import { EXIT_OK } from './context.js'
import type { CommandContext } from './context.js'
import type { FingerJson, NodeJson, S3StatusJson, StatusJson, StorageJson, TrafficJson } from '../api/types.js'

export interface StatusArgs {
  json?: boolean
}

export async function statusCommand (ctx: CommandContext, args: StatusArgs = {}): Promise<number> {
  const status = await ctx.client.status({ signal: ctx.signal })
  if (args.json === true) ctx.printJson(status)
  else ctx.print(formatStatus(status))
  return EXIT_OK
}

export function formatStatus (s: StatusJson): string {
  const { settings } = s
  return fieldBlock([
    ['node', `${shortId(s.node.id)}  ${s.node.id}`],
    ['peer id', s.node.peerId],
    ['role', s.joined ? s.role : `${s.role} (not joined yet)`],
    ...(s.leader != null
      ? [['leader', `${s.leader.peerId}  epoch ${s.leader.epoch}${s.leader.acting ? '' : '  (not acting)'}`] as Field]
      : []),
    ['addresses', s.node.addrs ?? []],
    ['api', s.apiUrl],
    ['uptime', formatDuration(s.uptimeMs)],
    ['connections', String(s.connections)],
    ...(s.traffic != null ? [['traffic', trafficLines(s.traffic, s.uptimeMs)] as Field] : []),
    ...(s.storage != null ? [['storage', storageLines(s.storage)] as Field] : []),
    ...(s.s3 != null ? [['s3', s3Lines(s.s3)] as Field] : []),
    ['last scrub', s.lastScrub == null
      ? 'not yet (the first pass starts a minute after start)'
      : `${formatDate(s.lastScrub.finished)}: ${s.lastScrub.blobs} files, ${formatBytes(s.lastScrub.bytes)} in ` +
        `${formatDuration(s.lastScrub.ms)}, ` +
        (s.lastScrub.bad === 0 ? 'all sound' : `${s.lastScrub.bad} bad (repaired from other holders)`)],
    ...(s.lastGc != null
      ? [['last gc', `${formatDate(s.lastGc.finished)}: ${s.lastGc.removed} unreferenced of ${s.lastGc.blobs} blobs removed ` +
          `(${formatBytes(s.lastGc.bytes)})${s.lastGc.errors === 0 ? '' : `, ${s.lastGc.errors} could not be`}`] as Field]
      : []),
    ['predecessor', s.predecessor == null ? '-' : self(formatNode(s.predecessor), s.predecessor, s.node)],
    ['successors', s.successors.map((node, i) => self(`${i + 1}. ${formatNode(node)}`, node, s.node))],
    ['fingers', fingerLines(s.fingers, s.node)],
    ['settings', [
      `k=${settings.k} (copies of each file)  r=${settings.r} (successor list length)`,
      `stabilize ${settings.stabilizeIntervalMs} ms, fix fingers ${settings.fixFingersIntervalMs} ms, ` +
        `check predecessor ${settings.checkPredecessorIntervalMs} ms`
    ]]
  ])
}

/** Bytes in and out with their mean rates since start, then lookups, puts and gets. */
function trafficLines (t: TrafficJson, uptimeMs: number): string[] {
  const meanLookup = t.lookups > 0 ? `, mean ${(t.lookupMs / t.lookups).toFixed(1)} ms` : ''
  return [
    `in ${formatBytes(t.bytesIn)}, out ${formatBytes(t.bytesOut)} ` +
      `(${formatRate(t.bytesIn, uptimeMs)} in, ${formatRate(t.bytesOut, uptimeMs)} out on average since start)`,
    `${t.lookups} lookups (${t.lookupsFailed} failed${meanLookup}), ${t.puts} puts (${formatBytes(t.putBytes)}), ` +
      `${t.gets} gets (${formatBytes(t.getBytes)})`
  ]
}

/** Files and bytes held, then the room left on the disk and under the quota. */
function storageLines (st: StorageJson): string[] {
  const lines = [`${st.files} files, ${formatBytes(st.bytes)}${st.tombstones > 0 ? ` (and ${st.tombstones} deleted names)` : ''}`]
  if (st.disk != null) lines.push(`disk: ${formatBytes(st.disk.free)} free of ${formatBytes(st.disk.total)}`)
  if (st.quota != null) lines.push(`quota: ${formatBytes(st.quota.used)} of ${formatBytes(st.quota.max)} used (--max-storage)`)
  return lines
}

/** The S3 tier: working or failing (since when), where, its queue, the last failure. */
function s3Lines (t: S3StatusJson): string[] {
  const state = t.state === 'failing'
    ? `FAILING${t.failingSince != null ? ` since ${formatDate(t.failingSince)}` : ''}`
    : t.state === 'working' ? 'working' : 'not checked yet'
  const lines = [
    `${state}: bucket ${printable(t.bucket)}${t.endpoint != null ? ` at ${printable(t.endpoint)}` : ''}`,
    `${t.queue} versions queued, ${t.uploaded} uploaded, ${t.failures} failed attempts since start`
  ]
  if (t.lastError != null) {
    lines.push(`last error${t.lastErrorAt != null ? ` ${formatDate(t.lastErrorAt)}` : ''}: ${printable(t.lastError)}`)
  }
  return lines
}

/** A one-node ring points at itself: say so rather than leave the reader comparing ids. */
function self (text: string, node: NodeJson, me: NodeJson): string {
  return node.id === me.id ? `${text}  (this node)` : text
}

/** One line per run of fingers that point at the same node: `[0..3]  start 3f2a9c1c  → 4c5d6e7f  12D3Ko…x8Fq`. */
function fingerLines (fingers: FingerJson[], me: NodeJson): string[] {
  if (fingers.length === 0) return []
  return table(fingers.map(f => [
    f.from === f.to ? `[${f.from}]` : `[${f.from}..${f.to}]`,
    `start ${shortId(f.start)}`,
    self(`→ ${formatNode(f.node)}`, f.node, me)
  ])).split('\n')
}
