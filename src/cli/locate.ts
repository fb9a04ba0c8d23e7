// `chord-peer locate <name>`: where a name lives. The k placement nodes (the key's successor first,
// protocols/README.md §10.7), whether each holds the newest version (✓/✗, with the reason when it could not be
// asked), and the lookup's hops. A name no placement node holds is still shown, then exits 1.
import { NotFoundError } from '../errors.js'
import { fieldBlock, formatBytes, formatDate, formatNode, printable, shortPeerId, table } from './format.js'
import { EXIT_OK } from './context.js'
import type { CommandContext } from './context.js'
import type { FileJson, LocateJson } from '../api/types.js'

export interface LocateArgs {
  name: string
  json?: boolean
}

export async function locateCommand (ctx: CommandContext, args: LocateArgs): Promise<number> {
  const result = await ctx.client.locate(args.name, { signal: ctx.signal })
  if (args.json === true) ctx.printJson(result)
  else ctx.print(formatLocate(result))
  if (result.file == null) {
    const nodes = result.placement.length
    throw new NotFoundError(`no such file: ${printable(args.name)} (none of the ${nodes} nodes that should hold it has a copy)`)
  }
  return EXIT_OK
}

export function formatLocate (r: LocateJson): string {
  const rows = r.placement.map((node, i) => {
    const holder = r.holders.find(h => h.node.id === node.id)
    const mark = holder == null ? '?' : holder.has ? '✓' : '✗'
    const note = holder?.error != null
      ? printable(holder.error)
      : holder == null ? 'not asked' : holder.has ? '' : holder.version != null ? 'an older version' : 'missing'
    return [`${i + 1}.`, formatNode(node), mark, `${i === 0 ? 'owner' : 'replica'}${note === '' ? '' : `, ${note}`}`]
  })
  const holding = r.holders.filter(h => h.has).length
  return fieldBlock([
    ['name', printable(r.name)],
    ['key', r.key],
    ['file', r.file == null ? 'not found' : fileLine(r.file)],
    ['placement', rows.length === 0 ? [] : table(rows).split('\n')],
    ['holding', `${holding} of ${r.placement.length}`],
    ['hops', String(r.hops)]
  ])
}

function fileLine (f: FileJson): string {
  return `${formatBytes(f.size)}, sha256 ${f.hash.slice(0, 12)}…, modified ${formatDate(f.modified)} by ${shortPeerId(f.version.writer)}`
}
