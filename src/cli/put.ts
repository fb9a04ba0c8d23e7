// `chord-peer put <path> [--name <name>]`: stream a file from disk (or stdin with `-`) to the daemon, which
// stores it on the key's successor and its replicas (protocols/README.md §10.7) and answers once the write
// quorum has it.
// The file is read as the connection takes it: memory stays flat whatever the size.
import { open } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { InvalidInputError, NotFoundError } from '../errors.js'
import { encodeName } from '../client/index.js'
import { fieldBlock, formatBytes, formatElapsed, formatNode, formatRate, printable } from './format.js'
import { EXIT_OK } from './context.js'
import type { CommandContext } from './context.js'
import type { ByteSource } from '../client/index.js'
import type { PutJson } from '../api/types.js'

export interface PutArgs {
  /** A file path, or `-` for stdin. */
  path: string
  /** The name to store it under. Default: the path's basename; required with `-`. */
  name?: string
  json?: boolean
}

/** Read size per chunk from disk. */
const READ_CHUNK = 256 * 1024

export async function putCommand (ctx: CommandContext, args: PutArgs): Promise<number> {
  const name = putName(args)
  const source = await openSource(ctx, args.path)
  const bar = ctx.progress?.({ label: `put ${printable(name)}`, total: source.size })
  const started = Date.now()
  let result: PutJson
  try {
    result = await ctx.client.put(name, source.body, {
      size: source.size,
      signal: ctx.signal,
      onProgress: bytes => { bar?.update(bytes) }
    })
  } finally {
    bar?.stop()
    await source.close()
  }
  const elapsed = Date.now() - started
  if (args.json === true) ctx.printJson(result)
  else ctx.print(formatPut(result, elapsed))
  return EXIT_OK
}

/** The name to store under; a usage error when there is none. Checked before the daemon is asked. */
export function putName (args: PutArgs): string {
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
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new NotFoundError(`no such file: ${path}`, { cause: err })
    if (code === 'EACCES' || code === 'EPERM') throw new NotFoundError(`cannot read ${path}: permission denied`, { cause: err })
    throw err
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) throw new NotFoundError(
      `${path} is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}: put takes one file`)
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
