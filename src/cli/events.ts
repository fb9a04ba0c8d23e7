// `chord-peer events [--json]`: follow a node's events (GET /api/events) in the terminal, as `tail -f` follows a
// file: first some the node holds from before, then each one as it happens, one line each, until Ctrl-C (exit
// 130). A dropped connection is connected again, resuming after the last event printed, with a note on stderr.
import { printable } from './format.js'
import { EXIT_OK } from './context.js'
import type { CommandContext } from './context.js'
import type { NodeEventJson } from '../api/types.js'

export interface EventsArgs {
  /** One JSON object per line (the event as the daemon sent it) instead of text. */
  json?: boolean
}

export interface EventsReport {
  /** One line to stderr: the stream dropped, or is back. */
  note: (message: string) => void
}

/** The widest event type, `repair.finished`: messages start in one column. */
const TYPE_WIDTH = 15

export async function eventsCommand (ctx: CommandContext, args: EventsArgs, report: EventsReport): Promise<number> {
  const events = ctx.client.events({
    signal: ctx.signal,
    onReconnect: ({ error, attempt }) => {
      if (error === undefined) report.note('connected again')
      else if (attempt === 1) report.note(`the event stream dropped (${error.message}); connecting again…`)
    }
  })
  for await (const event of events) {
    ctx.print(args.json === true ? JSON.stringify(event) : formatEventLine(event))
  }
  return EXIT_OK
}

/**
 * `12:00:01  member.joined    <message>` in local time; an event of another day (one held from before) shows its
 * date too. Control characters of the message are escaped: it may quote a file name or a remote peer's words.
 */
export function formatEventLine (event: NodeEventJson, now = new Date()): string {
  const t = new Date(event.time)
  const pad = (n: number): string => String(n).padStart(2, '0')
  const day = `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`
  const today = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`
  const clock = `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`
  return `${day === today ? '' : `${day} `}${clock}  ${event.type.padEnd(TYPE_WIDTH)}  ${printable(event.message)}`
}
