// Real `chord-peer` processes for system tests and benchmarks: each daemon runs the command line (bin/, so the
// compiled dist/ tree) with its own temp data dir, listening on 127.0.0.1; `stopAll` removes every process and
// dir, also when a test fails. Under the tests' root hooks each daemon also runs with its debug channel on
// (DEBUG=chord-peer:*, unless the caller set DEBUG), kept apart from its output, so that a failed test can show
// what its daemons saw (`takeStarted`); benchmarks leave it off.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { waitFor } from '../src/testnet.js'

export const BIN = resolve(import.meta.dirname, '../bin/chord-peer.js')

/** The banner's line with the daemon's own first listen address. */
const LISTENING = /^listening +(\/ip4\/[\d.]+\/tcp\/\d+\/p2p\/\w+)/m

/** The debug channel's lines (`<ISO time> chord-peer:<name> …`), and the indented lines of a stack after one. */
const DEBUG_LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z chord-peer:/
/** The most of a daemon's debug lines kept, from the end. */
const MAX_DEBUG_CHARS = 256 * 1024

/** Every daemon started since the last `takeStarted()`, once `reportDaemons()` was called. */
let started: Daemon[] | undefined

/** From now on, run daemons with their debug channel on and remember them for `takeStarted`. */
export function reportDaemons (): void {
  started ??= []
}

/** The daemons started since the last call, to report on when a test failed (test/utils/hooks.ts). */
export function takeStarted (): Daemon[] {
  return started?.splice(0) ?? []
}

export interface Daemon {
  proc: ChildProcess
  dataDir: string
  /** What it printed, without the debug channel's lines. */
  output: () => string
  /** The last MAX_DEBUG_CHARS of its debug channel. */
  debug: () => string
  /** The first multiaddr it printed (with /p2p/). */
  multiaddr: string
  /** Its PeerId, the last part of `multiaddr`. */
  peerId: string
  apiUrl: string
  /** Its API token, read from the data dir's `api-token` file once it is up (a new one each start). */
  apiToken: string
}

export interface CliResult { code: number, stdout: string, stderr: string }

export class Processes {
  private readonly daemons: Daemon[] = []
  private readonly dirs: string[] = []

  /**
   * Start a daemon with `args` (plus --listen on 127.0.0.1 and a temp --data-dir, or the given one to restart a
   * node with its identity) and wait until it is up.
   */
  async daemon (
    args: string[],
    options: {
      timeoutMs?: number
      dataDir?: string
      wrap?: string[]
      nodeFlags?: string[]
      /** Give only `args` and --data-dir, no --listen: a restart that resumes from the data dir's config.json. */
      resume?: boolean
      /** Listen on this IPv4 address instead of 127.0.0.1 (a network namespace's own), on a free port. */
      host?: string
      /** Serve the API on this IPv4 address instead of 127.0.0.1 (reachable from outside a namespace). */
      apiHost?: string
    } = {}
  ): Promise<Daemon> {
    const dataDir = options.dataDir ?? await mkdtemp(join(tmpdir(), 'chord-peer-sys-'))
    if (options.dataDir === undefined) this.dirs.push(dataDir)
    let out = ''
    // `wrap` runs the daemon under another command (e.g. prlimit), which must exec it; `nodeFlags` go to node.
    const command = [
      ...(options.wrap ?? []), process.execPath, ...(options.nodeFlags ?? []), BIN,
      ...args, ...(options.resume === true ? [] : ['--listen', `/ip4/${options.host ?? '127.0.0.1'}/tcp/0`]),
      ...(options.apiHost === undefined ? [] : ['--api', `${options.apiHost}:0`, '--api-host', options.apiHost]),
      '--data-dir', dataDir
    ]
    const env = started === undefined ? process.env : { ...process.env, DEBUG: process.env.DEBUG ?? 'chord-peer:*' }
    const proc = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env })
    proc.stdout.on('data', (d: Buffer) => { out += d.toString() })
    // stderr line by line: the debug channel's lines (and a stack's indented lines after one) go apart.
    let debug = ''
    let partial = ''
    let inDebug = false
    proc.stderr.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        inDebug = DEBUG_LINE.test(line) || (inDebug && /^\s/.test(line))
        if (inDebug) debug = (debug + line + '\n').slice(-MAX_DEBUG_CHARS)
        else out += line + '\n'
      }
    })
    proc.stderr.on('end', () => { if (partial !== '') out += partial })
    const daemon: Daemon = { proc, dataDir, output: () => out, debug: () => debug, multiaddr: '', peerId: '', apiUrl: '', apiToken: '' }
    this.daemons.push(daemon)
    started?.push(daemon)
    await waitFor(() => {
      if (proc.exitCode !== null) throw new Error(`chord-peer exited with ${proc.exitCode}:\n${out}`)
      return LISTENING.test(out) && /^api +http:\/\/[\d.]+:\d+/m.test(out)
    }, { timeoutMs: options.timeoutMs ?? 20_000, what: `chord-peer ${args.join(' ')} to start` })
    // From the banner's own line: other output (a join retry naming a supernode) may name other nodes first.
    daemon.multiaddr = LISTENING.exec(out)![1]
    daemon.peerId = daemon.multiaddr.slice(daemon.multiaddr.lastIndexOf('/') + 1)
    daemon.apiUrl = (await readFile(join(dataDir, 'api'), 'utf8')).trim()
    daemon.apiToken = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim()
    return daemon
  }

  /** Run a client command to completion (without a CHORD_PEER_API_TOKEN of the caller's environment). */
  async cli (args: string[], timeoutMs = 20_000): Promise<CliResult> {
    const env = { ...process.env }
    delete env.CHORD_PEER_API_TOKEN
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, env })
      let stdout = ''
      let stderr = ''
      proc.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
      proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
      proc.on('error', reject)
      proc.on('close', code => resolve({ code: code ?? -1, stdout, stderr }))
    })
  }

  /** An invite token minted by `via` (a supernode) with `chord-peer invite`, for one supernode by default. */
  async invite (via: Daemon, options: { supernode?: boolean } = {}): Promise<string> {
    const kind = options.supernode === false ? [] : ['--supernode']
    const res = await this.cli(['invite', ...kind, '--json', '--api', via.apiUrl, '--api-token', via.apiToken])
    if (res.code !== 0) throw new Error(`chord-peer invite exited with ${res.code}: ${res.stderr}`)
    return (JSON.parse(res.stdout) as { token: string }).token
  }

  /** Start a supernode that joins through `via` with an invite `via` mints. */
  async supernode (via: Daemon, args: string[] = [], options: Parameters<Processes['daemon']>[1] = {}): Promise<Daemon> {
    return this.daemon(['--bootstrap', '--connect', via.multiaddr, '--invite', await this.invite(via), ...args], options)
  }

  /** Send `signal` and wait for the exit code. */
  async kill (daemon: Daemon, signal: NodeJS.Signals): Promise<number | null> {
    if (daemon.proc.exitCode !== null || daemon.proc.signalCode !== null) return daemon.proc.exitCode
    const exited = new Promise<number | null>(resolve => daemon.proc.once('exit', code => resolve(code)))
    daemon.proc.kill(signal)
    return exited
  }

  async stopAll (): Promise<void> {
    await Promise.all(this.daemons.splice(0).map(async d => this.kill(d, 'SIGKILL')))
    await Promise.all(this.dirs.splice(0).map(async dir => rm(dir, { recursive: true, force: true })))
  }
}
