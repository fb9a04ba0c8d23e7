// A `chord-peer` client command run as a process of its own, the way a user runs it, with its peak RSS and CPU
// seconds sampled from /proc; and the files such a command reads and writes.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import { BIN } from '../../harness/processes.js'
import { DAEMON_NODE_FLAGS } from './children.js'
import { pseudoRandomChunks } from './content.js'
import { cpuSecondsOf, memoryOf } from './measure.js'

/** A CLI process run to the end: its exit code, output, and peak RSS and CPU seconds as last sampled. */
export interface CliRun { code: number, stdout: string, stderr: string, peak: number, cpu: number }

/**
 * `chord-peer <args>` as a user runs it (the node flags of bin/chord-peer.js's shebang), with VmHWM and CPU
 * sampled from /proc every 10 ms until it exits (VmHWM only grows, so the last sample is the peak but for the
 * last few ms).
 */
export async function runCli (args: string[], timeoutMs: number): Promise<CliRun> {
  const proc = spawn(process.execPath, [...DAEMON_NODE_FLAGS, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  let peak = 0
  let cpu = 0
  const sample = (): void => {
    if (proc.pid === undefined) return
    // A process that is exiting has no memory figures left: keep the last ones.
    const hwm = memoryOf(proc.pid)?.peak ?? NaN
    const used = cpuSecondsOf(proc.pid) ?? NaN
    if (Number.isFinite(hwm)) peak = Math.max(peak, hwm)
    if (Number.isFinite(used)) cpu = Math.max(cpu, used)
  }
  const sampler = setInterval(sample, 10)
  try {
    const code = await new Promise<number>((resolve, reject) => {
      proc.on('error', reject)
      proc.on('exit', code => { resolve(code ?? -1) })
    })
    return { code, stdout, stderr, peak, cpu }
  } finally {
    clearInterval(sampler)
  }
}

/** `size` bytes of pseudoRandomChunks written to `path`. */
export async function writeContent (path: string, size: number): Promise<void> {
  const out = createWriteStream(path)
  for (const chunk of pseudoRandomChunks(size)) {
    if (!out.write(chunk)) await new Promise<void>(resolve => out.once('drain', () => { resolve() }))
  }
  out.end()
  await finished(out)
}

export async function sha256File (path: string): Promise<string> {
  const sha = createHash('sha256')
  for await (const piece of createReadStream(path)) sha.update(piece as Buffer)
  return sha.digest('hex')
}

/** Throw, with the end of its stderr, unless the command exited 0. */
export function checkCli (run: CliRun, command: string): void {
  if (run.code !== 0) throw new Error(`chord-peer ${command} exited with ${run.code}: ${run.stderr.trim().slice(-300)}`)
}
