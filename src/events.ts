// What a node tells its operator as it happens: joins, leaves, leader changes, repairs, S3 trouble, scrub results
// and refusals by the trust layer. One NodeEvents per node; the services emit into it, and its readers are the
// daemon's log (src/log.ts), the HTTP API's event stream (`GET /api/events`, server-sent events, which the
// dashboard and `chord-peer events` read) and tests. It keeps the last RECENT_EVENTS events, so a reader that
// connects late sees what happened just before; nothing else is kept, and a listener that throws is dropped
// from nothing but its own call.
import type { NodeEventJson } from './api/types.js'

export type { NodeEventJson } from './api/types.js'

/** Events a new reader is shown from before it connected. */
export const RECENT_EVENTS = 200

/** An event as a service emits it: the bus stamps the time. */
export type NodeEventInit = NodeEventJson extends infer E ? E extends NodeEventJson ? Omit<E, 'time' | 'seq'> : never : never

export type NodeEventListener = (event: NodeEventJson) => void

export class NodeEvents {
  private readonly listeners = new Set<NodeEventListener>()
  private readonly recent: NodeEventJson[] = []
  private seq = 0

  constructor (private readonly now: () => number = Date.now) {}

  /** Tell every reader now; never throws. */
  emit (init: NodeEventInit): NodeEventJson {
    const event = { ...init, time: this.now(), seq: ++this.seq } as NodeEventJson
    this.recent.push(event)
    if (this.recent.length > RECENT_EVENTS) this.recent.shift()
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch {
        // A reader's failure is its own: the emitting service and the other readers go on.
      }
    }
    return event
  }

  /** Hear every event from now on; call the returned function to stop. */
  on (listener: NodeEventListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** The last RECENT_EVENTS events, oldest first (those after `afterSeq` when given). */
  history (afterSeq = 0): NodeEventJson[] {
    return this.recent.filter(e => e.seq > afterSeq)
  }
}
