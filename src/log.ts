// The daemon's log: one line per event of a node's NodeEvents (src/events.ts) on stderr, from the moment the
// daemon starts it, beginning with the events the node emitted while it started (its join), which the bus still
// holds. `--log-level` drops the events below a level (default info); `--log-format` prints them as text for a
// person or as one JSON object a line (the event itself, as `GET /api/events` sends it) for a log collector.
// libp2p's debug logger (`DEBUG=chord-peer:*`, `DEBUG=libp2p:*`) is a separate, developer's channel and is left
// as it is.
import type { NodeEventJson } from './api/types.js'
import type { NodeEventListener } from './events.js'

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const
export type LogLevel = typeof LOG_LEVELS[number]
export const LOG_FORMATS = ['text', 'json'] as const
export type LogFormat = typeof LOG_FORMATS[number]

export const DEFAULT_LOG_LEVEL: LogLevel = 'info'
export const DEFAULT_LOG_FORMAT: LogFormat = 'text'

/** What the log reads: a node's NodeEvents. */
export interface LogSource {
  on (listener: NodeEventListener): () => void
  history (afterSeq?: number): NodeEventJson[]
}

export interface LogInit {
  /** The least severe level printed (default info). */
  level?: LogLevel
  /** text (default) or json. */
  format?: LogFormat
  /** Where lines go (default process.stderr). A write that throws (a closed pipe) is ignored. */
  stream?: { write: (text: string) => unknown }
}

/** Is `text` one of LOG_LEVELS? */
export function isLogLevel (text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text)
}

export function isLogFormat (text: string): text is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(text)
}

/** Does an event of level `event` pass a log set to `level`? */
export function passes (event: LogLevel, level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(event) <= LOG_LEVELS.indexOf(level)
}

/** The widest event type (`repair.finished`): types are padded to it, so messages start in one column. */
const TYPE_WIDTH = 15

/**
 * One event as one log line, without its newline. Text: `2026-12-02T12:00:00.000Z INFO  member.joined   <message>`,
 * with control characters of the message escaped (it may quote a file name or a remote peer's error text, which
 * must not forge a line of their own). JSON: the event.
 */
export function formatLogLine (event: NodeEventJson, format: LogFormat = DEFAULT_LOG_FORMAT): string {
  if (format === 'json') return JSON.stringify(event)
  const level = event.level.toUpperCase().padEnd(5)
  return `${new Date(event.time).toISOString()} ${level} ${event.type.padEnd(TYPE_WIDTH)} ${printable(event.message)}`
}

/** `text` with control characters (newlines, escape sequences) written as `\n`, `\x1b`… */
export function printable (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, c => {
    if (c === '\n') return '\\n'
    if (c === '\r') return '\\r'
    if (c === '\t') return '\\t'
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`
  })
}

/**
 * Print `events` as the log: first the ones it holds from before (the start-up: the join, the leader found), then
 * each one as it comes. Returns the function that stops it.
 */
export function startLog (events: LogSource, init: LogInit = {}): () => void {
  const level = init.level ?? DEFAULT_LOG_LEVEL
  const format = init.format ?? DEFAULT_LOG_FORMAT
  const stream = init.stream ?? process.stderr
  const print = (event: NodeEventJson): void => {
    if (!passes(event.level, level)) return
    try {
      stream.write(formatLogLine(event, format) + '\n')
    } catch {
      // stderr gone (a closed pipe): the node runs on without its log.
    }
  }
  // Read and subscribe in one step: no event can come between the two.
  for (const event of events.history()) print(event)
  return events.on(print)
}
