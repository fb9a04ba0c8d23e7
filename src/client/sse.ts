// A parser of server-sent events (the WHATWG HTML standard, "Interpreting an event stream"), for the client of
// `GET /api/events`: lines end in LF, CR or CRLF (also across chunk boundaries); `:` starts a comment; a field is
// `name: value` with one space after the colon dropped; `data` lines of one event are joined with LF; `id` sets
// the last event id (kept across events, as a reconnecting reader sends it); `retry` sets the reconnection wait;
// a blank line dispatches the event, unless it had no data. Pure: bytes in, events out.
import { InvalidMessageError } from '../errors.js'

/** One dispatched event. */
export interface SseMessage {
  /** `event:`, or `message` when the event named none. */
  event: string
  data: string
  /** The last event id as of this event (this event's `id:`, or an earlier one's; '' if none yet). */
  id: string
}

/** The longest line, and the most data of one event, this parser holds: a stream that sends more is not ours. */
export const MAX_SSE_EVENT_BYTES = 1024 * 1024

export class SseParser {
  /** The last `id:` seen. */
  lastEventId = ''
  /** The last `retry:` seen, ms. */
  retry?: number
  private readonly decoder = new TextDecoder('utf-8')
  private line = ''
  private data: string[] = []
  private dataLength = 0
  private event = ''
  /** The previous chunk ended in CR: an LF at the start of this one ends nothing more. */
  private afterCR = false

  /** Feed bytes (or text); returns the events they complete, in order. */
  push (chunk: Uint8Array | string): SseMessage[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true })
    const out: SseMessage[] = []
    let start = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c !== 10 && c !== 13) continue
      if (c === 10 && i === start && this.afterCR && this.line === '') {
        // The LF of a CRLF whose CR ended the previous chunk.
        this.afterCR = false
        start = i + 1
        continue
      }
      this.line += text.slice(start, i)
      this.afterCR = c === 13
      if (c === 13 && text.charCodeAt(i + 1) === 10) {
        i++
        this.afterCR = false
      }
      start = i + 1
      const message = this.take(this.line)
      this.line = ''
      if (message !== undefined) out.push(message)
    }
    if (start < text.length) {
      this.afterCR = false
      this.line += text.slice(start)
      if (this.line.length > MAX_SSE_EVENT_BYTES) {
        throw new InvalidMessageError(`an event stream line longer than ${MAX_SSE_EVENT_BYTES} bytes`)
      }
    }
    return out
  }

  /** One whole line: a field, a comment, or the blank line that dispatches. */
  private take (line: string): SseMessage | undefined {
    if (line === '') {
      const data = this.data
      const event = this.event
      this.data = []
      this.dataLength = 0
      this.event = ''
      if (data.length === 0) return undefined
      return { event: event === '' ? 'message' : event, data: data.join('\n'), id: this.lastEventId }
    }
    if (line.startsWith(':')) return undefined
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    switch (field) {
      case 'event':
        this.event = value
        break
      case 'data':
        this.dataLength += value.length + 1
        if (this.dataLength > MAX_SSE_EVENT_BYTES) throw new InvalidMessageError(`an event of more than ${MAX_SSE_EVENT_BYTES} bytes`)
        this.data.push(value)
        break
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value
        break
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value)
        break
      default:
        break // unknown fields are ignored
    }
    return undefined
  }
}
