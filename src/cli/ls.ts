// `chord-peer ls [--limit N] [--all]`: the files of the whole ring, one page at a time in key order (the
// daemon pages through the ring; `next` continues), as a table: name, size, modified, short hash, writer.
import { InvalidInputError, InvalidMessageError } from '../errors.js'
import { formatBytes, formatDate, printable, shortId, shortPeerId, table } from './format.js'
import { EXIT_OK } from './context.js'
import type { CommandContext } from './context.js'
import type { FileJson, ListJson } from '../api/types.js'

export interface LsArgs {
  json?: boolean
  /** Files per page, as typed. */
  limit?: string
  /** Follow `next` to the last page. */
  all?: boolean
}

/** The daemon's largest page. */
export const MAX_LIMIT = 1000

export async function lsCommand (ctx: CommandContext, args: LsArgs = {}): Promise<number> {
  const limit = parseLimit(args.limit)
  const files: FileJson[] = []
  let page: ListJson
  let after: string | undefined
  for (;;) {
    page = await ctx.client.list({ limit, after, signal: ctx.signal })
    files.push(...page.files)
    if (args.all !== true || page.next == null) break
    // A daemon that hands back the same cursor would keep us here forever.
    if (page.next === after) throw new InvalidMessageError(`the daemon's file list did not advance past ${page.next}`)
    after = page.next
  }
  const more = args.all === true ? undefined : page.next
  if (args.json === true) ctx.printJson(args.all === true ? { files } satisfies ListJson : page)
  else ctx.print(formatLs(files, more))
  return EXIT_OK
}

/** `--limit` as a number; a usage error unless a whole number from 1 to MAX_LIMIT. */
export function parseLimit (text: string | undefined): number | undefined {
  if (text == null) return undefined
  const n = /^\d+$/.test(text) ? Number(text) : NaN
  if (!(n >= 1 && n <= MAX_LIMIT)) throw new InvalidInputError(`--limit must be a whole number from 1 to ${MAX_LIMIT}, got "${text}"`)
  return n
}

/** `more`: the cursor of a further page, when there is one. */
export function formatLs (files: FileJson[], more?: string): string {
  const lines: string[] = []
  if (files.length === 0) {
    lines.push('no files')
  } else {
    lines.push(table([
      ['name', 'size', 'modified', 'hash', 'writer'],
      ...files.map(f => [
        printable(f.name), formatBytes(f.size), formatDate(f.modified), shortId(f.hash, 12), shortPeerId(f.version.writer)
      ])
    ]))
  }
  if (more != null) lines.push(`… more files: chord-peer ls --all (or --limit N for bigger pages)`)
  return lines.join('\n')
}
