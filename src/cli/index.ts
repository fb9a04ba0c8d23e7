// Entry point of the `chord-peer` CLI: parse argv, run one command, map what went wrong to a message on
// stderr and an exit code (0 ok, 1 failed, 2 usage, 130 interrupted). Runs in-process so tests can call it
// with captured io.
import { CommanderError } from 'commander'
import { ChordPeerError, InvalidInputError } from '../errors.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './context.js'
import { buildProgram, InterruptedError } from './program.js'
import type { CliIo } from './program.js'

export type { CliIo } from './program.js'
export { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './context.js'

/** A client command stopped by SIGINT/SIGTERM: 128 + 2, what a shell reports for a Ctrl-C. */
export const EXIT_INTERRUPTED = 130

/**
 * Run the CLI with the user's arguments (without `node` and the script: `process.argv.slice(2)`).
 * Resolves with the exit code; the daemon resolves only once it has been stopped by a signal.
 */
export async function main (argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let exitCode = EXIT_OK
  const program = buildProgram(io, code => { exitCode = code })
  try {
    await program.parseAsync(argv, { from: 'user' })
    return exitCode
  } catch (err) {
    // commander has already printed its own message (or the help/version text).
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE
    for (const line of messageOf(err).split('\n')) io.stderr.write(`error: ${line}\n`)
    // By code, not instanceof: a lazily imported module may see its own copy of errors.ts (tsx under mocha).
    const code = (err as { code?: unknown } | undefined)?.code
    if (code === InvalidInputError.code) {
      io.stderr.write('(run with --help for usage)\n')
      return EXIT_USAGE
    }
    return code === InterruptedError.code ? EXIT_INTERRUPTED : EXIT_FAILED
  }
}

function messageOf (err: unknown): string {
  if (err instanceof ChordPeerError || (err instanceof Error && typeof (err as { code?: unknown }).code === 'string')) {
    return err.message
  }
  if (err instanceof Error) {
    if (err.name === 'AbortError') return 'aborted'
    return err.message !== '' ? err.message : err.name
  }
  return String(err)
}
