// `chord-peer rm <name>`: delete a file. The daemon writes a tombstone version to the replicas
// (protocols/README.md §10.3), so a delete wins over the older copies everywhere, like any newer write.
import { fieldBlock, formatDate, formatNode, printable, shortPeerId } from './format.js'
import { EXIT_OK } from './context.js'
import type { CommandContext } from './context.js'
import type { DeleteJson } from '../api/types.js'

export interface RmArgs {
  name: string
  json?: boolean
}

export async function rmCommand (ctx: CommandContext, args: RmArgs): Promise<number> {
  const result = await ctx.client.delete(args.name, { signal: ctx.signal })
  if (args.json === true) ctx.printJson(result)
  else ctx.print(formatRm(result))
  return EXIT_OK
}

export function formatRm (r: DeleteJson): string {
  const v = r.version
  return [
    `deleted ${printable(r.name)}`,
    fieldBlock([
      ['key', r.key],
      ['tombstone', `${formatDate(v.time)} #${v.counter} by ${shortPeerId(v.writer)}`],
      ['holders', r.holders.map((node, i) => `${i + 1}. ${formatNode(node)}`)]
    ])
  ].join('\n')
}
