// The command tree (commander): the daemon as the top-level action, the client commands as subcommands.
// Parsing only; each action hands parsed flags to a command function and records its exit code.
import { Command, Option } from 'commander'
import { ApiClient } from '../client/index.js'
import { ChordPeerError, InvalidInputError } from '../errors.js'
import { explainUnauthorized, resolveApi } from './api-url.js'
import { explainStaleApiFile } from './stale-api.js'
import { printersFor } from './context.js'
import { checkGetArgs, getCommand } from './get.js'
import { locateCommand } from './locate.js'
import { lookupCommand, lookupQuery } from './lookup.js'
import { lsCommand, parseLimit, parsePrefix } from './ls.js'
import { progressFor } from './progress.js'
import { checkPutArgs, putCommand } from './put.js'
import { ringCommand } from './ring.js'
import { rmCommand } from './rm.js'
import { statusCommand } from './status.js'
import { leaderCommand } from './leader.js'
import { inviteCommand, parseTtl } from './invite.js'
import { eventsCommand } from './events.js'
import { dashboardCommand, hasDesktop, openInBrowser } from './dashboard.js'
import { checkSwarmKeyArgs, swarmKeyCommand } from './swarm-key.js'
import { packageVersion } from './version.js'
import { resolveDataDir } from './data-dir.js'
import { encodeName } from '../client/index.js'
import type { ByteSource } from '../client/index.js'
import type { ByteSink, CommandContext, Writable } from './context.js'
import type { ProgressFactory } from './progress.js'
import type { DataDirEnv } from './data-dir.js'
import type { DaemonFlags } from './daemon-options.js'
import type { SignalSource } from './daemon.js'
import type { CreatePeer } from './peer-contract.js'

export interface CliIo extends DataDirEnv {
  stdout: Writable
  /** Also where progress bars go, when it is a terminal. */
  stderr: Writable & { isTTY?: boolean, columns?: number }
  /** Aborts the client command in progress. */
  signal?: AbortSignal
  /**
   * Environment variables: the daemon's S3 settings (default: process.env plus a `.env` file in cwd), a client
   * command's CHORD_PEER_API_TOKEN (default: process.env).
   */
  env?: NodeJS.ProcessEnv
  /** What `put -` reads. Default: process.stdin. */
  stdin?: ByteSource
  /** Where `get -o -` writes the content. Default: process.stdout. */
  stdoutBytes?: ByteSink
  /** Force progress bars on or off. Default: whether stderr is a TTY. */
  isTTY?: boolean
  /** Replaces the cli-progress bars (tests). Used only when progress is on. */
  progress?: ProgressFactory
  /** Daemon only, for tests: replaces src/peer.ts's createPeer. */
  createPeer?: CreatePeer
  /** For tests: where SIGINT/SIGTERM come from (default process). The daemon leaves on them; put/get abort. */
  signals?: SignalSource
  /** Daemon only, for tests: how a second signal exits (default process.exit). */
  exit?: (code: number) => void
  /** `dashboard` only, for tests: opens a URL in a browser (default: xdg-open/open when there is a desktop). */
  openUrl?: (url: string) => void
}

