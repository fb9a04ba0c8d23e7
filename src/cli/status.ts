// `chord-peer status`: this node's identity, role, neighbours, finger summary, ring settings, last scrub and last
// blob collection.
import { fieldBlock, formatBytes, formatDate, formatDuration, formatNode, shortId, table, type Field } from './format.js'
import { EXIT_OK } from './context.js'
import type { CommandContext } from './context.js'
import type { FingerJson, NodeJson, StatusJson } from '../api/types.js'

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
