/* eslint-disable require-yield */

import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface ElectionMessage {
  type: ElectionMessage.Type
  id: Uint8Array<ArrayBuffer>
  epoch: bigint
  sent: bigint
  viewVersion: bigint
}

export namespace ElectionMessage {
  export enum Type {
    ELECTION = 'ELECTION',
    ELECTED = 'ELECTED',
    HEARTBEAT = 'HEARTBEAT',
    HEARTBEAT_ACK = 'HEARTBEAT_ACK'
  }

  enum __TypeValues {
    ELECTION = 0,
    ELECTED = 1,
    HEARTBEAT = 2,
    HEARTBEAT_ACK = 3
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  let _codec: Codec<ElectionMessage>

  export const codec = (): Codec<ElectionMessage> => {
    if (_codec == null) {
      _codec = message<ElectionMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(8)
          ElectionMessage.Type.codec().encode(obj.type, w)
        }

        if ((obj.id != null && obj.id.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.id)
        }

        if ((obj.epoch != null && obj.epoch !== 0n)) {
          w.uint32(24)
          w.uint64(obj.epoch)
        }

        if ((obj.sent != null && obj.sent !== 0n)) {
          w.uint32(32)
          w.uint64(obj.sent)
        }

        if ((obj.viewVersion != null && obj.viewVersion !== 0n)) {
          w.uint32(40)
          w.uint64(obj.viewVersion)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: Type.ELECTION,
          id: uint8ArrayAlloc(0),
          epoch: 0n,
          sent: 0n,
          viewVersion: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = ElectionMessage.Type.codec().decode(reader)
              break
            }
            case 2: {
              obj.id = reader.bytes()
              break
            }
            case 3: {
              obj.epoch = reader.uint64()
              break
            }
            case 4: {
              obj.sent = reader.uint64()
              break
            }
            case 5: {
              obj.viewVersion = reader.uint64()
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
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.type`,
                value: ElectionMessage.Type.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.id`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.sent`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.viewVersion`,
                value: reader.uint64()
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

  export interface ElectionMessageTypeFieldEvent {
    field: '$.type'
    value: ElectionMessage.Type
  }

  export interface ElectionMessageIdFieldEvent {
    field: '$.id'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ElectionMessageEpochFieldEvent {
    field: '$.epoch'
    value: bigint
  }

  export interface ElectionMessageSentFieldEvent {
    field: '$.sent'
    value: bigint
  }

  export interface ElectionMessageViewVersionFieldEvent {
    field: '$.viewVersion'
    value: bigint
  }

  export function encode (obj: Partial<ElectionMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ElectionMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ElectionMessage>): ElectionMessage {
    return decodeMessage(buf, ElectionMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ElectionMessage>): Generator<ElectionMessageTypeFieldEvent | ElectionMessageIdFieldEvent | ElectionMessageEpochFieldEvent | ElectionMessageSentFieldEvent | ElectionMessageViewVersionFieldEvent> {
    return streamMessage(buf, ElectionMessage.codec(), opts)
  }
}

export interface ElectionReply {}

export namespace ElectionReply {
  let _codec: Codec<ElectionReply>

  export const codec = (): Codec<ElectionReply> => {
    if (_codec == null) {
      _codec = message<ElectionReply>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
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

  export function encode (obj: Partial<ElectionReply>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ElectionReply.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ElectionReply>): ElectionReply {
    return decodeMessage(buf, ElectionReply.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ElectionReply>): Generator<{}> {
    return streamMessage(buf, ElectionReply.codec(), opts)
  }
}
