// `chord-peer get <name> [-o <file>|-] [--force]`: stream a file from the daemon to disk (or stdout), hashing it
// on the way and checking the SHA-256 against the daemon's etag (contents are verified by hash).
// The bytes go to a temp file beside the target, which is renamed only once complete and verified, so an
// interrupted or corrupt download never sits under the final name. A name is data, never a path
// (protocols/README.md §10.1): only its last component becomes the default file name, inside the working
// directory.
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { link, open, rename, stat, unlink } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { ChordPeerError, InvalidInputError, InvalidMessageError } from '../errors.js'
import { encodeName } from '../client/index.js'
import { fieldBlock, formatBytes, formatElapsed, formatRate, printable } from './format.js'
import { EXIT_OK } from './context.js'
import type { CommandContext } from './context.js'
import type { FileInfo } from '../client/index.js'

export interface GetArgs {
  name: string
  /** A file, a directory to save into, or `-` for stdout. Default: the name's last component in the cwd. */
  output?: string
  /** Replace an existing file. */
  force?: boolean
  json?: boolean
}

/** What `get --json` prints. */
export interface GetResultJson {
  name: string
  /** Absolute path written, or `-` for stdout. */
  path: string
  size: number
  /** SHA-256 of what was written (equal to the daemon's etag). */
  hash: string
  contentType?: string
  version?: string
  ms: number
}

/** The content's SHA-256 is not the one the daemon announced. */
export class HashMismatchError extends ChordPeerError {
  static override readonly code = 'ERR_HASH_MISMATCH'
}

/** The output file exists and --force was not given. */
export class FileExistsError extends ChordPeerError {
  static override readonly code = 'ERR_FILE_EXISTS'
}

/** Used when a name's last component is no usable file name (`dir/`, `..`, …). */
export const FALLBACK_FILE_NAME = 'download'

/** Longest file name most file systems take, in UTF-8 bytes. */
const MAX_FILE_NAME_BYTES = 255

export async function getCommand (ctx: CommandContext, args: GetArgs): Promise<number> {
  checkGetArgs(args)
  const cwd = ctx.cwd ?? process.cwd()
  const toStdout = args.output === '-'
  const target = toStdout ? undefined : await outputPath(cwd, args)
  if (target != null && args.force !== true && await exists(target)) {
    throw new FileExistsError(`${shown(cwd, target)} already exists: pass --force to overwrite it, or -o <file>`)
  }

  const started = Date.now()
  const { info, body } = await ctx.client.get(args.name, { signal: ctx.signal })
  const expected = info.hash
  if (expected == null || !/^[0-9a-f]{64}$/.test(expected)) {
    await body[Symbol.asyncIterator]().return?.()
    throw new InvalidMessageError(`the daemon sent no SHA-256 etag for ${printable(args.name)}: the content cannot be verified`)
  }

  const bar = ctx.progress?.({ label: `get ${printable(args.name)}`, total: info.size })
  const hash = createHash('sha256')
  let size = 0
  async function * tap (): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      hash.update(chunk)
      size += chunk.byteLength
      bar?.update(size)
      yield chunk
    }
  }
  try {
    if (target == null) {
      if (!await toStream(tap(), ctx.stdoutBytes ?? process.stdout, ctx.signal)) return EXIT_OK
      verify(args.name, info, size, hash.digest('hex'), 'do not trust what was written to stdout')
    } else {
      await writeVerified(target, args, tap(), ctx.signal, () => verify(args.name, info, size, hash.digest('hex'), 'nothing was saved'))
    }
  } finally {
    bar?.stop()
  }
  const ms = Date.now() - started

  if (toStdout) return EXIT_OK // stdout holds the content: no summary
  const result: GetResultJson = { name: args.name, path: target ?? '-', size, hash: expected, ms }
  if (info.contentType != null) result.contentType = info.contentType
  if (info.version != null) result.version = info.version
  if (args.json === true) ctx.printJson(result)
  else ctx.print(formatGet(result, cwd))
  return EXIT_OK
}

/**
 * Write `source` to stdout (left open). False when the reader went away first (`get -o - | head`): it took
 * what it wanted, which is no failure, and there is nothing left to verify.
 */
