// The inbound side of /chord-peer/chord/1.0.0: one handler per message, each `(from, request) → reply`, none
// touching streams (kad-dht rpc/handlers). The sender of NOTIFY and LEAVE is the connection's authenticated
// remote peer, never a field of the message, so no node can speak for another.
import { ChordRequest, type ChordResponse } from '../../protocols/chord.js'
import { InvalidMessageError } from '../errors.js'
import { decodeAddrs, fromWire, fromWireList, nodeRefOf, toWire, type AddressBook } from './wire.js'
import type { ChordNode, NodeRef } from '../ring/index.js'
import type { PeerId } from '@libp2p/interface'

export interface HandlerContext {
  node: ChordNode
  book: AddressBook
}

type Handler = (ctx: HandlerContext, from: PeerId, req: ChordRequest, signal: AbortSignal) => Promise<ChordResponse> | ChordResponse

const empty = (): ChordResponse => ({ found: false, nodes: [], successors: [] })

const handlers: Record<ChordRequest.Type, Handler> = {
  [ChordRequest.Type.PING]: () => empty(),

  [ChordRequest.Type.FIND_SUCCESSOR]: ({ node, book }, _from, req) => {
    const bytes = Math.ceil(node.space.m / 8)
    if (req.key.length !== bytes) throw new InvalidMessageError(`FIND_SUCCESSOR key must be ${bytes} bytes, got ${req.key.length}`)
    const result = node.handleFindSuccessor(node.space.fromBytes(req.key))
    return { ...empty(), found: result.found, nodes: result.nodes.map(n => toWire(book, n)) }
  },

  [ChordRequest.Type.GET_STATE]: ({ node, book }) => {
    const st = node.handleGetState()
    return {
      ...empty(),
      predecessor: st.predecessor === undefined ? undefined : toWire(book, st.predecessor),
      successors: st.successors.map(n => toWire(book, n))
    }
  },

  [ChordRequest.Type.NOTIFY]: async ({ node, book }, from, req, signal) => {
    book.add(from, decodeAddrs(req.addrs))
    await node.handleNotify(nodeRefOf(node.space, from), { signal })
    return empty()
  },

  [ChordRequest.Type.LEAVE]: ({ node, book }, from, req) => {
    const leaver: NodeRef = nodeRefOf(node.space, from)
    node.handleLeave({
      leaver,
      predecessor: req.predecessor === undefined ? undefined : fromWire(node.space, book, req.predecessor),
      successors: fromWireList(node.space, book, req.successors)
    })
    return empty()
  }
}

export async function handleChordRequest (ctx: HandlerContext, from: PeerId, req: ChordRequest, signal: AbortSignal): Promise<ChordResponse> {
  const handler = handlers[req.type] as Handler | undefined
  if (handler === undefined) throw new InvalidMessageError(`unknown chord request type ${String(req.type)}`)
  return handler(ctx, from, req, signal)
}
