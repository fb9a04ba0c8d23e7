// `chord-peer swarm-key [file] [--force]`: make a new private-network key (Kubo's `swarm.key` format, from
// @libp2p/pnet's generateKey) and write it to a file readable by its owner only, or print it with `-`. Needs no
// daemon. The file appears whole or not at all (temp file, then link or rename), and an existing file is kept
// unless --force: overwriting a key by mistake would cut this machine off from its network.
import { randomBytes } from 'node:crypto'
import { link, open, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { parseSwarmKey, SWARM_KEY_ENCODING, SWARM_KEY_HEADER } from '../config.js'
import { InvalidInputError } from '../errors.js'
import { EXIT_OK } from './context.js'
import { FileExistsError } from './get.js'
import type { CommandContext } from './context.js'

/** What `swarm-key` writes when given no file, or a directory. */
export const DEFAULT_SWARM_KEY_FILE = 'swarm.key'
/** The key file's mode: it is a shared secret. */
export const SWARM_KEY_FILE_MODE = 0o600

export interface SwarmKeyArgs {
  /** Where to write the key (a file, or a directory to put `swarm.key` in), `-` for stdout. Default ./swarm.key. */
  file?: string
  /** Replace an existing file. */
  force?: boolean
}

/** The command needs no daemon: printers and the working directory only. */
export type SwarmKeyContext = Pick<CommandContext, 'print' | 'cwd'> & Partial<Pick<CommandContext, 'client'>>

export async function swarmKeyCommand (ctx: SwarmKeyContext, args: SwarmKeyArgs = {}): Promise<number> {
  checkSwarmKeyArgs(args)
  const key = await newSwarmKey()
  if (args.file === '-') {
    ctx.print(key)
    return EXIT_OK
  }
  let target = resolve(ctx.cwd ?? process.cwd(), args.file ?? DEFAULT_SWARM_KEY_FILE)
  if (await isDirectory(target)) target = join(target, DEFAULT_SWARM_KEY_FILE)
  await writeKeyFile(target, `${key}\n`, args.force === true)
  ctx.print(`wrote a new swarm key to ${target} (mode 0600)\n` +
    `copy it to every machine of the network and start each node with --swarm-key <file>; keep it secret`)
  return EXIT_OK
}

export function checkSwarmKeyArgs (args: SwarmKeyArgs): void {
  if (args.file === '') throw new InvalidInputError('the swarm key file name is empty (give a file, or - for stdout)')
}

/** A new key file's content (three lines, no trailing newline), checked by the same parser the daemon uses. */
export async function newSwarmKey (): Promise<string> {
  const { generateKey } = await import('@libp2p/pnet')
  const bytes = new Uint8Array(SWARM_KEY_HEADER.length + SWARM_KEY_ENCODING.length + 64 + 2)
  generateKey(bytes)
  return new TextDecoder().decode(parseSwarmKey(bytes, 'the generated key'))
}

/**
 * Write `content` to a temp file beside `target` (mode 0600, synced), then put it in place: rename with `force`,
 * else link(), which fails if anything is there, so an existing key is never replaced. File systems without
 * hard links fall back to an exclusive create.
 */
async function writeKeyFile (target: string, content: string, force: boolean): Promise<void> {
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', SWARM_KEY_FILE_MODE)
  let renamed = false
  try {
    try {
      await handle.writeFile(content)
      await handle.sync()
    } finally {
      await handle.close()
    }
    if (force) {
      await rename(temp, target)
      renamed = true
      return
    }
    try {
      await link(temp, target)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST') throw new FileExistsError(`${target} already exists: pass --force to replace it`, { cause: err })
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err
      await writeFile(target, content, { flag: 'wx', mode: SWARM_KEY_FILE_MODE }).catch((err2: NodeJS.ErrnoException) => {
        if (err2.code === 'EEXIST') throw new FileExistsError(`${target} already exists: pass --force to replace it`, { cause: err2 })
        throw err2
      })
    }
  } finally {
    if (!renamed) await unlink(temp).catch(() => {})
  }
}

async function isDirectory (path: string): Promise<boolean> {
  return stat(path).then(s => s.isDirectory(), (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return false
    throw err
  })
}
