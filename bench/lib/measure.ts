// Peak memory and CPU of benchmark processes, read from /proc (Linux): `measure` runs one phase of a benchmark
// and reports, for every process taking part and for the bench itself, its peak RSS and the CPU seconds it used.
import { execFile } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { median } from './stats.js'

const execFileAsync = promisify(execFile)

/** A process taking part in a measured phase (a bench/lib/children.ts Child is one). */
export interface Proc { name: string, pid: number }
export interface ProcFigures { name: string, peak: number, cpu: number }
export interface Measured<T> { ms: number, value?: T, error?: Error, procs: ProcFigures[] }

/** How long a transfer of `size` bytes may take before it counts as hung: generous, 60 s plus 5 MB/s. */
export function transferTimeout (size: number): number {
  return Math.round(60_000 + size / (5 * 1e6) * 1000)
}

/**
 * Run `fn` with every process's VmHWM reset first; report each one's peak RSS and CPU seconds over it (this
 * process included, as "bench"), and fn's result or error.
 */
export async function measure<T> (procs: readonly Proc[], fn: () => Promise<T>): Promise<Measured<T>> {
  const all = [...procs.map(c => ({ name: c.name, pid: c.pid })), { name: 'bench', pid: process.pid }]
  const peaks = new Map<number, number>()
  const cpu0 = new Map<number, number>()
  for (const p of all) {
    if (!resetPeak(p.pid)) peaks.set(p.pid, memoryOf(p.pid)?.rss ?? NaN)
    cpu0.set(p.pid, cpuSecondsOf(p.pid) ?? NaN)
  }
  // Sampling backs up VmHWM where clear_refs is not allowed.
  const sampler = setInterval(() => {
    for (const p of all) peaks.set(p.pid, Math.max(peaks.get(p.pid) ?? 0, memoryOf(p.pid)?.rss ?? 0))
  }, 100)
  const t0 = performance.now()
  let value: T | undefined
  let error: Error | undefined
  try {
    value = await fn()
  } catch (err) {
    error = err as Error
  } finally {
    clearInterval(sampler)
  }
  const ms = performance.now() - t0
  return {
    ms,
    value,
    error,
    procs: all.map(p => ({
      name: p.name,
      peak: Math.max(peaks.get(p.pid) ?? 0, memoryOf(p.pid)?.peak ?? 0),
      cpu: (cpuSecondsOf(p.pid) ?? NaN) - (cpu0.get(p.pid) ?? NaN)
    }))
  }
}

// ---- /proc readers -------------------------------------------------------------------------------------------

/** Resident set (VmRSS) and its peak since start or the last resetPeak (VmHWM), in bytes; undefined when gone. */
export function memoryOf (pid: number): { rss: number, peak: number } | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return undefined
  }
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024
  return { rss: kib('VmRSS'), peak: kib('VmHWM') }
}

/** Reset the process's VmHWM to its current RSS (`5` > clear_refs, Linux ≥ 4.0); false when not allowed. */
export function resetPeak (pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** User + system CPU seconds the process has used (clock ticks of 1/100 s); undefined when gone. */
export function cpuSecondsOf (pid: number): number | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // Fields after "(comm)": state is field 3, utime 14 and stime 15 (1-based).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/**
 * The memory every TypeScript child carries for running under tsx: on Node 20 its loader runs on a thread of
 * its own and keeps what it compiled. Measured as the resident set of an idle process that loaded the node's
 * code (src/peer.ts) through tsx, less that of one that loaded the compiled code (dist/, `npm run build`), median
 * of three each; undefined when dist/ is missing. A node's peak is then judged as it would be when run compiled.
 */
export async function tsxOverhead (nodeFlags: readonly string[], cwd: string): Promise<number | undefined> {
  if (!existsSync(join(cwd, 'dist', 'src', 'peer.js'))) return undefined
  const idle = async (imports: string[], entry: string): Promise<number> => {
    const probe = `import(${JSON.stringify(entry)}).then(() => setTimeout(() => console.log(` +
      '/VmRSS:\\s+(\\d+)/.exec(require("fs").readFileSync("/proc/self/status", "utf8"))[1]), 500))'
    const { stdout } = await execFileAsync(process.execPath, [...nodeFlags, ...imports, '-e', probe], { cwd })
    return Number(stdout.trim()) * 1024
  }
  const median3 = async (imports: string[], entry: string): Promise<number> =>
    median([await idle(imports, entry), await idle(imports, entry), await idle(imports, entry)])
  const typescript = await median3(['--import', 'tsx', '--import', './src/polyfill.ts'], './src/peer.ts')
  const compiled = await median3(['--import', './dist/src/polyfill.js'], './dist/src/peer.js')
  return Math.max(0, typescript - compiled)
}
