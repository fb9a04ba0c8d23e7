/* eslint-disable require-yield */

import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export enum Role {
  PEER = 'PEER',
  SUPERNODE = 'SUPERNODE'
}

enum __RoleValues {
  PEER = 0,
  SUPERNODE = 1
}

export namespace Role {
  export const codec = (): Codec<Role> => {
    return enumeration<Role>(__RoleValues)
  }
}

export interface MemberCert {
  peerId: Uint8Array<ArrayBuffer>
  role: Role
  addrs: Uint8Array<ArrayBuffer>[]
  epoch: bigint
  expires: bigint
  issuer: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace MemberCert {
  let _codec: Codec<MemberCert>

  export const codec = (): Codec<MemberCert> => {
    if (_codec == null) {
      _codec = message<MemberCert>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peerId)
        }

        if (obj.role != null && __RoleValues[obj.role] !== 0) {
          w.uint32(16)
          Role.codec().encode(obj.role, w)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if ((obj.epoch != null && obj.epoch !== 0n)) {
          w.uint32(32)
          w.uint64(obj.epoch)
        }

        if ((obj.expires != null && obj.expires !== 0n)) {
          w.uint32(40)
          w.uint64(obj.expires)
        }

        if ((obj.issuer != null && obj.issuer.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.issuer)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerId: uint8ArrayAlloc(0),
          role: Role.PEER,
          addrs: [],
          epoch: 0n,
          expires: 0n,
          issuer: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
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
              obj.role = Role.codec().decode(reader)
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
              obj.epoch = reader.uint64()
              break
            }
            case 5: {
              obj.expires = reader.uint64()
              break
            }
            case 6: {
              obj.issuer = reader.bytes()
              break
            }
            case 7: {
              obj.signature = reader.bytes()
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
              yield {
                field: `${prefix}.role`,
                value: Role.codec().decode(reader)
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
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.expires`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.issuer`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.signature`,
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

  export interface MemberCertPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface MemberCertRoleFieldEvent {
    field: '$.role'
    value: Role
  }

  export interface MemberCertAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MemberCertEpochFieldEvent {
    field: '$.epoch'
    value: bigint
  }

  export interface MemberCertExpiresFieldEvent {
    field: '$.expires'
    value: bigint
  }

  export interface MemberCertIssuerFieldEvent {
    field: '$.issuer'
    value: Uint8Array<ArrayBuffer>
  }

  export interface MemberCertSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<MemberCert>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, MemberCert.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MemberCert>): MemberCert {
    return decodeMessage(buf, MemberCert.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MemberCert>): Generator<MemberCertPeerIdFieldEvent | MemberCertRoleFieldEvent | MemberCertAddrsFieldEvent | MemberCertEpochFieldEvent | MemberCertExpiresFieldEvent | MemberCertIssuerFieldEvent | MemberCertSignatureFieldEvent> {
    return streamMessage(buf, MemberCert.codec(), opts)
  }
}

export interface Invite {
  role: Role
  nonce: Uint8Array<ArrayBuffer>
  expires: bigint
  issuer: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace Invite {
  let _codec: Codec<Invite>

  export const codec = (): Codec<Invite> => {
    if (_codec == null) {
      _codec = message<Invite>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.role != null && __RoleValues[obj.role] !== 0) {
          w.uint32(8)
          Role.codec().encode(obj.role, w)
        }

        if ((obj.nonce != null && obj.nonce.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.nonce)
        }

        if ((obj.expires != null && obj.expires !== 0n)) {
          w.uint32(24)
          w.uint64(obj.expires)
        }

        if ((obj.issuer != null && obj.issuer.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.issuer)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          role: Role.PEER,
          nonce: uint8ArrayAlloc(0),
          expires: 0n,
          issuer: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.role = Role.codec().decode(reader)
              break
            }
            case 2: {
              obj.nonce = reader.bytes()
              break
            }
            case 3: {
              obj.expires = reader.uint64()
              break
            }
            case 4: {
              obj.issuer = reader.bytes()
              break
            }
            case 5: {
              obj.signature = reader.bytes()
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
                field: `${prefix}.role`,
                value: Role.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.expires`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.issuer`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.signature`,
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

  export interface InviteRoleFieldEvent {
    field: '$.role'
    value: Role
  }

  export interface InviteNonceFieldEvent {
    field: '$.nonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InviteExpiresFieldEvent {
    field: '$.expires'
    value: bigint
  }

  export interface InviteIssuerFieldEvent {
    field: '$.issuer'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InviteSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Invite>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Invite.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Invite>): Invite {
    return decodeMessage(buf, Invite.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Invite>): Generator<InviteRoleFieldEvent | InviteNonceFieldEvent | InviteExpiresFieldEvent | InviteIssuerFieldEvent | InviteSignatureFieldEvent> {
    return streamMessage(buf, Invite.codec(), opts)
  }
}

export interface CertRequest {}

export namespace CertRequest {
  let _codec: Codec<CertRequest>

  export const codec = (): Codec<CertRequest> => {
    if (_codec == null) {
      _codec = message<CertRequest>((obj, w, opts = {}) => {
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

  export function encode (obj: Partial<CertRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CertRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CertRequest>): CertRequest {
    return decodeMessage(buf, CertRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CertRequest>): Generator<{}> {
    return streamMessage(buf, CertRequest.codec(), opts)
  }
}

export interface CertReply {
  cert: Uint8Array<ArrayBuffer>
}

export namespace CertReply {
  let _codec: Codec<CertReply>

  export const codec = (): Codec<CertReply> => {
    if (_codec == null) {
      _codec = message<CertReply>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.cert != null && obj.cert.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.cert)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          cert: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
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
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
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

  export interface CertReplyCertFieldEvent {
    field: '$.cert'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<CertReply>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CertReply.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CertReply>): CertReply {
    return decodeMessage(buf, CertReply.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CertReply>): Generator<CertReplyCertFieldEvent> {
    return streamMessage(buf, CertReply.codec(), opts)
  }
}
