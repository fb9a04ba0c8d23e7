// `GET /api/events`: the node's events (src/events.ts) as server-sent events (the WHATWG HTML "server-sent events"
// format), for the dashboard's EventSource and `chord-peer events` (protocols/README.md §13). A reader gets:
//   retry: <ms>                          how long a dropped reader waits before it connects again
//   id: <seq>, event: <type>, data: <the NodeEventJson>
//                                        first the events it missed (after its Last-Event-ID, or the last
//                                        RECENT_ON_CONNECT), then each one as it happens
//   event: traffic, data: <TrafficJson>  every TRAFFIC_MS, when the node counts its traffic (no id: a reader that
//                                        comes back does not ask for old samples)
//   : ping                               every HEARTBEAT_MS, so proxies and readers see a live connection
// Bounds: at most MAX_EVENT_STREAMS readers per node (one more is answered 503 ERR_BUSY), and a reader that
// leaves more than MAX_BUFFERED_BYTES unread has its connection cut: the node never holds more than that for it,
// and the reader, when it comes back, resumes after the last event it read (Last-Event-ID).
import { BusyError, NotFoundError } from '../errors.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { NodeEventJson, TrafficJson } from './types.js'

/** What the stream reads: a node's NodeEvents. */
export interface EventFeed {
  on (listener: (event: NodeEventJson) => void): () => void
  /** The events held, oldest first (those after `afterSeq` when given). */
  history (afterSeq?: number): NodeEventJson[]
}

/** Event streams one node serves at once. */
export const MAX_EVENT_STREAMS = 32
/** Bytes a reader may leave unread before its connection is cut. */
export const MAX_BUFFERED_BYTES = 1024 * 1024
/** A comment line this often keeps an idle stream visibly alive. */
export const HEARTBEAT_MS = 15_000
/** A `traffic` event this often. */
export const TRAFFIC_MS = 1_000
/** What `retry:` tells a reader to wait before it reconnects. */
export const RETRY_MS = 2_000
/** Events a reader without a Last-Event-ID is sent from before it connected. */
export const RECENT_ON_CONNECT = 50

export interface EventStreamOptions {
  maxStreams: number
  maxBufferedBytes: number
  heartbeatMs: number
  trafficMs: number
  retryMs: number
  recent: number
}

export const DEFAULT_EVENT_STREAM_OPTIONS: EventStreamOptions = {
  maxStreams: MAX_EVENT_STREAMS,
  maxBufferedBytes: MAX_BUFFERED_BYTES,
  heartbeatMs: HEARTBEAT_MS,
  trafficMs: TRAFFIC_MS,
  retryMs: RETRY_MS,
  recent: RECENT_ON_CONNECT
}

/** One event in the wire format: `id`, `event` and one `data` line (JSON has no raw newline), then a blank line. */
export function sseEvent (event: NodeEventJson): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`
}

/** The event streams of one API server: how many are open, and how each is served. */
export class EventStreams {
  /** Streams open now. */
  active = 0
  readonly options: EventStreamOptions

  constructor (options: Partial<EventStreamOptions> = {}) {
    this.options = { ...DEFAULT_EVENT_STREAM_OPTIONS, ...options }
  }

  /**
   * Serve one reader until it goes away (or is cut for reading too slowly, or the server stops). NotFoundError
   * when the node has no events to stream, BusyError at the cap, both before a byte is sent.
   */
  async serve (req: IncomingMessage, res: ServerResponse, url: URL, feed?: EventFeed, traffic?: () => TrafficJson): Promise<void> {
    if (feed === undefined) throw new NotFoundError('this node streams no events')
    if (this.active >= this.options.maxStreams) {
      throw new BusyError(`this node serves ${this.active} event streams already: close one, or try again shortly`)
    }
    this.active++
    const stops: Array<() => void> = []
    // A reader gone before this handler ran has closed its response already: no 'close' will come.
    const closed = res.closed ? Promise.resolve() : new Promise<void>(resolve => { res.once('close', resolve) })
    try {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // Tell a buffering reverse proxy (nginx) to pass each event on at once.
        'x-accel-buffering': 'no'
      })
      const { maxBufferedBytes } = this.options
      const write = (text: string): void => {
        if (res.destroyed || res.writableEnded) return
        res.write(text)
        // A reader that does not keep up: cut it rather than hold its backlog (it resumes with Last-Event-ID).
        if (res.writableLength > maxBufferedBytes) res.destroy()
      }
      write(`retry: ${this.options.retryMs}\n\n`)
      // Read the backlog and subscribe in one step: no event can come between the two, and none twice.
      for (const event of backlog(feed, lastEventId(req, url), this.options.recent)) write(sseEvent(event))
      stops.push(feed.on(event => { write(sseEvent(event)) }))
      const heartbeat = setInterval(() => { write(': ping\n\n') }, this.options.heartbeatMs)
      stops.push(() => { clearInterval(heartbeat) })
      if (traffic !== undefined) {
        const sampler = setInterval(() => {
          let sample: TrafficJson
          try {
            sample = traffic()
          } catch {
            return // no sample this time
          }
          write(`event: traffic\ndata: ${JSON.stringify(sample)}\n\n`)
        }, this.options.trafficMs)
        stops.push(() => { clearInterval(sampler) })
      }
      await closed
    } finally {
      for (const stop of stops) stop()
      this.active--
    }
  }
}

/**
 * The events a reader is sent before the live ones: those after its Last-Event-ID, or the last `recent` when it
 * gives none. An id beyond the newest event means the node restarted (ids begin again at 1): the last `recent`.
 */
function backlog (feed: EventFeed, after: number | undefined, recent: number): NodeEventJson[] {
  const held = feed.history()
  const newest = held.length > 0 ? held[held.length - 1].seq : 0
  if (after === undefined || after > newest) return recent > 0 ? held.slice(-recent) : []
  return held.filter(e => e.seq > after)
}

/** The reader's Last-Event-ID: the header (a reconnecting EventSource sends it), else `?lastEventId=`; else none. */
function lastEventId (req: IncomingMessage, url: URL): number | undefined {
  const header = req.headers['last-event-id']
  const text = (typeof header === 'string' ? header : undefined) ?? url.searchParams.get('lastEventId') ?? undefined
  if (text === undefined || !/^\d{1,15}$/.test(text.trim())) return undefined
  return Number(text.trim())
}