const EXAMPLES = `
Examples:
  chord-peer --bootstrap --k 3 --listen /ip4/0.0.0.0/tcp/4001   start a ring (a supernode)
  chord-peer --connect /ip4/192.0.2.1/tcp/4001/p2p/12D3Koo…        join it as a peer
  chord-peer --data-dir ./peer2                                  start a node again as it last ran (its config.json)
  chord-peer put ./notes.pdf                                     store a file in the ring
  chord-peer put a.txt b.txt                                     store several files, each under its base name
  chord-peer put -r ./photos                                     store a directory's files as 2024/a.jpg, …
  tar c dir | chord-peer put - --name dir.tar                    store stdin under a name
  chord-peer get notes.pdf -o out.pdf                            fetch it (checked against its SHA-256)
  chord-peer get notes.pdf -o - | less                           fetch it to stdout
  chord-peer ls --all                                            every file in the ring
  chord-peer ls --prefix photos/ --all                           the files whose names start with photos/
  chord-peer locate notes.pdf                                    which nodes should hold it, and which do
  chord-peer rm notes.pdf                                        delete it (a tombstone on every replica)
  chord-peer status                                              ask the local daemon about itself
  chord-peer ring --check                                        walk the ring and check its invariants
  chord-peer leader                                              the supernodes' leader and their liveness
  chord-peer events                                              follow the node's events: joins, leaves, repairs…
  chord-peer lookup notes.pdf                                    which node owns a file name
  chord-peer dashboard                                           log in to the web dashboard (prints, or opens, a one-time URL)
  chord-peer swarm-key ./swarm.key                               make a private network's key (no daemon needed)
  chord-peer --swarm-key ./swarm.key --bootstrap                 run a node of that private network

Exit codes: 0 ok, 1 the operation failed (or no daemon answered), 2 usage error, 130 interrupted (Ctrl-C).`

