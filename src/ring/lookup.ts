// Iterative lookup (Chord §4.3 run from the caller, as in Chord ToN §IV-E): the caller asks one node at a time
// for the key's successor or a closer node, so it sees every hop, can time out on one, and routes around a dead
// hop by trying the next-closest candidate it has heard of. Yields events (kad-dht style); the last is `found`
// or `failed`. Progress is guaranteed because only candidates strictly closer to the key are followed.
//
// Routing around failures (Chord ToN §V-A): a node Q just before the key whose successor D has crashed still
// answers "ask D" (it cannot know D is dead), and D fails. In recursive Chord, Q would time out on D and answer
// with its next successor; here the caller does Q's part: when every candidate closer than Q is dead, it reads
// Q's successor list (one getState) and either follows the untried entries that precede the key or, if none,
// takes the entries from the key onward as the answer. Without this, a lookup fails whenever the key's
// predecessor is dead, which after a 50 % mass failure is about half of all lookups. Nodes found dead during a
// lookup are also dropped from its `found` answer.
import type { IdSpace } from './id.js'
import type { AbortOptions, FindResult, NodeRef, RemoteState, Transport } from './types.js'

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
  /**
   * The node whose local find_successor gave `start`, and a reader of its current state, so the lookup can fall
   * back on the origin's successor list without a remote call (ChordNode.lookup passes itself).
   */
  origin?: { node: NodeRef, state: () => RemoteState }
  /** Ask each node for at most this many nodes of a `found` answer (FindOptions.nodes); default all. */
  nodes?: number
}

export const DEFAULT_MAX_HOPS = 64

/**
 * Find the owner of `key` starting from `start`: the local node's own find_successor answer (0 hops if it
 * already knows), or candidates to ask first (a bootstrap node).
 */
export async function * lookup (
  space: IdSpace, transport: Transport, key: bigint, start: FindResult, options: LookupOptions = {}
): AsyncGenerator<LookupEvent> {
  const maxHops = options.maxHops ?? DEFAULT_MAX_HOPS
  if (start.found) {
    yield { type: 'found', key, nodes: start.nodes, hops: 0 }
    return
  }
  // Negative when a is closer to the key than b (clockwise), by comparison alone (IdSpace.compareDistanceTo).
  const compare = (a: NodeRef, b: NodeRef): number => space.compareDistanceTo(key, a.id, b.id)
  const tried = new Set<bigint>()
  const dead = new Set<bigint>()
  const candidates: NodeRef[] = []
  const add = (nodes: readonly NodeRef[], closerThan?: NodeRef): number => {
    let added = 0
    for (const node of nodes) {
      if (tried.has(node.id) || candidates.some(c => c.id === node.id)) continue
      if (closerThan !== undefined && compare(node, closerThan) >= 0) continue
      candidates.push(node)
      added++
    }
    candidates.sort(compare)
    return added
  }
  add(start.nodes)

  // The live node closest before the key that answered "not found" (the origin to begin with), and its
  // successor list once read. The list is read once and re-used as more of its entries turn out dead.
  let best: NodeRef | undefined = options.origin?.node
  let bestState: RemoteState | undefined
  let hops = 0
  while (true) {
    options.signal?.throwIfAborted()
    if (best !== undefined && (candidates.length === 0 || compare(candidates[0], best) >= 0)) {
      // Every candidate closer than `best` has failed: do best's part of the routing from its successor list.
      if (bestState === undefined) {
        if (best.id === options.origin?.node.id) {
          bestState = options.origin.state()
        } else {
          if (hops >= maxHops) {
            yield { type: 'failed', key, hops, reason: `gave up after ${maxHops} hops` }
            return
          }
          hops++
          yield { type: 'hop', node: best, hop: hops }
          try {
            bestState = await transport.getState(best, { signal: options.signal })
          } catch (err) {
            options.signal?.throwIfAborted()
            dead.add(best.id)
            options.onDeadNode?.(best)
            yield { type: 'hop-failed', node: best, hop: hops, error: err as Error }
            best = undefined // it died since it answered: fall back on the remaining candidates
            continue
          }
        }
      }
      const bestNode = best
      const live = bestState.successors.filter(n => !dead.has(n.id) && n.id !== bestNode.id)
      if (best.id === key) {
        // best sits exactly on the key: it is the owner (successor(k) = k), whatever its predecessor says
        yield { type: 'found', key, nodes: [best, ...live], hops }
        return
      }
      if (add(live, best) > 0) continue // untried nodes between best and the key: ask them
      // No untried node precedes the key: the first listed node at or past it owns it.
      const from = live.findIndex(n => n.id === key || compare(n, bestNode) > 0)
      if (from >= 0) {
        yield { type: 'found', key, nodes: live.slice(from), hops }
        return
      }
      best = undefined // best's whole list is dead (r consecutive failures): only farther candidates are left
      continue
    }
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
      reply = await transport.findSuccessor(next, key, { signal: options.signal, nodes: options.nodes })
    } catch (err) {
      options.signal?.throwIfAborted()
      dead.add(next.id)
      options.onDeadNode?.(next)
      yield { type: 'hop-failed', node: next, hop: hops, error: err as Error }
      continue
    }
    if (reply.found) {
      const nodes = reply.nodes.filter(n => !dead.has(n.id))
      if (nodes.length === 0) continue // a broken or all-dead reply: a dead end, use the next candidate
      yield { type: 'found', key, nodes, hops }
      return
    }
    if (best === undefined || compare(next, best) < 0) {
      best = next
      bestState = undefined
    }
    add(reply.nodes, next)
  }
}
