// Small files that must survive a crash whole or not at all (view.json, supernodes.json): written to a temp file
// beside the target, flushed to disk, renamed over the target, and the directory synced, so a reader finds the old
// content or the new, never a torn mix, and an acknowledged write survives a power loss.
import { open, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { FileHandle } from 'node:fs/promises'

/** Replace `file` with `data` atomically and durably (mode for a new file: `mode`, default 0o644). */
export async function writeFileAtomic (file: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  try {
    await writeFile(tmp, data, { mode: options.mode ?? 0o644, flush: true })
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await syncDir(dirname(file))
}

/** fsync a directory so a rename into it survives a power loss (Linux; other systems may refuse, which is fine). */
export async function syncDir (dir: string): Promise<void> {
  let fh: FileHandle | undefined
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw err
  } finally {
    await fh?.close()
  }
}