/** Build the program; `onExit` receives the exit code of the command that ran. */
export function buildProgram (io: CliIo, onExit: (code: number) => void): Command {
  const printers = printersFor(io.stdout)
  const program = new Command('chord-peer')
    .description('Peer-to-peer file sharing on a Chord ring.\n' +
      'Without a command: run a daemon (--bootstrap to start a ring, --connect <multiaddr> to join one).')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: text => { io.stdout.write(text) },
      writeErr: text => { io.stderr.write(text) }
    })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXAMPLES)

  // Daemon flags. Defaults live in createPeer; here they are only described.
  program
    .option('--bootstrap', 'start as a supernode: the first node of a ring, or (with --connect) one more supernode')
    .option('--k <n>', 'replication factor, total copies of each file (supernode only, 1-16; default 3)')
    .option('--connect <multiaddr>', 'a supernode to join through, ending in /p2p/<peerId> (repeatable)', collect)
    .option('--listen <multiaddr>', 'address to listen on (repeatable; default /ip4/0.0.0.0/tcp/0)', collect)
    .option('--api <host:port>', 'where to serve the HTTP API (default 127.0.0.1:0, a free loopback port)')
    .option('--api-host <name>', 'a host name the API answers to besides loopback ones (repeatable or a comma list)', collect)
    .option('--api-token <token>', 'client commands: the daemon\'s API token (default: CHORD_PEER_API_TOKEN, else <data-dir>/api-token)')
    .option('--data-dir <dir>', 'identity key and state (default ./.chord-peer if it exists, else ~/.chord-peer)')
    .option('--join-timeout <seconds>', 'how long to keep trying unreachable supernodes before giving up (default 30)')
    .option('--invite <token>', 'an invite from `chord-peer invite`: a new supernode needs one, a peer of an invite-only ring too')
    .option('--admission <policy>', 'who may join as a peer: open (default) or invite (the supernode that starts the ring)')
    .option('--s3-bucket <name>', 'S3 durable tier: the bucket (or CHORD_PEER_S3_BUCKET; AWS_* and a .env file are read)')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (or AWS_ENDPOINT_URL_S3); path-style URLs are then used')
    .option('--s3-region <region>', 'S3 region (or AWS_REGION)')
    .option('--s3-prefix <prefix>', 'key prefix inside the bucket (or CHORD_PEER_S3_PREFIX)')
    .option('--swarm-key <file>', 'private network: only nodes with this swarm key file can connect (chord-peer swarm-key makes one)')
    .option('--max-storage <size>', 'most file content this node stores, e.g. 10GiB, 500MB or bytes (default: the disk)')
    .option('--scrub-rate <rate>', 'bytes a second to re-hash stored files at, e.g. 8MiB; 0 turns it off (default 4MiB)')
    .option('--metrics <host:port>', 'also serve GET /metrics (Prometheus) here without the API token (the API serves it with the token)')
    .option('--log-level <level>', 'what the daemon logs on stderr: error, warn, info (default) or debug')
    .option('--log-format <format>', 'how: text (default) or json, one event a line')
    // Excess operands reach the action so that a typo reads "unknown command", not "too many arguments".
    .allowExcessArguments()
    // Subcommands inherit that setting; this hook refuses their extra operands, naming them.
    .hook('preAction', (root, command) => { if (command !== root) rejectExcessArguments(command) })
    .action(async (flags: DaemonFlags, command: Command) => {
      if (command.args.length > 0) {
        const names = command.commands.map(c => c.name()).join(', ')
        throw new InvalidInputError(`unknown command '${command.args[0]}' (commands: ${names})`)
      }
      const [{ planDaemon }, { runDaemon }, { envWithDotenv }, stored] = await Promise.all([
        import('./daemon-options.js'), import('./daemon.js'), import('../config.js'), import('./daemon-config.js')
      ])
      // Flags over the data dir's config.json (S3: flags over the environment over the file).
      const dataDir = resolveDataDir(flags.dataDir, io)
      const saved = await stored.readDaemonConfig(dataDir)
      const env = io.env ?? await envWithDotenv(io.cwd ?? process.cwd())
      const plan = planDaemon(stored.resumeFlags(flags, saved, dataDir), { ...io, vars: { ...stored.s3Defaults(saved), ...env } })
      onExit(await runDaemon({
        ...printers,
        printErr: text => { io.stderr.write(`${text}\n`) },
        createPeer: io.createPeer,
        signals: io.signals,
        exit: io.exit
      }, plan))
    })

  /** A client command: resolve the daemon, build the context, run. */
  const clientCommand = (name: string, description: string, json = 'print the daemon\'s JSON answer'): Command => program.command(name)
    .description(description)
    .addOption(new Option('--api <url>', 'the daemon\'s API: host:port or http://host:port (default: from <data-dir>/api)'))
    .addOption(new Option('--data-dir <dir>', 'the daemon\'s data dir, which holds its API URL and token'))
    .addOption(new Option('--api-token <token>', 'the daemon\'s API token (default: CHORD_PEER_API_TOKEN, else <data-dir>/api-token)'))
    .option('--json', json)

  /** `transfer`: a signal aborts the command (so a get syncs its .part, to resume) instead of killing the process. */
  const run = async (command: Command, fn: (ctx: CommandContext) => Promise<number>, transfer = false): Promise<void> => {
    const flags = command.optsWithGlobals<{ api?: string, dataDir?: string, apiToken?: string }>()
    const target = await resolveApi(flags, { ...io, vars: io.env })
    const interrupt = transfer ? abortOnSignals(io.signals ?? process, io.signal) : undefined
    try {
      onExit(await fn({
        client: new ApiClient({ url: target.url, token: target.token }),
        ...printers,
        signal: interrupt?.signal ?? io.signal,
        progress: progressFor(io),
        cwd: io.cwd,
        stdin: io.stdin,
        stdoutBytes: io.stdoutBytes
      }))
    } catch (err) {
      // Whatever the abort broke on the way out (fetch, pipeline), what happened is the interrupt.
      if (interrupt?.interrupted != null) throw new InterruptedError(`interrupted by ${interrupt.interrupted}`, { cause: err })
      throw explainStaleApiFile(explainUnauthorized(err, target), flags, io)
    } finally {
      interrupt?.dispose()
    }
  }

  // Arguments are checked before the daemon is looked for, so a usage error exits 2 even with no daemon running.
  clientCommand('put', 'store files in the ring (streamed; a progress bar on a terminal)')
    .argument('<path...>', 'files to store, each under its base name; directories with -r; or - for stdin')
    .option('--name <name>', 'the name to store one file under (default: its base name; required with -)')
    .option('-r, --recursive', 'store the files under each directory, named by their paths relative to it')
    .action(async (paths: string[], opts: { json?: boolean, name?: string, recursive?: boolean }, command: Command) => {
      checkPutArgs({ paths, ...opts })
      const report = { error: (message: string) => { io.stderr.write(`error: ${message}\n`) } }
      await run(command, async ctx => putCommand(ctx, { paths, ...opts }, report), true)
    })

  clientCommand('get', 'fetch a file, verify its SHA-256, and save it (or write it to stdout)',
    'print the result as JSON: name, path, size, hash, contentType, version, resumedFrom, ms')
    .argument('<name>', 'the file\'s name in the ring')
    .option('-o, --output <file>',
      'where to save it: a file, a directory, or - for stdout (default: the name\'s last part, in the current directory)')
    .option('-f, --force', 'overwrite an existing file')
    .option('--no-resume', 'start over instead of continuing the <file>.part an interrupted get left')
    .action(async (name: string, opts: { json?: boolean, output?: string, force?: boolean, resume: boolean }, command: Command) => {
      checkGetArgs({ name, ...opts })
      const report = { note: (message: string) => { io.stderr.write(`note: ${message}\n`) } }
      await run(command, async ctx => getCommand(ctx, { name, ...opts }, report), true)
    })

  clientCommand('ls', 'list the files in the ring: name, size, modified, hash, writer',
    'print the daemon\'s JSON answer (with --all: every page\'s files in one list)')
    .option('--limit <n>', 'files per page (default: the daemon\'s)')
    .option('--all', 'follow the pages to the end')
    .option('--prefix <p>', 'only names that start with <p>, e.g. photos/')
    .action(async (opts: { json?: boolean, limit?: string, all?: boolean, prefix?: string }, command: Command) => {
      parseLimit(opts.limit)
      parsePrefix(opts.prefix)
      await run(command, async ctx => lsCommand(ctx, opts))
    })

  clientCommand('locate', 'where a file should be and which of those nodes hold it')
    .argument('<name>', 'the file\'s name in the ring')
    .action(async (name: string, opts: { json?: boolean }, command: Command) => {
      encodeName(name)
      await run(command, async ctx => locateCommand(ctx, { name, ...opts }))
    })

  clientCommand('rm', 'delete a file (a tombstone version replaces it on every replica)')
    .argument('<name>', 'the file\'s name in the ring')
    .action(async (name: string, opts: { json?: boolean }, command: Command) => {
      encodeName(name)
      await run(command, async ctx => rmCommand(ctx, { name, ...opts }))
    })

  clientCommand('status', 'this node: ids, role, addresses, neighbours, fingers, ring settings')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await run(command, async ctx => statusCommand(ctx, opts))
    })

  clientCommand('leader', 'the supernodes\' leader, its epoch, and each supernode\'s liveness; exit 1 if none acts')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await run(command, async ctx => leaderCommand(ctx, opts))
    })

  clientCommand('invite', 'mint an invite on this supernode: for a new supernode (--supernode), or a peer of an invite-only ring')
    .option('--supernode', 'the invite lets one new supernode join (default: one peer)')
    .option('--ttl <duration>', 'how long it is valid: 90s, 30m, 12h, 7d (default 1h)')
    .action(async (opts: { json?: boolean, supernode?: boolean, ttl?: string }, command: Command) => {
      parseTtl(opts.ttl)
      await run(command, async ctx => inviteCommand(ctx, opts))
    })

  clientCommand('dashboard', 'log a browser in to the node\'s web dashboard: print (and on a desktop open) a one-time URL',
    'print the login code, its URL and its expiry as JSON')
    .option('--no-open', 'only print the URL, do not open a browser')
    .action(async (opts: { json?: boolean, open: boolean }, command: Command) => {
      const opener = io.openUrl !== undefined
        ? { desktop: true, open: io.openUrl }
        : { desktop: hasDesktop(io.env ?? process.env), open: (url: string) => { openInBrowser(url) } }
      await run(command, async ctx => dashboardCommand(ctx, opts, opener))
    })

  clientCommand('events', 'follow this node\'s events as they happen (joins, leaves, leader changes, repairs, S3) until Ctrl-C',
    'one JSON object per line: each event as the daemon sends it')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const report = { note: (message: string) => { io.stderr.write(`note: ${message}\n`) } }
      // Like a transfer, Ctrl-C ends it with 130 (as `tail -f`), not a stack of aborted fetches.
      await run(command, async ctx => eventsCommand(ctx, opts, report), true)
    })

  clientCommand('ring', 'the ring in successor order, walked from this node')
    .option('--check', 'check the ring invariants; exit 1 if one fails')
    .action(async (opts: { json?: boolean, check?: boolean }, command: Command) => {
      await run(command, async ctx => ringCommand(ctx, opts))
    })

  clientCommand('lookup', 'find the node that owns a file name or key, and the lookup path')
    .argument('<name-or-key>', 'a file name (hashed with SHA-256 by the daemon), or a key of 64 hex digits')
    .option('--id', 'the argument is a raw key in hex')
    .option('--name', 'the argument is a file name, even if it looks like a key')
    .action(async (target: string, opts: { json?: boolean, id?: boolean, name?: boolean }, command: Command) => {
      lookupQuery({ target, ...opts }) // a bad argument is a usage error even when no daemon is running
      await run(command, async ctx => lookupCommand(ctx, { target, ...opts }))
    })

  // Needs no daemon: it reads the data dir's config.json.
  program.command('config')
    .description('print how the daemon of a data dir starts: its stored config.json (flags given at a start override it)')
    .addOption(new Option('--data-dir <dir>', 'the daemon\'s data dir (default ./.chord-peer if it exists, else ~/.chord-peer)'))
    .option('--json', 'print config.json as it is')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const { dataDir } = command.optsWithGlobals<{ dataDir?: string }>()
      const { configCommand } = await import('./config-command.js')
      onExit(await configCommand(printers, { dataDir: resolveDataDir(dataDir, io), json: opts.json }))
    })

  // Needs no daemon: it only makes a key file.
  program.command('swarm-key')
    .description('make a new swarm key for a private network (give the file to every node with --swarm-key)')
    .argument('[file]', 'where to write it (mode 0600), or - for stdout (default: ./swarm.key)')
    .option('-f, --force', 'replace an existing file')
    .action(async (file: string | undefined, opts: { force?: boolean }) => {
      checkSwarmKeyArgs({ file, ...opts })
      onExit(await swarmKeyCommand({ ...printers, cwd: io.cwd }, { file, ...opts }))
    })

  return program
}

