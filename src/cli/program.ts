// The command tree (commander): the daemon as the top-level action, the client commands as subcommands.
// Parsing only; each action hands parsed flags to a command function and records its exit code.
import { Command, Option } from 'commander'
import { ApiClient } from '../client/index.js'
import { InvalidInputError } from '../errors.js'
import { resolveApiUrl } from './api-url.js'
import { printersFor } from './context.js'
import { lookupCommand, lookupQuery } from './lookup.js'
import { ringCommand } from './ring.js'
import { statusCommand } from './status.js'
import { packageVersion } from './version.js'
import type { CommandContext, Writable } from './context.js'
import type { DataDirEnv } from './data-dir.js'
import type { DaemonFlags } from './daemon-options.js'
import type { SignalSource } from './daemon.js'
import type { CreatePeer } from './peer-contract.js'

export interface CliIo extends DataDirEnv {
  stdout: Writable
  stderr: Writable
  /** Aborts the client command in progress. */
  signal?: AbortSignal
  /** Daemon only, for tests: replaces src/peer.ts's createPeer. */
  createPeer?: CreatePeer
  /** Daemon only, for tests: where SIGINT/SIGTERM come from (default process). */
  signals?: SignalSource
  /** Daemon only, for tests: how a second signal exits (default process.exit). */
  exit?: (code: number) => void
}

const EXAMPLES = `
Examples:
  chord-peer --bootstrap --k 3 --listen /ip4/0.0.0.0/tcp/4001   start a ring (a supernode)
  chord-peer --connect /ip4/192.0.2.1/tcp/4001/p2p/12D3Koo…        join it as a peer
  chord-peer status                                              ask the local daemon about itself
  chord-peer ring --check                                        walk the ring and check its invariants
  chord-peer lookup notes.pdf                                    which node owns a file name

Exit codes: 0 ok, 1 the operation failed (or no daemon answered), 2 usage error.`

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
    .option('--data-dir <dir>', 'identity key and state (default ./.chord-peer if it exists, else ~/.chord-peer)')
    .option('--join-timeout <seconds>', 'how long to keep trying unreachable supernodes before giving up (default 30)')
    // Excess operands reach the action so that a typo reads "unknown command", not "too many arguments".
    .allowExcessArguments()
    .action(async (flags: DaemonFlags, command: Command) => {
      if (command.args.length > 0) {
        const names = command.commands.map(c => c.name()).join(', ')
        throw new InvalidInputError(`unknown command '${command.args[0]}' (commands: ${names})`)
      }
      const [{ planDaemon }, { runDaemon }] = await Promise.all([import('./daemon-options.js'), import('./daemon.js')])
      const plan = planDaemon(flags, io)
      onExit(await runDaemon({
        ...printers,
        printErr: text => { io.stderr.write(`${text}\n`) },
        createPeer: io.createPeer,
        signals: io.signals,
        exit: io.exit
      }, plan))
    })

  /** A client command: resolve the daemon, build the context, run. */
  const clientCommand = (name: string, description: string): Command => program.command(name)
    .description(description)
    .addOption(new Option('--api <url>', 'the daemon\'s API: host:port or http://host:port (default: from <data-dir>/api)'))
    .addOption(new Option('--data-dir <dir>', 'the daemon\'s data dir, which holds its API URL'))
    .option('--json', 'print the daemon\'s JSON answer')

  const run = async (command: Command, fn: (ctx: CommandContext) => Promise<number>): Promise<void> => {
    const url = await resolveApiUrl(command.optsWithGlobals<{ api?: string, dataDir?: string }>(), io)
    onExit(await fn({ client: new ApiClient({ url }), ...printers, signal: io.signal }))
  }

  clientCommand('status', 'this node: ids, role, addresses, neighbours, fingers, ring settings')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await run(command, async ctx => statusCommand(ctx, opts))
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

  return program
}

function collect (value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}
