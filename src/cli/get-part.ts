// The files an interrupted `chord-peer get` leaves beside its target, so the next get continues it (get.ts has
// the rules): `<target>.part` (the bytes), `<target>.part.json` (what they are the start of: name, etag, size),
// and `<target>.part.lock` (the pid of the get writing them). The lock keeps two gets from writing one .part:
// the hash is computed over the bytes as they arrive, so only one writer may touch the file then put in place.
import { createHash, randomBytes } from 'node:crypto'
import { link, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { ChordPeerError } from '../errors.js'
import { syncDir } from '../atomic-file.js'
import { isAlive } from '../data-dir-lock.js'

/** Longest file name most file systems take, in UTF-8 bytes. */
export const MAX_FILE_NAME_BYTES = 255

const SHA256_HEX = /^[0-9a-f]{64}$/

/** Another get (a live process) is writing the same `<target>.part`. */
export class PartBusyError extends ChordPeerError {
  static override readonly code = 'ERR_PART_BUSY'
}


/** Room the longest name beside the target needs after its base name: `.part.lock.<pid>.<hex>.tmp`. */
const PART_SUFFIX_BYTES = 32

/** What `<target>.part.json` starts with; a sidecar of another format is not trusted. */
export const PART_FORMAT = 'chord-peer-get-part/1'

/** `<target>.part.json`: what the bytes in `<target>.part` are the start of, as the daemon announced it. */
export interface PartRecord {
  format: typeof PART_FORMAT
  name: string
  /** The daemon's etag: SHA-256 of the whole content, 64 hex digits. */
  hash: string
  /** Bytes in the whole file. */
  size: number
  /** The `x-chord-peer-version` of the answer the download started from (informative). */
  version?: string
}

/** The files beside a target while it downloads. */
export interface PartPaths {
  part: string
  record: string
  lock: string
}


/**
 * `<target>.part`, `.part.json` and `.part.lock` beside `target`. A base name too long to take the suffixes is
 * cut and tagged with a hash of the whole, so the names stay distinct per target and within what a file
 * system takes.
 */
export function partPaths (target: string): PartPaths {
  let base = basename(target)
  if (Buffer.byteLength(base) + PART_SUFFIX_BYTES > MAX_FILE_NAME_BYTES) {
    const tag = createHash('sha256').update(base).digest('hex').slice(0, 8)
    base = `${cutToBytes(base, MAX_FILE_NAME_BYTES - PART_SUFFIX_BYTES - tag.length - 1)}~${tag}`
  }
  const stem = join(dirname(target), base)
  return { part: `${stem}.part`, record: `${stem}.part.json`, lock: `${stem}.part.lock` }
}


/** The .part.json, or undefined when there is none or it is not one (a crash mid-write, another format). */
export async function readRecord (file: string): Promise<PartRecord | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  let json: Partial<PartRecord>
  try {
    json = JSON.parse(text) as Partial<PartRecord>
  } catch {
    return undefined
  }
  const ok = json != null && json.format === PART_FORMAT && typeof json.name === 'string' &&
    typeof json.hash === 'string' && SHA256_HEX.test(json.hash) && Number.isSafeInteger(json.size) && json.size! >= 0
  if (!ok) return undefined
  const record: PartRecord = { format: PART_FORMAT, name: json.name!, hash: json.hash!, size: json.size! }
  if (typeof json.version === 'string') record.version = json.version
  return record
}

/** Written before the first byte of the .part, whole or not at all (temp file, synced, renamed). */
export async function writeRecord (file: string, record: PartRecord): Promise<void> {
  const tmp = `${file}.tmp` // only the lock holder writes here
  await writeFile(tmp, JSON.stringify(record) + '\n', { flush: true })
  await rename(tmp, file)
  await syncDir(dirname(file))
}

/** Remove the .part and its .part.json. */
export async function discard (paths: PartPaths): Promise<void> {
  await rm(paths.part, { force: true })
  await rm(paths.record, { force: true })
}


/**
 * Take `<target>.part.lock` for this process, or PartBusyError when a live process holds it; a lock whose pid is
 * gone (a get killed with SIGKILL) is stale and taken over. Like src/data-dir-lock.ts: the lock file is
 * complete before it appears (a temp file hard-linked into place). Resolves with the release.
 */
export async function lockPart (paths: PartPaths, shown: (path: string) => string): Promise<() => Promise<void>> {
  const tmp = `${paths.lock}.${process.pid}.${randomBytes(2).toString('hex')}.tmp`
  await writeFile(tmp, `${process.pid}\n`, { flush: true })
  try {
    for (let tries = 0; tries < 3; tries++) {
      if (await linkOrExists(tmp, paths.lock)) return async () => { await rm(paths.lock, { force: true }) }
      const pid = await readFile(paths.lock, 'utf8').then(text => Number(text.trim()), () => undefined)
      if (pid === undefined) continue // released meanwhile
      if (Number.isSafeInteger(pid) && isAlive(pid)) {
        throw new PartBusyError(`another get (pid ${pid}) is writing ${shown(paths.part)}: ` +
          `let it finish, or remove ${shown(paths.lock)} if it is not running`)
      }
      await unlink(paths.lock).catch(() => {}) // stale
    }
    throw new PartBusyError(`cannot lock ${shown(paths.part)}: ${shown(paths.lock)} keeps changing`)
  } finally {
    await rm(tmp, { force: true })
  }
}

/** Link `from` to `to`: true, or false when `to` exists. Without hard links, an exclusive create does it. */
async function linkOrExists (from: string, to: string): Promise<boolean> {
  try {
    await link(from, to)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err
  }
  try {
    await writeFile(to, await readFile(from), { flag: 'wx' })
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
}

/** `text` without its last characters until it takes at most `bytes` bytes of UTF-8. */
export function cutToBytes (text: string, bytes: number): string {
  let cut = text
  while (Buffer.byteLength(cut) > bytes) cut = [...cut].slice(0, -1).join('')
  return cut
}
