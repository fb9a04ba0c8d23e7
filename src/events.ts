// What a node tells its operator as it happens: joins, leaves, leader changes, repairs, S3 trouble, scrub results
// and refusals by the trust layer. One NodeEvents per node; the services emit into it, and its readers are the
// daemon's log (src/log.ts), the HTTP API's event stream (`GET /api/events`, server-sent events, which the
// dashboard and `chord-peer events` read) and tests. It keeps the last RECENT_EVENTS events, so a reader that
// connects late sees what happened just before; nothing else is kept, and a listener that throws is dropped
// from nothing but its own call.
import type { NodeEventJson, NodeJson } from './api/types.js'

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

/** A node as events name it: its ring id in hex and its PeerId (a NodeRef of src/ring, without importing it). */
export function eventNode (space: { toHex: (id: bigint) => string }, node: { id: bigint, address: string }): NodeJson {
  return { id: space.toHex(node.id), peerId: node.address }
}

/** An error as a clause of an event's message: its message, else that of its cause, else its code or name; one line. */
export function errorText (err: unknown): string {
  let e: unknown = err
  for (let depth = 0; depth < 8 && e !== undefined && e !== null; depth++) {
    const text = e instanceof Error ? e.message : typeof e === 'string' ? e : ''
    if (text !== '') return text.replace(/\s+/g, ' ').trim()
    const code = (e as { code?: unknown }).code
    // An AggregateError (a dial to every address of a name) has no message: its first error says it.
    const inner = (e as { cause?: unknown }).cause ?? (e as { errors?: unknown[] }).errors?.[0]
    if (inner === undefined || inner === null) return typeof code === 'string' ? code : e instanceof Error ? e.name : String(e)
    e = inner
  }
  return String(err)
}

/**
 * Rate-bound reports of something that may happen in floods (a peer turned away again and again): at most one per
 * key every `intervalMs`. The ones held back are counted and handed to the next that goes through, which says
 * "… and 37 more". At most `maxKeys` keys are remembered, the least recently reported going first, so a flood of
 * new keys (new PeerIds are free) costs bounded memory.
 */
export class Throttle {
  private readonly keys = new Map<string, { at: number, held: number }>()

  constructor (
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 4096
  ) {}

  /** Report now? undefined: no (counted for the next); a number: yes, and how many were held back before it. */
  take (key: string): number | undefined {
    const now = this.now()
    const last = this.keys.get(key)
    if (last !== undefined && now - last.at < this.intervalMs) {
      last.held++
      return undefined
    }
    this.keys.delete(key) // re-inserted last: the most recently reported
    while (this.keys.size >= this.maxKeys) this.keys.delete(this.keys.keys().next().value!)
    this.keys.set(key, { at: now, held: 0 })
    return last?.held ?? 0
  }
}

/** `text`, then " (and N more)" when N reports of the same were held back. */
export function andMore (text: string, held: number): string {
  return held > 0 ? `${text} (and ${held} more)` : text
}

/** A byte count for a message: `512 B`, `1.5 KiB`, `12.3 MiB` (powers of 1024). */
export function sizeText (bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.round(bytes)} B`
  let value = bytes
  let unit = -1
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

/** A duration for a message: `850 ms`, `2.1 s`, `3.5 min`. */
export function durationText (ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return `${(ms / 60_000).toFixed(1)} min`
}