async function toStream (source: AsyncIterable<Uint8Array>, sink: NodeJS.WritableStream, signal?: AbortSignal): Promise<boolean> {
  try {
    await pipeline(source, sink, { end: false, signal })
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return false
    throw err
  }
}

/** Usage errors, found before the daemon is asked. */
export function checkGetArgs (args: GetArgs): void {
  encodeName(args.name)
  if (args.output === '') throw new InvalidInputError('-o needs a file name (or - for stdout)')
  if (args.output === '-' && args.json === true) throw new InvalidInputError(
    '-o - writes the content to stdout: it cannot also print --json')
}

/**
 * A file name for a name: its last component (after any `/` or `\`), control characters replaced, cut to
 * what a file system takes; `download` when nothing usable is left (`.`, `..`, empty).
 */
export function safeFileName (name: string): string {
  // eslint-disable-next-line no-control-regex
  let base = (name.split(/[/\\]/).pop() ?? '').replace(/[\x00-\x1f\x7f]/g, '_')
  while (Buffer.byteLength(base) > MAX_FILE_NAME_BYTES) base = [...base].slice(0, -1).join('')
  if (base === '' || base === '.' || base === '..') return FALLBACK_FILE_NAME
  return base
}

async function outputPath (cwd: string, args: GetArgs): Promise<string> {
  if (args.output == null) return join(cwd, safeFileName(args.name))
  const path = resolve(cwd, args.output)
  // `-o somedir/` saves into the directory under the safe name, like cp.
  const isDir = await stat(path).then(s => s.isDirectory(), () => false)
  return isDir ? join(path, safeFileName(args.name)) : path
}

/** Stream into a temp file beside `target`, fsync, verify, then move it to `target`; no temp file survives a failure. */
async function writeVerified (
  target: string, args: GetArgs, source: AsyncIterable<Uint8Array>, signal: AbortSignal | undefined, verifyAll: () => void
): Promise<void> {
  const temp = join(dirname(target), `.chord-peer-get-${randomBytes(6).toString('hex')}.part`)
  let placed = false
  try {
    await pipeline(source, createWriteStream(temp, { flags: 'wx', mode: 0o666 }), { signal })
    verifyAll()
    const handle = await open(temp, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
    await place(temp, target, args.force === true)
    placed = true
  } finally {
    if (!placed) await unlink(temp).catch(() => {})
  }
}

/**
 * Move the finished temp file to `target`. Without --force, link() makes "only if nothing is there" atomic, so
 * a file created meanwhile is not replaced; file systems without hard links fall back to check-then-rename.
 */
async function place (temp: string, target: string, force: boolean): Promise<void> {
  if (force) {
    await rename(temp, target)
    return
  }
  try {
    await link(temp, target)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new FileExistsError(`${target} already exists: pass --force to overwrite it`, { cause: err })
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err
    if (await exists(target)) throw new FileExistsError(`${target} already exists: pass --force to overwrite it`, { cause: err })
    await rename(temp, target)
    return
  }
  await unlink(temp)
}

/** `consequence` tells the user what the failure means for the output. */
function verify (name: string, info: FileInfo, size: number, actual: string, consequence: string): void {
  if (info.size != null && size !== info.size) {
    throw new InvalidMessageError(`${printable(name)}: got ${size} bytes, the daemon announced ${info.size}: ${consequence}`)
  }
  if (actual !== info.hash) {
    throw new HashMismatchError(
      `${printable(name)}: hash mismatch: the content hashes to ${actual} but the daemon announced ${info.hash ?? '-'}: ${consequence}`)
  }
}

async function exists (path: string): Promise<boolean> {
  return stat(path).then(() => true, (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return false
    throw err
  })
}

/** A path as the user would type it: relative to the cwd when inside it. */
function shown (cwd: string, path: string): string {
  const rel = relative(cwd, path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

export function formatGet (r: GetResultJson, cwd: string): string {
  return fieldBlock([
    ['name', printable(r.name)],
    ['saved to', printable(shown(cwd, r.path))],
    ['size', `${formatBytes(r.size)} (${r.size} bytes)`],
    ['hash', `${r.hash}  (verified)`],
    ['time', formatElapsed(r.ms)],
    ['throughput', formatRate(r.size, r.ms)]
  ])
}
