// What every command receives. Commands never touch stdout/stderr themselves: they call print/printJson and
// return an exit code, or throw a named error that main() turns into a message and an exit code.
import type { ByteSource, DaemonClient } from '../client/index.js'
import type { ProgressFactory } from './progress.js'

/** Somewhere to write text: process.stdout/stderr, or a capture in tests. */
export interface Writable {
  write (text: string): unknown
}

export interface Printers {
  /** Print one block of text to stdout (a trailing newline is added if missing). */
  print: (text: string) => void
  /** Print a value as pretty JSON to stdout. */
  printJson: (value: unknown) => void
}

/** Where `get -o -` writes bytes, with backpressure: process.stdout, or any stream.Writable in tests. */
export type ByteSink = NodeJS.WritableStream

export interface CommandContext extends Printers {
  client: DaemonClient
  signal?: AbortSignal
  /** Draws a transfer's progress; absent when nothing is to be drawn (stderr is not a terminal). */
  progress?: ProgressFactory
  /** Relative paths are resolved against this. Default: process.cwd(). */
  cwd?: string
  /** What `put -` reads. Default: process.stdin. */
  stdin?: ByteSource
  /** What `get -o -` writes to. Default: process.stdout. */
  stdoutBytes?: ByteSink
}

/** Exit codes: 0 ok, 1 the operation failed, 2 usage error. */
export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

export function printersFor (out: Writable): Printers {
  const print = (text: string): void => { out.write(text.endsWith('\n') ? text : `${text}\n`) }
  return { print, printJson: (value: unknown) => { print(JSON.stringify(value, null, 2)) } }
}
