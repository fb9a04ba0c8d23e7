// `chord-peer ls [--prefix P] [--limit N] [--all]`: the files of the whole ring (or the names starting with P),
// one page at a time in key order (the daemon pages through the ring; `next` continues), as a table: name, size,
// modified, short hash, writer. A filtered page may come back empty with a `next` (the daemon bounds the work
// of a page): without --all, ls follows `next` past such empty pages to the first page with files.
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
  /** Only names that start with this. */
  prefix?: string
}

/** The daemon's largest page. */
export const MAX_LIMIT = 1000
/** The daemon's longest prefix: a name's longest, in UTF-8 bytes. */
export const MAX_PREFIX_BYTES = 1024

export async function lsCommand (ctx: CommandContext, args: LsArgs = {}): Promise<number> {
  const limit = parseLimit(args.limit)
  const prefix = parsePrefix(args.prefix)
  const files: FileJson[] = []
  let page: ListJson
  let after: string | undefined
  for (;;) {
    page = await ctx.client.list({ limit, after, prefix, signal: ctx.signal })
    files.push(...page.files)
    if (page.next == null || (args.all !== true && files.length > 0)) break
    // A daemon that hands back the same cursor would keep us here forever.
    if (page.next === after) throw new InvalidMessageError(`the daemon's file list did not advance past ${page.next}`)
    after = page.next
  }
  const more = args.all === true ? undefined : page.next
  if (args.json === true) ctx.printJson(args.all === true ? { files } satisfies ListJson : page)
  else ctx.print(formatLs(files, more, prefix))
  return EXIT_OK
}

/** `--prefix` as given (none when empty); a usage error when longer than a name may be. */
export function parsePrefix (text: string | undefined): string | undefined {
  if (text == null || text === '') return undefined
  if (Buffer.byteLength(text) > MAX_PREFIX_BYTES) {
    throw new InvalidInputError(`--prefix must be at most ${MAX_PREFIX_BYTES} bytes, like a name`)
  }
  return text
}

/** `--limit` as a number; a usage error unless a whole number from 1 to MAX_LIMIT. */
export function parseLimit (text: string | undefined): number | undefined {
  if (text == null) return undefined
  const n = /^\d+$/.test(text) ? Number(text) : NaN
  if (!(n >= 1 && n <= MAX_LIMIT)) throw new InvalidInputError(`--limit must be a whole number from 1 to ${MAX_LIMIT}, got "${text}"`)
  return n
}

/** `more`: the cursor of a further page, when there is one; `prefix`: the filter the files were listed with. */
export function formatLs (files: FileJson[], more?: string, prefix?: string): string {
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
  const filter = prefix == null ? '' : ` --prefix ${shellQuote(printable(prefix))}`
  if (more != null) lines.push(`… more files: chord-peer ls${filter} --all (or --limit N for bigger pages)`)
  return lines.join('\n')
}

/** `text` as one shell word: as is when plainly safe, else in single quotes. */
function shellQuote (text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}
