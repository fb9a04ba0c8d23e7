// The child processes of a benchmark and everything that must go when it ends: spawning a child (a TypeScript
// program through tsx, or plain JavaScript), the `@@{json}` messages it sends on stdout, stopping it, the temp
// dirs the bench makes, and `runMain`, which cleans all of them up however the bench exits.
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The repository root: children run with it as their working directory. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** The transfer benchmark's child program (bench/lib/child.ts). */
export const CHILD_SCRIPT = join(ROOT, 'bench', 'lib', 'child.ts')

/**
 * Node flags of every child: the ones `chord-peer` runs with (bin/chord-peer.js, `npm start`), given to the raw
 * stream's and Helia's processes too so that every process runs on the same runtime settings.
 */
export const DAEMON_NODE_FLAGS = ['--single-threaded-gc', '--no-incremental-marking', '--max-semi-space-size=4']
/** How a TypeScript child runs: src/*.ts loaded through tsx, polyfill first, as the bench itself runs. */
const TYPESCRIPT = ['--import', 'tsx', '--import', './src/polyfill.ts']

export interface Child {
  name: string
  proc: ChildProcess
  pid: number
  messages: Array<Record<string, unknown>>
  waiters: Array<() => void>
  stderr: string[]
  exited?: string
}

const children = new Set<Child>()
const tempDirs = new Set<string>()

/** Start `script` (default: bench/lib/child.ts) with `args`; a .ts script runs through tsx. */
/** `env`: variables for the child besides this process's (e.g. an API token, kept out of its argv). */
export function spawnChild (name: string, args: string[], script = CHILD_SCRIPT, env: Record<string, string> = {}): Child {
  // BENCH_CHILD_NODE_ARGS: extra node flags for the children (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
  const nodeArgs = [...DAEMON_NODE_FLAGS, ...(process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(a => a !== '')]
  if (script.endsWith('.ts')) nodeArgs.push(...TYPESCRIPT)
  // The files log says why a store or fetch failed; it is shown when a transfer fails.
  const childEnv = { ...process.env, DEBUG: process.env.DEBUG ?? 'chord-peer:files', ...env }
  const proc = spawn(process.execPath, [...nodeArgs, script, ...args], { cwd: ROOT, env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] })
  if (proc.pid === undefined) throw new Error(`cannot start ${name}`)
  const child: Child = { name, proc, pid: proc.pid, messages: [], waiters: [], stderr: [] }
  children.add(child)
  const wake = (): void => { for (const w of child.waiters.splice(0)) w() }
  createInterface({ input: proc.stdout! }).on('line', line => {
    if (line.startsWith('@@')) child.messages.push(JSON.parse(line.slice(2)) as Record<string, unknown>)
    wake()
  })
  createInterface({ input: proc.stderr! }).on('line', line => {
    child.stderr.push(line)
    if (child.stderr.length > 40) child.stderr.shift()
  })
  proc.stdin!.on('error', () => {})
  proc.on('exit', (code, signal) => {
    child.exited = `exited with ${signal ?? code}`
    children.delete(child)
    wake()
  })
  return child
}

/** The first message of `child` with field `key`, removed from its queue. */
export async function message<T> (child: Child, key: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const i = child.messages.findIndex(m => key in m)
    if (i >= 0) return child.messages.splice(i, 1)[0] as T
    if (child.exited !== undefined) throw new Error(`${child.name} ${child.exited} before "${key}":\n${child.stderr.join('\n')}`)
    const left = deadline - Date.now()
    if (left <= 0) throw new Error(`${child.name} sent no "${key}" within ${timeoutMs} ms:\n${child.stderr.join('\n')}`)
    await new Promise<void>(resolve => {
      const t = setTimeout(resolve, left)
      child.waiters.push(() => { clearTimeout(t); resolve() })
    })
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
export async function stopChild (child: Child): Promise<void> {
  if (child.exited !== undefined) return
  const gone = new Promise<void>(resolve => child.proc.once('exit', () => resolve()))
  child.proc.kill('SIGTERM')
  child.proc.stdin?.end()
  const t = setTimeout(() => child.proc.kill('SIGKILL'), 5_000)
  await gone
  clearTimeout(t)
}

/** A new temp dir, removed at the end of the run unless removeTempDir removes it first. */
export async function makeTempDir (prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

export async function removeTempDir (dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  tempDirs.delete(dir)
}

function cleanupSync (): void {
  for (const child of children) child.proc.kill('SIGKILL')
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
}

async function cleanup (): Promise<void> {
  await Promise.all([...children].map(stopChild))
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true })
  tempDirs.clear()
}

/**
 * Run a benchmark's `main` and exit: every child is stopped and every temp dir removed on success, on failure
 * (after printing the children's last stderr lines), on SIGINT/SIGTERM, and after `limitMs`, a hard limit so
 * that a hung transfer cannot keep processes around.
 */
export function runMain (main: () => Promise<void>, limitMs: number): void {
  process.on('exit', cleanupSync)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => { cleanupSync(); process.exit(130) })
  }
  setTimeout(() => {
    console.error(`the benchmark took over ${limitMs / 60_000} minutes: stopping`)
    cleanupSync()
    process.exit(1)
  }, limitMs).unref()
  main().then(
    async () => { await cleanup(); process.exit(0) },
    async (err: unknown) => {
      console.error(err)
      for (const child of children) {
        if (child.stderr.length > 0) console.error(`--- ${child.name} (pid ${child.pid}) stderr:\n${child.stderr.join('\n')}`)
      }
      await cleanup().catch(() => {})
      process.exit(1)
    }
  )
}