/** A client command was stopped by SIGINT/SIGTERM. */
export class InterruptedError extends ChordPeerError {
  static override readonly code = 'ERR_INTERRUPTED'
}

type StopSignal = 'SIGINT' | 'SIGTERM'

/**
 * An AbortSignal that fires on the first SIGINT/SIGTERM (combined with `outer`). The listeners go after the
 * first signal, so a second Ctrl-C kills the process as usual.
 */
function abortOnSignals (
  signals: SignalSource, outer?: AbortSignal
): { signal: AbortSignal, interrupted?: StopSignal, dispose: () => void } {
  const controller = new AbortController()
  const names: StopSignal[] = ['SIGINT', 'SIGTERM']
  const listeners = names.map(name => {
    const listener = (): void => {
      result.interrupted = name
      result.dispose()
      controller.abort(new InterruptedError(`interrupted by ${name}`))
    }
    signals.on(name, listener)
    return { name, listener }
  })
  const result: { signal: AbortSignal, interrupted?: StopSignal, dispose: () => void } = {
    signal: outer == null ? controller.signal : AbortSignal.any([outer, controller.signal]),
    dispose: () => { for (const { name, listener } of listeners) signals.off(name, listener) }
  }
  return result
}

function collect (value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/** Operands beyond a command's declared arguments are a usage error that names them. */
function rejectExcessArguments (command: Command): void {
  const declared = command.registeredArguments
  if (declared.some(argument => argument.variadic)) return
  const extra = command.args.slice(declared.length)
  if (extra.length === 0) return
  throw new InvalidInputError(`${command.name()}: unexpected argument${extra.length === 1 ? '' : 's'} ` +
    extra.map(arg => `'${arg}'`).join(' '))
}
