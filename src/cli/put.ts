// `chord-peer put <path...> [--name <name>] [-r]`: stream files from disk (or stdin with `-`) to the daemon,
// which stores each on its key's successor and the replicas (protocols/README.md §10.7) and answers once the
// write quorum has it.
// One path prints the daemon's answer in full. Several paths, or -r, make a batch: one line per stored file,
// a summary line at the end, and exit 1 when any failed (each failure is reported, and the batch goes on).
// Each file is read as the connection takes it: memory stays flat whatever the size.
import { open, readdir, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ApiError, BusyError, InvalidInputError, NotFoundError } from '../errors.js'
import { encodeName } from '../client/index.js'
import { fieldBlock, formatBytes, formatElapsed, formatNode, formatRate, printable } from './format.js'
import { EXIT_FAILED, EXIT_OK } from './context.js'
import type { CommandContext } from './context.js'
import type { ByteSource } from '../client/index.js'
import type { PutJson } from '../api/types.js'

export interface PutArgs {
  /** File paths, directories (with `recursive`), or `-` alone for stdin. */
  paths: string[]
  /** The name to store it under: one path only. Default: the path's basename; required with `-`. */
  name?: string
  /** Store the files under each directory, named by their paths relative to it (`/` separators). */
  recursive?: boolean
  json?: boolean
}

/** Where a batch reports each file that failed (stderr), before it goes on with the next. */
export interface PutReport {
  error: (message: string) => void
}

/** What `put --json` prints for a batch. */
export interface PutBatchJson {
  stored: PutJson[]
  failed: Array<{ path: string, name?: string, error: string, code?: string }>
}

/** Read size per chunk from disk. */
const READ_CHUNK = 256 * 1024

export async function putCommand (ctx: CommandContext, args: PutArgs, report: PutReport = { error: () => {} }): Promise<number> {
  checkPutArgs(args)
  if (isBatch(args)) return putBatch(ctx, args, report)
  const path = args.paths[0]
  const started = Date.now()
  const result = await putFile(ctx, path, putName({ path, name: args.name }))
  if (args.json === true) ctx.printJson(result)
  else ctx.print(formatPut(result, Date.now() - started))
  return EXIT_OK
}

/** Usage errors, found before the daemon is asked. */
export function checkPutArgs (args: PutArgs): void {
  if (args.paths.length === 0) throw new InvalidInputError('give at least one path to store')
  if (args.paths.includes('')) throw new InvalidInputError('the path must not be empty')
  if (args.paths.includes('-') && isBatch(args)) {
    throw new InvalidInputError('- (stdin) cannot be stored together with other paths or -r: put it on its own')
  }
  if (args.name != null && isBatch(args)) {
    throw new InvalidInputError('--name names one file: give a single path (and no -r)')
  }
  if (!isBatch(args)) putName({ path: args.paths[0], name: args.name })
}

/** Several paths, or -r: one line per file and a summary instead of the full answer. */
function isBatch (args: PutArgs): boolean {
  return args.paths.length > 1 || args.recursive === true
}

/** The name to store one path under; a usage error when there is none. */
export function putName (args: { path: string, name?: string }): string {
  if (args.path === '') throw new InvalidInputError('the path must not be empty')
  if (args.name != null) {
    encodeName(args.name)
    return args.name
  }
  if (args.path === '-') throw new InvalidInputError('reading stdin (-) needs --name <name> to store it under')
  const name = basename(args.path)
  if (name === '' || name === '.' || name === '..') {
    throw new InvalidInputError(`"${args.path}" has no file name to store it under: give --name <name>`)
  }
  return name
}

/** Stream one file (or stdin) to the daemon under `name`, with a progress bar when there is one. */
/** Tries of one file the daemon answers busy (503 ERR_BUSY, body unread), each after the pause it asks for. */
export const BUSY_TRIES = 5

/**
 * Store one file. A daemon too busy to take it (503 `ERR_BUSY`: it read none of the body) is asked again after
 * the `Retry-After` it sent, up to BUSY_TRIES times; stdin cannot be read twice, so it is not.
 */
async function putFile (ctx: CommandContext, path: string, name: string): Promise<PutJson> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await putOnce(ctx, path, name)
    } catch (err) {
      if (path === '-' || attempt >= BUSY_TRIES || !(err instanceof ApiError) || err.code !== BusyError.code) throw err
      await sleep((err.retryAfterS ?? 2) * 1000, undefined, { signal: ctx.signal })
    }
  }
}

async function putOnce (ctx: CommandContext, path: string, name: string): Promise<PutJson> {
  const source = await openSource(ctx, path)
  const bar = ctx.progress?.({ label: `put ${printable(name)}`, total: source.size })
  try {
    return await ctx.client.put(name, source.body, {
      size: source.size,
      signal: ctx.signal,
      onProgress: bytes => { bar?.update(bytes) }
    })
  } finally {
    bar?.stop()
    await source.close()
  }
}

/** A file to store: where it is on disk and its name in the ring. */
interface Item {
  path: string
  name: string
}

