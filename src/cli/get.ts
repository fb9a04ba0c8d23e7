// `chord-peer get <name> [-o <file>|-] [--force] [--no-resume]`: stream a file from the daemon to disk (or stdout),
// hashing it on the way and checking the SHA-256 against the daemon's etag (contents are verified by hash).
// The bytes go to `<target>.part` beside the target, which is renamed only once complete and verified, so an
// interrupted or corrupt download never sits under the final name. A name is data, never a path
// (protocols/README.md §10.1): only its last component becomes the default file name, inside the working
// directory.
//
// Resuming. An interrupted get (Ctrl-C, a dropped connection, a daemon error) keeps `<target>.part`, and beside
// it `<target>.part.json`, what those bytes are the start of: the name and the daemon's etag (SHA-256 of the
// whole content) and size. The next get of the same name to the same target re-hashes the bytes it has, asks
// for the rest with `Range: bytes=<have>-`, and continues the same SHA-256 over them, so the final check covers
// every byte, old and new: bytes damaged on disk (a crash before they were synced) cannot slip through. A 206
// whose etag or size is not the recorded one, a 200 or a 416 mean the file changed: the get starts over rather
// than splice two versions. A resumed download that fails its hash check is downloaded once more from the
// start; a fresh one that fails it is an error. Known-bad bytes (a hash mismatch, more bytes than announced)
// and a .part of a file the daemon no longer has are removed; anything else keeps them for the next try.
// `<target>.part.lock` (a pid, while a get runs) keeps two gets from writing one .part (get-part.ts).
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { link, open, rename, rm, stat, unlink } from 'node:fs/promises'
import { basename, isAbsolute, join, relative, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { ChordPeerError, InvalidInputError, InvalidMessageError } from '../errors.js'
import { encodeName } from '../client/index.js'
import {
  cutToBytes, discard, lockPart, MAX_FILE_NAME_BYTES, PART_FORMAT, partPaths, readRecord, writeRecord,
  type PartPaths, type PartRecord
} from './get-part.js'
import { fieldBlock, formatBytes, formatElapsed, formatRate, printable } from './format.js'
import { EXIT_OK } from './context.js'
import type { Hash } from 'node:crypto'
import type { CommandContext } from './context.js'
import type { FileInfo, GetResult } from '../client/index.js'

export { PART_FORMAT, partPaths, PartBusyError, type PartPaths, type PartRecord } from './get-part.js'

export interface GetArgs {
  name: string
  /** A file, a directory to save into, or `-` for stdout. Default: the name's last component in the cwd. */
  output?: string
  /** Replace an existing file. */
  force?: boolean
  /**
   * Continue the `<target>.part` an interrupted get left (default true). False (`--no-resume`): remove it and
   * start over. Stdout never resumes.
   */
  resume?: boolean
  json?: boolean
}

/** Where a get reports what it decided on the way (stderr): a resumed download, or why it started over. */
export interface GetReport {
  note: (message: string) => void
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
  /** Bytes that were already in `<target>.part` from an interrupted get; 0 when this get started from the start. */
  resumedFrom: number
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

const SHA256_HEX = /^[0-9a-f]{64}$/

export async function getCommand (ctx: CommandContext, args: GetArgs, report: GetReport = { note: () => {} }): Promise<number> {
  checkGetArgs(args)
  const cwd = ctx.cwd ?? process.cwd()
  if (args.output === '-') return await getToStdout(ctx, args)
  const target = await outputPath(cwd, args)
  if (args.force !== true && await exists(target)) {
    throw new FileExistsError(`${shown(cwd, target)} already exists: pass --force to overwrite it, or -o <file>`)
  }

  const started = Date.now()
  const paths = partPaths(target)
  const unlock = await lockPart(paths, path => shown(cwd, path))
  let done: Done
  try {
    done = await download(ctx, args, target, paths, { cwd, note: report.note })
  } finally {
    await unlock()
  }
  const { transfer, size } = done
  const result: GetResultJson = {
    name: args.name, path: target, size, hash: transfer.etag, resumedFrom: transfer.start, ms: Date.now() - started
  }
  if (transfer.info.contentType != null) result.contentType = transfer.info.contentType
  if (transfer.info.version != null) result.version = transfer.info.version
  if (args.json === true) ctx.printJson(result)
  else ctx.print(formatGet(result, cwd))
  return EXIT_OK
}

/** `get -o -`: the content to stdout, verified at the end (too late to take back, so the error says so). */
async function getToStdout (ctx: CommandContext, args: GetArgs): Promise<number> {
  const { info, body } = await ctx.client.get(args.name, { signal: ctx.signal })
  const etag = await checkedEtag(args.name, info, body)
  const hash = createHash('sha256')
  let size = 0
  const bar = ctx.progress?.({ label: `get ${printable(args.name)}`, total: info.size })
  async function * tap (): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      hash.update(chunk)
      size += chunk.byteLength
      bar?.update(size)
      yield chunk
    }
  }
  try {
    if (!await toStream(tap(), ctx.stdoutBytes ?? process.stdout, ctx.signal)) return EXIT_OK
  } finally {
    bar?.stop()
  }
  const consequence = 'do not trust what was written to stdout'
  if (info.size != null && size !== info.size) {
    throw new InvalidMessageError(`${printable(args.name)}: got ${size} bytes, the daemon announced ${info.size}: ${consequence}`)
  }
  const actual = hash.digest('hex')
  if (actual !== etag) throw mismatch(args.name, actual, etag, consequence)
  return EXIT_OK // stdout holds the content: no summary
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
  const base = cutToBytes((name.split(/[/\\]/).pop() ?? '').replace(/[\x00-\x1f\x7f]/g, '_'), MAX_FILE_NAME_BYTES)
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

interface Notes {
  cwd: string
  note: (message: string) => void
}

/** The bytes of an earlier download found in the .part, and the SHA-256 of them so far. */
interface Prior {
  record: PartRecord
  have: number
  hash: Hash
}

/** One download: where it starts, what it must end as, and the rest of the content. */
interface Transfer {
  /** SHA-256 of the whole content, as the daemon announced it. */
  etag: string
  /** Bytes in the whole file; undefined when the daemon did not say (then no .part.json is kept). */
  size?: number
  /** What the daemon's answer said: the result's content type and version. */
  info: FileInfo
  /** Bytes already in the .part, hashed into `hash`: where `body` starts. */
  start: number
  hash: Hash
  /** The rest of the content; none when the .part already holds all of it. */
  body?: AsyncIterable<Uint8Array>
}

interface Done {
  transfer: Transfer
  /** Bytes in the file put in place. */
  size: number
}

/**
 * Download into the .part (continuing what it holds, unless --no-resume), verify the whole against the etag,
 * and put it in place. At most two transfers: a resumed one whose bytes do not verify is followed by one from
 * the start.
 */
async function download (ctx: CommandContext, args: GetArgs, target: string, paths: PartPaths, notes: Notes): Promise<Done> {
  let prior: Prior | undefined
  if (args.resume === false) await discard(paths)
  else prior = await readPrior(paths, args.name, notes, ctx.signal)
  for (;;) {
    const transfer = await openTransfer(ctx, args.name, paths, prior, notes)
    prior = undefined
    const size = await receive(ctx, args.name, paths, transfer, notes)
    const actual = transfer.hash.digest('hex')
    if (actual !== transfer.etag) {
      await discard(paths) // known bad
      if (transfer.start > 0) {
        notes.note(`${printable(args.name)} does not match its SHA-256 with the ${formatBytes(transfer.start)} resumed from ` +
          `${shown(notes.cwd, paths.part)}: those bytes were damaged; downloading it again from the start`)
        continue
      }
      throw mismatch(args.name, actual, transfer.etag, 'nothing was saved')
    }
    await syncFile(paths.part)
    await place(paths.part, target, args.force === true)
    await rm(paths.record, { force: true })
    return { transfer, size }
  }
}

/**
 * Ask the daemon for what is missing: the rest of the file after `prior` when it is still the same file
 * (same etag and size), else the whole file, in which case the .part starts over.
 */
async function openTransfer (
  ctx: CommandContext, name: string, paths: PartPaths, prior: Prior | undefined, notes: Notes
): Promise<Transfer> {
  const signal = ctx.signal
  const part = shown(notes.cwd, paths.part)
  if (prior != null && prior.have === prior.record.size) {
    // The .part holds every byte: only ask whether it is still the daemon's content.
    const info = await unlessGone(paths, ctx.client.head(name, { signal }))
    if (info.hash === prior.record.hash) {
      notes.note(`${part} already holds all ${formatBytes(prior.have)} of ${printable(name)}: verifying it`)
      return { etag: prior.record.hash, size: prior.record.size, info, start: prior.have, hash: prior.hash }
    }
    notes.note(`${printable(name)} changed on the daemon since ${part} was written: downloading it again from the start`)
  } else if (prior != null) {
    const answer = await unlessGone(paths, ctx.client.get(name, { range: { start: prior.have }, signal }).catch(err => {
      // The daemon answers 416 to a range that starts at or past the end: the file is shorter now.
      if ((err as { status?: unknown }).status === 416) return undefined
      throw err
    }))
    if (answer != null && answer.info.range == null) {
      notes.note(`the daemon sent all of ${printable(name)} instead of the rest: ${part} starts over`)
      return await begin(name, paths, answer)
    }
    if (answer != null) {
      const { info, body } = answer
      if (info.range?.start === prior.have && info.hash === prior.record.hash && info.totalSize === prior.record.size) {
        notes.note(`resuming ${printable(name)} at ${formatBytes(prior.have)} of ${formatBytes(prior.record.size)} (from ${part})`)
        return { etag: prior.record.hash, size: prior.record.size, info, start: prior.have, hash: prior.hash, body }
      }
      await body[Symbol.asyncIterator]().return?.()
    }
    notes.note(`${printable(name)} changed on the daemon since ${part} was started: downloading it again from the start`)
  }
  return await begin(name, paths, await unlessGone(paths, ctx.client.get(name, { signal })))
}

/** A download from the first byte: the .part starts over, and the .part.json records what it will hold. */
async function begin (name: string, paths: PartPaths, answer: GetResult): Promise<Transfer> {
  const { info, body } = answer
  const etag = await checkedEtag(name, info, body)
  await rm(paths.part, { force: true })
  if (info.size == null) {
    await rm(paths.record, { force: true })
  } else {
    const record: PartRecord = { format: PART_FORMAT, name, hash: etag, size: info.size }
    if (info.version != null) record.version = info.version
    await writeRecord(paths.record, record)
  }
  return { etag, size: info.size, info, start: 0, hash: createHash('sha256'), body }
}

/**
 * Append the transfer's body to the .part, hashing it. Resolves with the bytes the .part then holds, all of
 * the file. On failure the .part keeps what arrived (synced) for the next get, unless the bytes are known bad.
 */
async function receive (ctx: CommandContext, name: string, paths: PartPaths, t: Transfer, notes: Notes): Promise<number> {
  let size = t.start
  const body = t.body
  if (body != null) {
    let tooLong: InvalidMessageError | undefined
    const bar = ctx.progress?.({ label: `get ${printable(name)}`, total: t.size, start: t.start })
    async function * tap (): AsyncGenerator<Uint8Array> {
      for await (const chunk of body!) {
        size += chunk.byteLength
        if (t.size != null && size > t.size) {
          tooLong = new InvalidMessageError(`${printable(name)}: the daemon sent more than the ${t.size} bytes it announced`)
          throw tooLong
        }
        t.hash.update(chunk)
        bar?.update(size)
        yield chunk
      }
    }
    try {
      // 'r+' at `start`: the .part holds exactly `start` bytes (readPrior read them all).
      await pipeline(tap(), createWriteStream(paths.part, { flags: t.start > 0 ? 'r+' : 'w', start: t.start, mode: 0o666 }),
        { signal: ctx.signal })
    } catch (err) {
      if (tooLong != null) await discard(paths)
      else await syncFile(paths.part).catch(() => {})
      throw err
    } finally {
      bar?.stop()
    }
  }
  if (t.size != null && size < t.size) {
    await syncFile(paths.part).catch(() => {})
    throw new InvalidMessageError(`${printable(name)}: the answer ended after ${size} of the ${t.size} bytes the daemon ` +
      `announced: ${shown(notes.cwd, paths.part)} keeps them, get it again to resume`)
  }
  return size
}

/**
 * The .part an earlier get left, re-hashed, when its .part.json says it is the start of `name`; undefined
 * (after removing it, with a note) when it cannot be continued.
 */
async function readPrior (paths: PartPaths, name: string, notes: Notes, signal?: AbortSignal): Promise<Prior | undefined> {
  const record = await readRecord(paths.record)
  const length = await stat(paths.part).then(s => s.size, (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (length === undefined) {
    if (record !== undefined) await rm(paths.record, { force: true }) // the .part is gone: nothing to continue
    return undefined
  }
  const part = shown(notes.cwd, paths.part)
  const startOver = async (why: string): Promise<undefined> => {
    notes.note(`${part} ${why}: starting over`)
    await discard(paths)
    return undefined
  }
  if (record === undefined) return await startOver(`has no ${basename(paths.record)} saying what it is part of`)
  if (record.name !== name) return await startOver(`is part of ${printable(record.name)}, not ${printable(name)}`)
  if (length > record.size) return await startOver(`is longer than ${printable(name)} (${length} > ${record.size} bytes)`)
  if (length === 0) {
    await discard(paths)
    return undefined
  }
  // Re-hash what is there: the running SHA-256 continues over the rest, and the end checks all of it.
  const hash = createHash('sha256')
  let have = 0
  for await (const chunk of createReadStream(paths.part, { signal }) as AsyncIterable<Buffer>) {
    hash.update(chunk)
    have += chunk.length
  }
  if (have > record.size) return await startOver(`is longer than ${printable(name)} (${have} > ${record.size} bytes)`)
  return { record, have, hash }
}

/** `call`, removing the .part when the daemon answers that the file does not exist (404): it is of nothing now. */
async function unlessGone<T> (paths: PartPaths, call: Promise<T>): Promise<T> {
  try {
    return await call
  } catch (err) {
    if ((err as { status?: unknown }).status === 404) await discard(paths)
    throw err
  }
}

/** The etag as a SHA-256, or InvalidMessageError (the body released) when the answer has none. */
async function checkedEtag (name: string, info: FileInfo, body: AsyncIterable<Uint8Array>): Promise<string> {
  if (info.hash != null && SHA256_HEX.test(info.hash)) return info.hash
  await body[Symbol.asyncIterator]().return?.()
  throw new InvalidMessageError(`the daemon sent no SHA-256 etag for ${printable(name)}: the content cannot be verified`)
}

async function syncFile (file: string): Promise<void> {
  const handle = await open(file, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Move the finished .part to `target`. Without --force, link() makes "only if nothing is there" atomic, so
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
function mismatch (name: string, actual: string, expected: string, consequence: string): HashMismatchError {
  return new HashMismatchError(
    `${printable(name)}: hash mismatch: the content hashes to ${actual} but the daemon announced ${expected}: ${consequence}`)
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
  const fields: Array<[string, string]> = [
    ['name', printable(r.name)],
    ['saved to', printable(shown(cwd, r.path))],
    ['size', `${formatBytes(r.size)} (${r.size} bytes)`],
    ['hash', `${r.hash}  (verified)`]
  ]
  if (r.resumedFrom > 0) {
    fields.push(['resumed', `at ${formatBytes(r.resumedFrom)} (${r.resumedFrom} bytes), from an interrupted get's .part`])
  }
  fields.push(['time', formatElapsed(r.ms)], ['throughput', formatRate(r.size - r.resumedFrom, r.ms)])
  return fieldBlock(fields)
}
