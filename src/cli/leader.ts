// `chord-peer leader [--json]`: the supernodes' election as the daemon sees it: the leader and its epoch,
// whether it acts (holds a majority), and every supernode with its liveness. Exit 1 when no leader acts.
import { fieldBlock, formatDuration, formatNode, shortId, table } from './format.js'
import { EXIT_FAILED, EXIT_OK } from './context.js'
import type { CommandContext } from './context.js'
import type { LeaderJson } from '../api/types.js'

export interface LeaderArgs {
  json?: boolean
}

export async function leaderCommand (ctx: CommandContext, args: LeaderArgs = {}): Promise<number> {
  const leader = await ctx.client.leader({ signal: ctx.signal })
  if (args.json === true) ctx.printJson(leader)
  else ctx.print(formatLeader(leader))
  return leader.leader !== undefined && leader.acting ? EXIT_OK : EXIT_FAILED
}

export function formatLeader (l: LeaderJson): string {
  const alive = l.supernodes.filter(s => s.alive).length
  return fieldBlock([
    ['leader', l.leader === undefined
      ? 'none known (an election may be running)'
      : `${formatNode(l.leader)}${l.acting ? '' : '  (not acting: no majority lease)'}`],
    ['epoch', String(l.epoch)],
    ['this node', l.role],
    ['view', `version ${l.view.version}, ${l.view.members} member${l.view.members === 1 ? '' : 's'}`],
    ['supernodes', [
      `${l.supernodes.length} known, ${alive} alive (a majority is ${Math.floor(l.supernodes.length / 2) + 1})`,
      ...table(l.supernodes.map(s => [
        s.leader ? '*' : ' ',
        shortId(s.id),
        s.peerId,
        s.alive ? 'alive' : 'silent',
        s.lastSeenMs === undefined ? '' : `seen ${formatDuration(s.lastSeenMs)} ago`
      ])).split('\n')
    ]]
  ])
}