async function putBatch (ctx: CommandContext, args: PutArgs, report: PutReport): Promise<number> {
  const started = Date.now()
  const result: PutBatchJson = { stored: [], failed: [] }
  const fail = (path: string, err: unknown, name?: string): void => {
    const message = err instanceof Error ? err.message : String(err)
    const code = (err as { code?: unknown } | undefined)?.code
    result.failed.push({ path, ...(name != null ? { name } : {}), error: message, ...(typeof code === 'string' ? { code } : {}) })
    report.error(name != null && !message.includes(name) ? `${printable(name)}: ${message}` : message)
  }
  for (const path of args.paths) {
    let items: Item[]
    try {
      items = await itemsOf(ctx, path, args.recursive === true)
    } catch (err) {
      fail(path, err)
      continue
    }
    for (const item of items) {
      try {
        const stored = await putFile(ctx, item.path, item.name)
        result.stored.push(stored)
        if (args.json !== true) ctx.print(formatPutLine(stored))
      } catch (err) {
        if (endsBatch(ctx, err)) throw err
        fail(item.path, err, item.name)
      }
    }
  }
  if (args.json === true) ctx.printJson(result)
  else ctx.print(formatPutSummary(result, Date.now() - started))
  return result.failed.length === 0 ? EXIT_OK : EXIT_FAILED
}

/** An interrupt, no daemon, or a refused API token (401): the next files would fail the same way. */
function endsBatch (ctx: CommandContext, err: unknown): boolean {
  const failure = err as { code?: unknown, status?: unknown } | undefined
  return ctx.signal?.aborted === true || failure?.code === 'ERR_DAEMON_UNREACHABLE' || failure?.status === 401
}

/** A path's files: the file itself under its base name, or with -r a directory's files under their relative paths. */
async function itemsOf (ctx: CommandContext, path: string, recursive: boolean): Promise<Item[]> {
  const absolute = resolve(ctx.cwd ?? process.cwd(), path)
  const stats = await stat(absolute).catch((err: unknown) => { throw localError(err, path) })
  if (!stats.isDirectory()) return [{ path, name: putName({ path }) }]
  if (!recursive) throw new NotFoundError(`${path} is a directory: put -r stores the files under it`)
  const names = await filesUnder(absolute)
  if (names.length === 0) throw new NotFoundError(`${path} holds no files to store`)
  return names.map(name => ({ path: join(path, ...name.split('/')), name }))
}

/**
 * The regular files under `root` (links to files too; links to directories are not followed, so there is no
 * loop), as paths relative to it with `/` separators, sorted.
 */
export async function filesUnder (root: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(root, ...prefix.split('/')), { withFileTypes: true })
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  const files: string[] = []
  for (const entry of entries) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`
    if (entry.isDirectory()) files.push(...await filesUnder(root, relative))
    else if (entry.isFile() || (entry.isSymbolicLink() && await isFile(join(root, ...relative.split('/'))))) files.push(relative)
  }
  return files
}

async function isFile (path: string): Promise<boolean> {
  return stat(path).then(s => s.isFile(), () => false)
}

/** A failure to open or stat a local path, as the user should read it. */
function localError (err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new NotFoundError(`no such file: ${path}`, { cause: err })
  if (code === 'EACCES' || code === 'EPERM') return new NotFoundError(`cannot read ${path}: permission denied`, { cause: err })
  return err
}

interface Source {
  body: ByteSource
  size?: number
  close: () => Promise<void>
}

async function openSource (ctx: CommandContext, path: string): Promise<Source> {
  if (path === '-') return { body: ctx.stdin ?? process.stdin, close: async () => {} }
  const absolute = resolve(ctx.cwd ?? process.cwd(), path)
  let handle
  try {
    handle = await open(absolute, 'r')
  } catch (err) {
    throw localError(err, path)
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) throw new NotFoundError(stat.isDirectory()
      ? `${path} is a directory: put -r stores the files under it`
      : `${path} is not a regular file`)
    const stream = handle.createReadStream({ highWaterMark: READ_CHUNK })
    return {
      body: stream,
      size: stat.size,
      close: async () => {
        stream.destroy()
        await handle.close().catch(() => {})
      }
    }
  } catch (err) {
    await handle.close()
    throw err
  }
}

export function formatPut (r: PutJson, elapsedMs: number): string {
  const { file } = r
  return fieldBlock([
    ['name', printable(file.name)],
    ['size', `${formatBytes(file.size)} (${file.size} bytes)`],
    ['hash', file.hash],
    ['holders', r.holders.map((node, i) => `${i + 1}. ${formatNode(node)}${i === 0 ? '  (primary)' : ''}`)],
    ['copies', `${r.holders.length} of k=${r.k}`],
    ['time', formatElapsed(elapsedMs)],
    ['throughput', formatRate(file.size, elapsedMs)]
  ])
}

/** One stored file of a batch: `stored <name>  <size>  <copies> of k=<k>  <short hash>`. */
export function formatPutLine (r: PutJson): string {
  const { file } = r
  return `stored ${printable(file.name)}  ${formatBytes(file.size)}  ${r.holders.length} of k=${r.k}  ${file.hash.slice(0, 12)}`
}

/** The last line of a batch: `put: 3 of 4 files stored (4.5 MiB in 1.2 s), 1 failed`. */
export function formatPutSummary (r: PutBatchJson, elapsedMs: number): string {
  const total = r.stored.length + r.failed.length
  const bytes = r.stored.reduce((sum, p) => sum + p.file.size, 0)
  const files = `${r.stored.length} of ${total} file${total === 1 ? '' : 's'} stored`
  const failed = r.failed.length === 0 ? '' : `, ${r.failed.length} failed`
  return `put: ${files} (${formatBytes(bytes)} in ${formatElapsed(elapsedMs)})${failed}`
}
