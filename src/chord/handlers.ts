// The inbound side of /chord-peer/chord/2.0.0: a table of handlers, one per message type, each
// `(from, request) → reply` and none touching streams (kad-dht rpc/handlers). The sender of NOTIFY and LEAVE is
// the connection's authenticated remote peer, never a field of the message, so no node can speak for another.
import { ChordRequest, type ChordResponse } from '../../protocols/chord.js'
import { InvalidMessageError } from '../errors.js'
import { RecentReplies, sameDigest, stateDigest, withoutHeldCerts } from './state-cache.js'
import { decodeAddrs, type PeerDirectory } from './wire.js'
import type { ChordNode, NodeRef } from '../ring/index.js'
import type { PeerId } from '@libp2p/interface'

type Handler = (from: PeerId, req: ChordRequest, signal: AbortSignal) => Promise<ChordResponse> | ChordResponse

const empty = (): ChordResponse => ({ found: false, nodes: [], successors: [], unchanged: false })

/**
 * The chord protocol's handlers over `node`, dispatched by request type. `onUnifyAsked` hears of every UNIFY this
 * node takes (another node had found it dead, or merged with its ring).
 */
export function chordHandlers (node: ChordNode, peers: PeerDirectory, onUnifyAsked: (contact: NodeRef) => void = () => {}): Handler {
  const recent = new RecentReplies()
  const table: Record<ChordRequest.Type, Handler> = {
    [ChordRequest.Type.PING]: () => empty(),

    [ChordRequest.Type.FIND_SUCCESSOR]: (_from, req) => {
      const bytes = Math.ceil(node.space.m / 8)
      if (req.key.length !== bytes) throw new InvalidMessageError(`FIND_SUCCESSOR key must be ${bytes} bytes, got ${req.key.length}`)
      const result = node.handleFindSuccessor(node.space.fromBytes(req.key))
      const nodes = result.found && req.maxNodes !== undefined ? result.nodes.slice(0, Math.max(1, req.maxNodes)) : result.nodes
      return { ...empty(), found: result.found, nodes: nodes.map(n => peers.toWire(n)) }
    },

    [ChordRequest.Type.GET_STATE]: (_from, req) => {
      // The full reply (at most max_successors successors); `unchanged` when the asker holds it already; without
      // the certificates the asker holds when `known` names an earlier reply of this node's (src/chord/state-cache.ts).
      // A wrong `known` costs the asker the full reply, nothing else.
      const st = node.handleGetState()
      const successors = req.maxSuccessors === undefined ? st.successors : st.successors.slice(0, req.maxSuccessors)
      const reply: ChordResponse = {
        ...empty(),
        predecessor: st.predecessor === undefined ? undefined : peers.toWire(st.predecessor),
        successors: successors.map(n => peers.toWire(n))
      }
      const digest = stateDigest(reply)
      const before = req.known === undefined ? undefined : recent.get(req.known)
      recent.sent(digest, reply)
      if (req.known !== undefined && sameDigest(req.known, digest)) return { ...empty(), unchanged: true }
      return before === undefined ? reply : withoutHeldCerts(reply, before)
    },

    [ChordRequest.Type.NOTIFY]: async (from, req, signal) => {
      // The sender's addresses are checked but not taken: the addresses this node dials are its certificate's.
      decodeAddrs(req.addrs)
      const candidate = peers.learn(from)
      await node.handleNotify(candidate, { signal })
      return empty()
    },

    [ChordRequest.Type.UNIFY]: (_from, req) => {
      // Only members (with a certificate) can be contacts; the work runs in the background, one at a time.
      if (req.contact === undefined) throw new InvalidMessageError('UNIFY without a contact')
      const [contact] = peers.membersFromWire([req.contact])
      if (contact === undefined) return empty()
      onUnifyAsked(contact)
      node.handleUnify(contact)
      return empty()
    },

    [ChordRequest.Type.LEAVE]: (from, req) => {
      const predecessor = req.predecessor === undefined ? [] : peers.membersFromWire([req.predecessor])
      node.handleLeave({ leaver: peers.learn(from), predecessor: predecessor[0], successors: peers.membersFromWire(req.successors) })
      return empty()
    }
  }
  return async (from, req, signal) => {
    const handler = table[req.type] as Handler | undefined
    if (handler === undefined) throw new InvalidMessageError(`unknown chord request type ${String(req.type)}`)
    return await handler(from, req, signal)
  }
}
