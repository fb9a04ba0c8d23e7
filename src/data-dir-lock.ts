// One node per data dir. `<data-dir>/lock` names the process that uses the dir: its pid, and its API URL once
// it serves one. createPeer takes the lock before it reads or writes anything else in the dir, and releases it
// when the node stops, also after a failed start. A second node on the same dir fails with DataDirBusyError and
// has changed nothing in the dir: it only reads the lock file. A lock whose pid is not alive (its holder was
// killed) is stale, and the next node takes it over.
//
// Why not a library: proper-lockfile judges a lock stale by its mtime, which the holder refreshes on a timer, so
// a restart right after a SIGKILL waits out the stale period, and a holder whose event loop stalls loses its
// lock. A pid check is exact for a data dir on one machine. Its one flaw, a dead holder's pid reused by an
// unrelated process, keeps the lock held; the error names that pid, and removing the lock file frees the dir.
//
// A lock file is complete before it appears: it is written to a temp file and hard-linked to `lock`, and the
// link fails when a lock exists, so no reader sees a half-written one. Taking over a stale lock is exclusive
// too: the taker first links `lock.stale-<dead pid>`, so of two nodes that find the same stale lock, only one
// removes it.
import { randomUUID } from 'node:crypto'
import { link, mkdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DataDirBusyError } from './errors.js'

export const LOCK_FILE = 'lock'

/** What a lock file holds. */
export interface LockHolder {
  pid: number
  /** The holder's API URL; none while it starts (or when it serves no API). */
  api?: string
}

/** Tries before giving up on a lock that keeps changing under us (other nodes starting and failing). */
const MAX_TRIES = 5

export class DataDirLock {
  private released = false

  private constructor (
    readonly dir: string,
    /** The first directory this start created (the data dir or a parent), removed again after a failed start. */
    private readonly created: string | undefined,
    private holder: LockHolder
  ) {}

  /** The lock file of `dir`. */
  static path (dir: string): string {
    return join(dir, LOCK_FILE)
  }

  /**
   * Take the lock of `dir`, creating the dir (mode 0700) when it does not exist. DataDirBusyError when a live
   * process holds it; a stale lock is taken over.
   */
  static async take (dir: string): Promise<DataDirLock> {
    // Read first: a dir in use is then left untouched, not even a temp file made in it.
    await DataDirLock.assertFree(dir)
    const created = await mkdir(dir, { recursive: true, mode: 0o700 })
    const holder: LockHolder = { pid: process.pid }
    const tmp = await writeTemp(dir, holder)
    try {
      for (let i = 0; i < MAX_TRIES; i++) {
        if (await linkOrExists(tmp, DataDirLock.path(dir))) return new DataDirLock(dir, created, holder)
        const found = await readHolder(dir)
        if (found === undefined) continue // released meanwhile
        if (isAlive(found.pid)) throw busy(dir, found)
        await takeOverStale(dir, found, tmp)
      }
      throw new DataDirBusyError(`cannot lock ${dir}: its lock file keeps changing (other chord-peer nodes starting?)`)
    } catch (err) {
      if (created !== undefined) await rm(created, { recursive: true, force: true })
      throw err
    } finally {
      await rm(tmp, { force: true })
    }
  }

  /** DataDirBusyError when a live process holds the lock of `dir`. Only reads. */
  static async assertFree (dir: string): Promise<void> {
    const current = await readHolder(dir)
    if (current !== undefined && isAlive(current.pid)) throw busy(dir, current)
  }

  /** Record the API URL in the lock, so a second start can name it. */
  async setApi (url: string): Promise<void> {
    if (this.released) return
    this.holder = { ...this.holder, api: url }
    const tmp = await writeTemp(this.dir, this.holder)
    await rename(tmp, DataDirLock.path(this.dir))
  }

  /**
   * Release the lock (once). After a failed start (`failedStart`), a data dir this start created is removed
   * with everything in it, the lock included.
   */
  async release (options: { failedStart?: boolean } = {}): Promise<void> {
    if (this.released) return
    this.released = true
    if (options.failedStart === true && this.created !== undefined) {
      await rm(this.created, { recursive: true, force: true })
      return
    }
    const found = await readHolder(this.dir)
    if (found?.pid === this.holder.pid) await rm(DataDirLock.path(this.dir), { force: true })
  }
}

/** The holder named by `<dir>/lock`, or undefined when there is none. A file that does not parse names pid 0. */
export async function readHolder (dir: string): Promise<LockHolder | undefined> {
  let text: string
  try {
    text = await readFile(DataDirLock.path(dir), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined
    throw err
  }
  try {
    const json = JSON.parse(text) as Partial<LockHolder>
    const pid = Number.isSafeInteger(json.pid) && json.pid! > 0 ? json.pid! : 0
    return typeof json.api === 'string' ? { pid, api: json.api } : { pid }
  } catch {
    return { pid: 0 }
  }
}

/** Is a process with this pid running? EPERM: it is, under another user. */
export function isAlive (pid: number): boolean {
  if (pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function busy (dir: string, holder: LockHolder): DataDirBusyError {
  return new DataDirBusyError(`a chord-peer daemon (pid ${holder.pid}, API ${holder.api ?? 'starting'}) already uses ${dir}`)
}

async function writeTemp (dir: string, holder: LockHolder): Promise<string> {
  const tmp = join(dir, `${LOCK_FILE}.${process.pid}.${randomUUID()}.tmp`)
  await writeFile(tmp, JSON.stringify(holder) + '\n', { mode: 0o600, flush: true })
  return tmp
}

/** Link `from` to `to`: true, or false when `to` exists. */
async function linkOrExists (from: string, to: string): Promise<boolean> {
  try {
    await link(from, to)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
}

/**
 * Remove the stale lock of `dead`, unless another node is taking it over: the guard `lock.stale-<pid>` lets one
 * taker through. A guard left by a taker that died too is removed; a live taker's makes this start busy.
 */
async function takeOverStale (dir: string, dead: LockHolder, tmp: string): Promise<void> {
  const guard = `${DataDirLock.path(dir)}.stale-${dead.pid}`
  if (!await linkOrExists(tmp, guard)) {
    const taker = await readGuard(guard)
    if (taker !== undefined && isAlive(taker.pid)) throw busy(dir, taker)
    await rm(guard, { force: true })
    return
  }
  try {
    const now = await readHolder(dir)
    if (now !== undefined && now.pid === dead.pid) await unlink(DataDirLock.path(dir)).catch(() => {})
  } finally {
    await rm(guard, { force: true })
  }
}

async function readGuard (guard: string): Promise<LockHolder | undefined> {
  try {
    const json = JSON.parse(await readFile(guard, 'utf8')) as Partial<LockHolder>
    return Number.isSafeInteger(json.pid) ? { pid: json.pid! } : undefined
  } catch {
    return undefined
  }
}
