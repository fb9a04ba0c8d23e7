import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Peer {
  peerId: Uint8Array<ArrayBuffer>
  addrs: Uint8Array<ArrayBuffer>[]
  cert: Uint8Array<ArrayBuffer>
}

export namespace Peer {
  let _codec: Codec<Peer>

  export const codec = (): Codec<Peer> => {
    if (_codec == null) {
      _codec = message<Peer>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peerId)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if ((obj.cert != null && obj.cert.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.cert)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerId: uint8ArrayAlloc(0),
          addrs: [],
          cert: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peerId = reader.bytes()
              break
            }
            case 2: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.bytes())
              break
            }
            case 3: {
              obj.cert = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          addrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.peerId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.bytes()
              }

              obj.addrs++

              break
            }
            case 3: {
              yield {
                field: `${prefix}.cert`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PeerPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PeerAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface PeerCertFieldEvent {
    field: '$.cert'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Peer>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Peer.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Peer>): Peer {
    return decodeMessage(buf, Peer.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Peer>): Generator<PeerPeerIdFieldEvent | PeerAddrsFieldEvent | PeerCertFieldEvent> {
    return streamMessage(buf, Peer.codec(), opts)
  }
}

export interface ChordRequest {
  type: ChordRequest.Type
  key: Uint8Array<ArrayBuffer>
  addrs: Uint8Array<ArrayBuffer>[]
  predecessor?: Peer
  successors: Peer[]
  contact?: Peer
  known?: Uint8Array<ArrayBuffer>
  maxSuccessors?: number
  maxNodes?: number
}

export namespace ChordRequest {
  export enum Type {
    PING = 'PING',
    FIND_SUCCESSOR = 'FIND_SUCCESSOR',
    GET_STATE = 'GET_STATE',
    NOTIFY = 'NOTIFY',
    LEAVE = 'LEAVE',
    UNIFY = 'UNIFY'
  }

  enum __TypeValues {
    PING = 0,
    FIND_SUCCESSOR = 1,
    GET_STATE = 2,
    NOTIFY = 3,
    LEAVE = 4,
    UNIFY = 5
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  let _codec: Codec<ChordRequest>

  export const codec = (): Codec<ChordRequest> => {
    if (_codec == null) {
      _codec = message<ChordRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(8)
          ChordRequest.Type.codec().encode(obj.type, w)
        }

        if ((obj.key != null && obj.key.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.key)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if (obj.predecessor != null) {
          w.uint32(34)
          Peer.codec().encode(obj.predecessor, w)
        }

        if (obj.successors != null && obj.successors.length > 0) {
          for (const value of obj.successors) {
            w.uint32(42)
            Peer.codec().encode(value, w)
          }
        }

        if (obj.contact != null) {
          w.uint32(50)
          Peer.codec().encode(obj.contact, w)
        }

        if (obj.known != null) {
          w.uint32(58)
          w.bytes(obj.known)
        }

        if (obj.maxSuccessors != null) {
          w.uint32(64)
          w.uint32(obj.maxSuccessors)
        }

        if (obj.maxNodes != null) {
          w.uint32(72)
          w.uint32(obj.maxNodes)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: Type.PING,
          key: uint8ArrayAlloc(0),
          addrs: [],
          successors: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = ChordRequest.Type.codec().decode(reader)
              break
            }
            case 2: {
              obj.key = reader.bytes()
              break
            }
            case 3: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.bytes())
              break
            }
            case 4: {
              obj.predecessor = Peer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.predecessor
              })
              break
            }
            case 5: {
              if (opts.limits?.successors != null && obj.successors.length === opts.limits.successors) {
                throw new MaxLengthError('Decode error - repeated field "successors" had too many elements')
              }

              obj.successors.push(Peer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.successors$
              }))
              break
            }
            case 6: {
              obj.contact = Peer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.contact
              })
              break
            }
            case 7: {
              obj.known = reader.bytes()
              break
            }
            case 8: {
              obj.maxSuccessors = reader.uint32()
              break
            }
            case 9: {
              obj.maxNodes = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          addrs: 0,
          successors: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.type`,
                value: ChordRequest.Type.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.key`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.bytes()
              }

              obj.addrs++

              break
            }
            case 4: {
              yield * Peer.codec().stream(reader, reader.uint32(), `${prefix}.predecessor`, {
                limits: opts.limits?.predecessor
              })

              break
            }
            case 5: {
              if (opts.limits?.successors != null && obj.successors === opts.limits.successors) {
                throw new MaxLengthError('Streaming decode error - repeated field "successors" had too many elements')
              }

              for (const evt of Peer.codec().stream(reader, reader.uint32(), `${prefix}.successors[]`, {
                limits: opts.limits?.successors$
              })) {
                yield {
                  ...evt,
                  index: obj.successors
                }
              }

              obj.successors++

              break
            }
            case 6: {
              yield * Peer.codec().stream(reader, reader.uint32(), `${prefix}.contact`, {
                limits: opts.limits?.contact
              })

              break
            }
            case 7: {
              yield {
                field: `${prefix}.known`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.maxSuccessors`,
                value: reader.uint32()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.maxNodes`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ChordRequestTypeFieldEvent {
    field: '$.type'
    value: ChordRequest.Type
  }

  export interface ChordRequestKeyFieldEvent {
    field: '$.key'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordRequestAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordRequestPredecessorPeerIdFieldEvent {
    field: '$.predecessor.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordRequestPredecessorAddrsFieldEvent {
    field: '$.predecessor.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordRequestPredecessorCertFieldEvent {
    field: '$.predecessor.cert'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordRequestSuccessorsPeerIdFieldEvent {
    field: '$.successors[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ChordRequestSuccessorsAddrsFieldEvent {
    field: '$.successors[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordRequestSuccessorsCertFieldEvent {
    field: '$.successors[].cert'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ChordRequestContactPeerIdFieldEvent {
    field: '$.contact.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordRequestContactAddrsFieldEvent {
    field: '$.contact.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordRequestContactCertFieldEvent {
    field: '$.contact.cert'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordRequestKnownFieldEvent {
    field: '$.known'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordRequestMaxSuccessorsFieldEvent {
    field: '$.maxSuccessors'
    value: number
  }

  export interface ChordRequestMaxNodesFieldEvent {
    field: '$.maxNodes'
    value: number
  }

  export function encode (obj: Partial<ChordRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ChordRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChordRequest>): ChordRequest {
    return decodeMessage(buf, ChordRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChordRequest>): Generator<ChordRequestTypeFieldEvent | ChordRequestKeyFieldEvent | ChordRequestAddrsFieldEvent | ChordRequestPredecessorPeerIdFieldEvent | ChordRequestPredecessorAddrsFieldEvent | ChordRequestPredecessorCertFieldEvent | ChordRequestSuccessorsPeerIdFieldEvent | ChordRequestSuccessorsAddrsFieldEvent | ChordRequestSuccessorsCertFieldEvent | ChordRequestContactPeerIdFieldEvent | ChordRequestContactAddrsFieldEvent | ChordRequestContactCertFieldEvent | ChordRequestKnownFieldEvent | ChordRequestMaxSuccessorsFieldEvent | ChordRequestMaxNodesFieldEvent> {
    return streamMessage(buf, ChordRequest.codec(), opts)
  }
}

export interface ChordResponse {
  found: boolean
  nodes: Peer[]
  predecessor?: Peer
  successors: Peer[]
  unchanged: boolean
}

export namespace ChordResponse {
  let _codec: Codec<ChordResponse>

  export const codec = (): Codec<ChordResponse> => {
    if (_codec == null) {
      _codec = message<ChordResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.found != null && obj.found !== false)) {
          w.uint32(8)
          w.bool(obj.found)
        }

        if (obj.nodes != null && obj.nodes.length > 0) {
          for (const value of obj.nodes) {
            w.uint32(18)
            Peer.codec().encode(value, w)
          }
        }

        if (obj.predecessor != null) {
          w.uint32(26)
          Peer.codec().encode(obj.predecessor, w)
        }

        if (obj.successors != null && obj.successors.length > 0) {
          for (const value of obj.successors) {
            w.uint32(34)
            Peer.codec().encode(value, w)
          }
        }

        if ((obj.unchanged != null && obj.unchanged !== false)) {
          w.uint32(40)
          w.bool(obj.unchanged)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          found: false,
          nodes: [],
          successors: [],
          unchanged: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.found = reader.bool()
              break
            }
            case 2: {
              if (opts.limits?.nodes != null && obj.nodes.length === opts.limits.nodes) {
                throw new MaxLengthError('Decode error - repeated field "nodes" had too many elements')
              }

              obj.nodes.push(Peer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.nodes$
              }))
              break
            }
            case 3: {
              obj.predecessor = Peer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.predecessor
              })
              break
            }
            case 4: {
              if (opts.limits?.successors != null && obj.successors.length === opts.limits.successors) {
                throw new MaxLengthError('Decode error - repeated field "successors" had too many elements')
              }

              obj.successors.push(Peer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.successors$
              }))
              break
            }
            case 5: {
              obj.unchanged = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          nodes: 0,
          successors: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.found`,
                value: reader.bool()
              }
              break
            }
            case 2: {
              if (opts.limits?.nodes != null && obj.nodes === opts.limits.nodes) {
                throw new MaxLengthError('Streaming decode error - repeated field "nodes" had too many elements')
              }

              for (const evt of Peer.codec().stream(reader, reader.uint32(), `${prefix}.nodes[]`, {
                limits: opts.limits?.nodes$
              })) {
                yield {
                  ...evt,
                  index: obj.nodes
                }
              }

              obj.nodes++

              break
            }
            case 3: {
              yield * Peer.codec().stream(reader, reader.uint32(), `${prefix}.predecessor`, {
                limits: opts.limits?.predecessor
              })

              break
            }
            case 4: {
              if (opts.limits?.successors != null && obj.successors === opts.limits.successors) {
                throw new MaxLengthError('Streaming decode error - repeated field "successors" had too many elements')
              }

              for (const evt of Peer.codec().stream(reader, reader.uint32(), `${prefix}.successors[]`, {
                limits: opts.limits?.successors$
              })) {
                yield {
                  ...evt,
                  index: obj.successors
                }
              }

              obj.successors++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.unchanged`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ChordResponseFoundFieldEvent {
    field: '$.found'
    value: boolean
  }

  export interface ChordResponseNodesPeerIdFieldEvent {
    field: '$.nodes[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ChordResponseNodesAddrsFieldEvent {
    field: '$.nodes[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordResponseNodesCertFieldEvent {
    field: '$.nodes[].cert'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ChordResponsePredecessorPeerIdFieldEvent {
    field: '$.predecessor.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordResponsePredecessorAddrsFieldEvent {
    field: '$.predecessor.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordResponsePredecessorCertFieldEvent {
    field: '$.predecessor.cert'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordResponseSuccessorsPeerIdFieldEvent {
    field: '$.successors[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ChordResponseSuccessorsAddrsFieldEvent {
    field: '$.successors[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChordResponseSuccessorsCertFieldEvent {
    field: '$.successors[].cert'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ChordResponseUnchangedFieldEvent {
    field: '$.unchanged'
    value: boolean
  }

  export function encode (obj: Partial<ChordResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ChordResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChordResponse>): ChordResponse {
    return decodeMessage(buf, ChordResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChordResponse>): Generator<ChordResponseFoundFieldEvent | ChordResponseNodesPeerIdFieldEvent | ChordResponseNodesAddrsFieldEvent | ChordResponseNodesCertFieldEvent | ChordResponsePredecessorPeerIdFieldEvent | ChordResponsePredecessorAddrsFieldEvent | ChordResponsePredecessorCertFieldEvent | ChordResponseSuccessorsPeerIdFieldEvent | ChordResponseSuccessorsAddrsFieldEvent | ChordResponseSuccessorsCertFieldEvent | ChordResponseUnchangedFieldEvent> {
    return streamMessage(buf, ChordResponse.codec(), opts)
  }
}
