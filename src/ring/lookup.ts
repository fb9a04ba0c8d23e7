// Iterative lookup (Chord §4.3 run from the caller, as in Chord ToN §IV-E): the caller asks one node at a time
// for the key's successor or a closer node, so it sees every hop, can time out on one, and routes around a dead
// hop by trying the next-closest candidate it has heard of. Yields events (kad-dht style); the last is `found`
// or `failed`. Progress is guaranteed because only candidates strictly closer to the key are followed.
import type { IdSpace } from './id.js'
import type { AbortOptions, FindResult, NodeRef, Transport } from './types.js'

export type LookupEvent =
  | { type: 'hop', node: NodeRef, hop: number }
  | { type: 'hop-failed', node: NodeRef, hop: number, error: Error }
  | { type: 'found', key: bigint, nodes: readonly NodeRef[], hops: number }
  | { type: 'failed', key: bigint, hops: number, reason: string }

export interface LookupOptions extends AbortOptions {
  /** Give up after this many remote queries (default 64). */
  maxHops?: number
  /** Called for every node that failed to answer, so the caller can drop it from its state. */
  onDeadNode?: (node: NodeRef) => void
}

export const DEFAULT_MAX_HOPS = 64

/**
 * Find the owner of `key` starting from `start`: the local node's own find_successor answer (0 hops if it
 * already knows), or candidates to ask first (a bootstrap node).
 */
export async function * lookup (space: IdSpace, transport: Transport, key: bigint, start: FindResult, options: LookupOptions = {}): AsyncGenerator<LookupEvent> {
  const maxHops = options.maxHops ?? DEFAULT_MAX_HOPS
  if (start.found) {
    yield { type: 'found', key, nodes: start.nodes, hops: 0 }
    return
  }
  const closeness = (node: NodeRef): bigint => space.distance(node.id, key)
  const tried = new Set<bigint>()
  let candidates: NodeRef[] = []
  const add = (nodes: readonly NodeRef[], closerThan?: bigint): void => {
    for (const node of nodes) {
      if (tried.has(node.id) || candidates.some(c => c.id === node.id)) continue
      if (closerThan !== undefined && closeness(node) >= closerThan) continue
      candidates.push(node)
    }
    candidates.sort((a, b) => { const d = closeness(a) - closeness(b); return d < 0n ? -1 : d > 0n ? 1 : 0 })
  }
  add(start.nodes)

  let hops = 0
  while (true) {
    options.signal?.throwIfAborted()
    const next = candidates.shift()
    if (next === undefined) {
      yield { type: 'failed', key, hops, reason: 'no live candidate left' }
      return
    }
    if (hops >= maxHops) {
      yield { type: 'failed', key, hops, reason: `gave up after ${maxHops} hops` }
      return
    }
    tried.add(next.id)
    hops++
    yield { type: 'hop', node: next, hop: hops }
    let reply: FindResult
    try {
      reply = await transport.findSuccessor(next, key, { signal: options.signal })
    } catch (err) {
      options.signal?.throwIfAborted()
      options.onDeadNode?.(next)
      yield { type: 'hop-failed', node: next, hop: hops, error: err as Error }
      continue
    }
    if (reply.found) {
      if (reply.nodes.length === 0) continue // a broken reply: treat as a dead end and use the next candidate
      yield { type: 'found', key, nodes: reply.nodes, hops }
      return
    }
    add(reply.nodes, closeness(next))
  }
}
