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

export interface RingSettings {
  k: number
  r: number
  stabilizeIntervalMs: number
  fixFingersIntervalMs: number
  checkPredecessorIntervalMs: number
  admission: RingSettings.Admission
}

export namespace RingSettings {
  export enum Admission {
    OPEN = 'OPEN',
    INVITE = 'INVITE'
  }

  enum __AdmissionValues {
    OPEN = 0,
    INVITE = 1
  }

  export namespace Admission {
    export const codec = (): Codec<Admission> => {
      return enumeration<Admission>(__AdmissionValues)
    }
  }

  let _codec: Codec<RingSettings>

  export const codec = (): Codec<RingSettings> => {
    if (_codec == null) {
      _codec = message<RingSettings>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.k != null && obj.k !== 0)) {
          w.uint32(8)
          w.uint32(obj.k)
        }

        if ((obj.r != null && obj.r !== 0)) {
          w.uint32(16)
          w.uint32(obj.r)
        }

        if ((obj.stabilizeIntervalMs != null && obj.stabilizeIntervalMs !== 0)) {
          w.uint32(24)
          w.uint32(obj.stabilizeIntervalMs)
        }

        if ((obj.fixFingersIntervalMs != null && obj.fixFingersIntervalMs !== 0)) {
          w.uint32(32)
          w.uint32(obj.fixFingersIntervalMs)
        }

        if ((obj.checkPredecessorIntervalMs != null && obj.checkPredecessorIntervalMs !== 0)) {
          w.uint32(40)
          w.uint32(obj.checkPredecessorIntervalMs)
        }

        if (obj.admission != null && __AdmissionValues[obj.admission] !== 0) {
          w.uint32(48)
          RingSettings.Admission.codec().encode(obj.admission, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          k: 0,
          r: 0,
          stabilizeIntervalMs: 0,
          fixFingersIntervalMs: 0,
          checkPredecessorIntervalMs: 0,
          admission: Admission.OPEN
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.k = reader.uint32()
              break
            }
            case 2: {
              obj.r = reader.uint32()
              break
            }
            case 3: {
              obj.stabilizeIntervalMs = reader.uint32()
              break
            }
            case 4: {
              obj.fixFingersIntervalMs = reader.uint32()
              break
            }
            case 5: {
              obj.checkPredecessorIntervalMs = reader.uint32()
              break
            }
            case 6: {
              obj.admission = RingSettings.Admission.codec().decode(reader)
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
                field: `${prefix}.k`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.r`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.stabilizeIntervalMs`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.fixFingersIntervalMs`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.checkPredecessorIntervalMs`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.admission`,
                value: RingSettings.Admission.codec().decode(reader)
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

  export interface RingSettingsKFieldEvent {
    field: '$.k'
    value: number
  }

  export interface RingSettingsRFieldEvent {
    field: '$.r'
    value: number
  }

  export interface RingSettingsStabilizeIntervalMsFieldEvent {
    field: '$.stabilizeIntervalMs'
    value: number
  }

  export interface RingSettingsFixFingersIntervalMsFieldEvent {
    field: '$.fixFingersIntervalMs'
    value: number
  }

  export interface RingSettingsCheckPredecessorIntervalMsFieldEvent {
    field: '$.checkPredecessorIntervalMs'
    value: number
  }

  export interface RingSettingsAdmissionFieldEvent {
    field: '$.admission'
    value: RingSettings.Admission
  }

  export function encode (obj: Partial<RingSettings>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RingSettings.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RingSettings>): RingSettings {
    return decodeMessage(buf, RingSettings.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RingSettings>): Generator<RingSettingsKFieldEvent | RingSettingsRFieldEvent | RingSettingsStabilizeIntervalMsFieldEvent | RingSettingsFixFingersIntervalMsFieldEvent | RingSettingsCheckPredecessorIntervalMsFieldEvent | RingSettingsAdmissionFieldEvent> {
    return streamMessage(buf, RingSettings.codec(), opts)
  }
}

export interface UsedInvite {
  nonce: Uint8Array<ArrayBuffer>
  expires: bigint
}

export namespace UsedInvite {
  let _codec: Codec<UsedInvite>

  export const codec = (): Codec<UsedInvite> => {
    if (_codec == null) {
      _codec = message<UsedInvite>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.nonce != null && obj.nonce.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.nonce)
        }

        if ((obj.expires != null && obj.expires !== 0n)) {
          w.uint32(16)
          w.uint64(obj.expires)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          nonce: uint8ArrayAlloc(0),
          expires: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.nonce = reader.bytes()
              break
            }
            case 2: {
              obj.expires = reader.uint64()
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
                field: `${prefix}.nonce`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.expires`,
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

  export interface UsedInviteNonceFieldEvent {
    field: '$.nonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface UsedInviteExpiresFieldEvent {
    field: '$.expires'
    value: bigint
  }

  export function encode (obj: Partial<UsedInvite>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, UsedInvite.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<UsedInvite>): UsedInvite {
    return decodeMessage(buf, UsedInvite.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<UsedInvite>): Generator<UsedInviteNonceFieldEvent | UsedInviteExpiresFieldEvent> {
    return streamMessage(buf, UsedInvite.codec(), opts)
  }
}

export interface MembershipView {
  version: bigint
  epoch: bigint
  leader: Uint8Array<ArrayBuffer>
  settings?: RingSettings
  supernodes: Peer[]
  members: Peer[]
  usedInvites: UsedInvite[]
  authorised: Uint8Array<ArrayBuffer>[]
}

export namespace MembershipView {
  let _codec: Codec<MembershipView>

  export const codec = (): Codec<MembershipView> => {
    if (_codec == null) {
      _codec = message<MembershipView>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0n)) {
          w.uint32(8)
          w.uint64(obj.version)
        }

        if ((obj.epoch != null && obj.epoch !== 0n)) {
          w.uint32(16)
          w.uint64(obj.epoch)
        }

        if ((obj.leader != null && obj.leader.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.leader)
        }

        if (obj.settings != null) {
          w.uint32(34)
          RingSettings.codec().encode(obj.settings, w)
        }

        if (obj.supernodes != null && obj.supernodes.length > 0) {
          for (const value of obj.supernodes) {
            w.uint32(42)
            Peer.codec().encode(value, w)
          }
        }

        if (obj.members != null && obj.members.length > 0) {
          for (const value of obj.members) {
            w.uint32(50)
            Peer.codec().encode(value, w)
          }
        }

        if (obj.usedInvites != null && obj.usedInvites.length > 0) {
          for (const value of obj.usedInvites) {
            w.uint32(58)
            UsedInvite.codec().encode(value, w)
          }
        }

        if (obj.authorised != null && obj.authorised.length > 0) {
          for (const value of obj.authorised) {
            w.uint32(66)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0n,
          epoch: 0n,
          leader: uint8ArrayAlloc(0),
          supernodes: [],
          members: [],
          usedInvites: [],
          authorised: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.uint64()
              break
            }
            case 2: {
              obj.epoch = reader.uint64()
              break
            }
            case 3: {
              obj.leader = reader.bytes()
              break
            }
            case 4: {
              obj.settings = RingSettings.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.settings
              })
              break
            }
            case 5: {
              if (opts.limits?.supernodes != null && obj.supernodes.length === opts.limits.supernodes) {
                throw new MaxLengthError('Decode error - repeated field "supernodes" had too many elements')
              }

              obj.supernodes.push(Peer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.supernodes$
              }))
              break
            }
            case 6: {
              if (opts.limits?.members != null && obj.members.length === opts.limits.members) {
                throw new MaxLengthError('Decode error - repeated field "members" had too many elements')
              }

              obj.members.push(Peer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.members$
              }))
              break
            }
            case 7: {
              if (opts.limits?.usedInvites != null && obj.usedInvites.length === opts.limits.usedInvites) {
                throw new MaxLengthError('Decode error - repeated field "usedInvites" had too many elements')
              }

              obj.usedInvites.push(UsedInvite.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.usedInvites$
              }))
              break
            }
            case 8: {
              if (opts.limits?.authorised != null && obj.authorised.length === opts.limits.authorised) {
                throw new MaxLengthError('Decode error - repeated field "authorised" had too many elements')
              }

              obj.authorised.push(reader.bytes())
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
          supernodes: 0,
          members: 0,
          usedInvites: 0,
          authorised: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.leader`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield * RingSettings.codec().stream(reader, reader.uint32(), `${prefix}.settings`, {
                limits: opts.limits?.settings
              })

              break
            }
            case 5: {
              if (opts.limits?.supernodes != null && obj.supernodes === opts.limits.supernodes) {
                throw new MaxLengthError('Streaming decode error - repeated field "supernodes" had too many elements')
              }

              for (const evt of Peer.codec().stream(reader, reader.uint32(), `${prefix}.supernodes[]`, {
                limits: opts.limits?.supernodes$
              })) {
                yield {
                  ...evt,
                  index: obj.supernodes
                }
              }

              obj.supernodes++

              break
            }
            case 6: {
              if (opts.limits?.members != null && obj.members === opts.limits.members) {
                throw new MaxLengthError('Streaming decode error - repeated field "members" had too many elements')
              }

              for (const evt of Peer.codec().stream(reader, reader.uint32(), `${prefix}.members[]`, {
                limits: opts.limits?.members$
              })) {
                yield {
                  ...evt,
                  index: obj.members
                }
              }

              obj.members++

              break
            }
            case 7: {
              if (opts.limits?.usedInvites != null && obj.usedInvites === opts.limits.usedInvites) {
                throw new MaxLengthError('Streaming decode error - repeated field "usedInvites" had too many elements')
              }

              for (const evt of UsedInvite.codec().stream(reader, reader.uint32(), `${prefix}.usedInvites[]`, {
                limits: opts.limits?.usedInvites$
              })) {
                yield {
                  ...evt,
                  index: obj.usedInvites
                }
              }

              obj.usedInvites++

              break
            }
            case 8: {
              if (opts.limits?.authorised != null && obj.authorised === opts.limits.authorised) {
                throw new MaxLengthError('Streaming decode error - repeated field "authorised" had too many elements')
              }

              yield {
                field: `${prefix}.authorised[]`,
                index: obj.authorised,
                value: reader.bytes()
              }

              obj.authorised++

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

  export interface MembershipViewVersionFieldEvent {
    field: '$.version'
    value: bigint
  }

  export interface MembershipViewEpochFieldEvent {
    field: '$.epoch'
    value: bigint
  }

  export interface MembershipViewLeaderFieldEvent {
    field: '$.leader'
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipViewSettingsKFieldEvent {
    field: '$.settings.k'
    value: number
  }

  export interface MembershipViewSettingsRFieldEvent {
    field: '$.settings.r'
    value: number
  }

  export interface MembershipViewSettingsStabilizeIntervalMsFieldEvent {
    field: '$.settings.stabilizeIntervalMs'
    value: number
  }

  export interface MembershipViewSettingsFixFingersIntervalMsFieldEvent {
    field: '$.settings.fixFingersIntervalMs'
    value: number
  }

  export interface MembershipViewSettingsCheckPredecessorIntervalMsFieldEvent {
    field: '$.settings.checkPredecessorIntervalMs'
    value: number
  }

  export interface MembershipViewSettingsAdmissionFieldEvent {
    field: '$.settings.admission'
    value: RingSettings.Admission
  }

  export interface MembershipViewSupernodesPeerIdFieldEvent {
    field: '$.supernodes[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipViewSupernodesAddrsFieldEvent {
    field: '$.supernodes[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipViewSupernodesCertFieldEvent {
    field: '$.supernodes[].cert'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipViewMembersPeerIdFieldEvent {
    field: '$.members[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipViewMembersAddrsFieldEvent {
    field: '$.members[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipViewMembersCertFieldEvent {
    field: '$.members[].cert'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipViewUsedInvitesNonceFieldEvent {
    field: '$.usedInvites[].nonce'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipViewUsedInvitesExpiresFieldEvent {
    field: '$.usedInvites[].expires'
    value: bigint
    index: number
  }

  export interface MembershipViewAuthorisedFieldEvent {
    field: '$.authorised[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<MembershipView>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, MembershipView.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MembershipView>): MembershipView {
    return decodeMessage(buf, MembershipView.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MembershipView>): Generator<MembershipViewVersionFieldEvent | MembershipViewEpochFieldEvent | MembershipViewLeaderFieldEvent | MembershipViewSettingsKFieldEvent | MembershipViewSettingsRFieldEvent | MembershipViewSettingsStabilizeIntervalMsFieldEvent | MembershipViewSettingsFixFingersIntervalMsFieldEvent | MembershipViewSettingsCheckPredecessorIntervalMsFieldEvent | MembershipViewSettingsAdmissionFieldEvent | MembershipViewSupernodesPeerIdFieldEvent | MembershipViewSupernodesAddrsFieldEvent | MembershipViewSupernodesCertFieldEvent | MembershipViewMembersPeerIdFieldEvent | MembershipViewMembersAddrsFieldEvent | MembershipViewMembersCertFieldEvent | MembershipViewUsedInvitesNonceFieldEvent | MembershipViewUsedInvitesExpiresFieldEvent | MembershipViewAuthorisedFieldEvent> {
    return streamMessage(buf, MembershipView.codec(), opts)
  }
}

export interface MembershipRequest {
  type: MembershipRequest.Type
  peerId: Uint8Array<ArrayBuffer>
  addrs: Uint8Array<ArrayBuffer>[]
  supernode: boolean
  forwarded: boolean
  view?: MembershipView
  invite: Uint8Array<ArrayBuffer>
  cert: Uint8Array<ArrayBuffer>
}

export namespace MembershipRequest {
  export enum Type {
    JOIN = 'JOIN',
    LEAVE = 'LEAVE',
    GET_VIEW = 'GET_VIEW',
    PUSH_VIEW = 'PUSH_VIEW',
    REPORT_DEAD = 'REPORT_DEAD',
    RENEW = 'RENEW'
  }

  enum __TypeValues {
    JOIN = 0,
    LEAVE = 1,
    GET_VIEW = 2,
    PUSH_VIEW = 3,
    REPORT_DEAD = 4,
    RENEW = 5
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  let _codec: Codec<MembershipRequest>

  export const codec = (): Codec<MembershipRequest> => {
    if (_codec == null) {
      _codec = message<MembershipRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(8)
          MembershipRequest.Type.codec().encode(obj.type, w)
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.peerId)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if ((obj.supernode != null && obj.supernode !== false)) {
          w.uint32(32)
          w.bool(obj.supernode)
        }

        if ((obj.forwarded != null && obj.forwarded !== false)) {
          w.uint32(40)
          w.bool(obj.forwarded)
        }

        if (obj.view != null) {
          w.uint32(50)
          MembershipView.codec().encode(obj.view, w)
        }

        if ((obj.invite != null && obj.invite.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.invite)
        }

        if ((obj.cert != null && obj.cert.byteLength > 0)) {
          w.uint32(66)
          w.bytes(obj.cert)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: Type.JOIN,
          peerId: uint8ArrayAlloc(0),
          addrs: [],
          supernode: false,
          forwarded: false,
          invite: uint8ArrayAlloc(0),
          cert: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = MembershipRequest.Type.codec().decode(reader)
              break
            }
            case 2: {
              obj.peerId = reader.bytes()
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
              obj.supernode = reader.bool()
              break
            }
            case 5: {
              obj.forwarded = reader.bool()
              break
            }
            case 6: {
              obj.view = MembershipView.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.view
              })
              break
            }
            case 7: {
              obj.invite = reader.bytes()
              break
            }
            case 8: {
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
                field: `${prefix}.type`,
                value: MembershipRequest.Type.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.peerId`,
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
              yield {
                field: `${prefix}.supernode`,
                value: reader.bool()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.forwarded`,
                value: reader.bool()
              }
              break
            }
            case 6: {
              yield * MembershipView.codec().stream(reader, reader.uint32(), `${prefix}.view`, {
                limits: opts.limits?.view
              })

              break
            }
            case 7: {
              yield {
                field: `${prefix}.invite`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
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

  export interface MembershipRequestTypeFieldEvent {
    field: '$.type'
    value: MembershipRequest.Type
  }

  export interface MembershipRequestPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipRequestAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipRequestSupernodeFieldEvent {
    field: '$.supernode'
    value: boolean
  }

  export interface MembershipRequestForwardedFieldEvent {
    field: '$.forwarded'
    value: boolean
  }

  export interface MembershipRequestViewVersionFieldEvent {
    field: '$.view.version'
    value: bigint
  }

  export interface MembershipRequestViewEpochFieldEvent {
    field: '$.view.epoch'
    value: bigint
  }

  export interface MembershipRequestViewLeaderFieldEvent {
    field: '$.view.leader'
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipRequestViewSettingsKFieldEvent {
    field: '$.view.settings.k'
    value: number
  }

  export interface MembershipRequestViewSettingsRFieldEvent {
    field: '$.view.settings.r'
    value: number
  }

  export interface MembershipRequestViewSettingsStabilizeIntervalMsFieldEvent {
    field: '$.view.settings.stabilizeIntervalMs'
    value: number
  }

  export interface MembershipRequestViewSettingsFixFingersIntervalMsFieldEvent {
    field: '$.view.settings.fixFingersIntervalMs'
    value: number
  }

  export interface MembershipRequestViewSettingsCheckPredecessorIntervalMsFieldEvent {
    field: '$.view.settings.checkPredecessorIntervalMs'
    value: number
  }

  export interface MembershipRequestViewSettingsAdmissionFieldEvent {
    field: '$.view.settings.admission'
    value: RingSettings.Admission
  }

  export interface MembershipRequestViewSupernodesPeerIdFieldEvent {
    field: '$.view.supernodes[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipRequestViewSupernodesAddrsFieldEvent {
    field: '$.view.supernodes[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipRequestViewSupernodesCertFieldEvent {
    field: '$.view.supernodes[].cert'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipRequestViewMembersPeerIdFieldEvent {
    field: '$.view.members[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipRequestViewMembersAddrsFieldEvent {
    field: '$.view.members[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipRequestViewMembersCertFieldEvent {
    field: '$.view.members[].cert'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipRequestViewUsedInvitesNonceFieldEvent {
    field: '$.view.usedInvites[].nonce'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipRequestViewUsedInvitesExpiresFieldEvent {
    field: '$.view.usedInvites[].expires'
    value: bigint
    index: number
  }

  export interface MembershipRequestViewAuthorisedFieldEvent {
    field: '$.view.authorised[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipRequestInviteFieldEvent {
    field: '$.invite'
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipRequestCertFieldEvent {
    field: '$.cert'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<MembershipRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, MembershipRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MembershipRequest>): MembershipRequest {
    return decodeMessage(buf, MembershipRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MembershipRequest>): Generator<MembershipRequestTypeFieldEvent | MembershipRequestPeerIdFieldEvent | MembershipRequestAddrsFieldEvent | MembershipRequestSupernodeFieldEvent | MembershipRequestForwardedFieldEvent | MembershipRequestViewVersionFieldEvent | MembershipRequestViewEpochFieldEvent | MembershipRequestViewLeaderFieldEvent | MembershipRequestViewSettingsKFieldEvent | MembershipRequestViewSettingsRFieldEvent | MembershipRequestViewSettingsStabilizeIntervalMsFieldEvent | MembershipRequestViewSettingsFixFingersIntervalMsFieldEvent | MembershipRequestViewSettingsCheckPredecessorIntervalMsFieldEvent | MembershipRequestViewSettingsAdmissionFieldEvent | MembershipRequestViewSupernodesPeerIdFieldEvent | MembershipRequestViewSupernodesAddrsFieldEvent | MembershipRequestViewSupernodesCertFieldEvent | MembershipRequestViewMembersPeerIdFieldEvent | MembershipRequestViewMembersAddrsFieldEvent | MembershipRequestViewMembersCertFieldEvent | MembershipRequestViewUsedInvitesNonceFieldEvent | MembershipRequestViewUsedInvitesExpiresFieldEvent | MembershipRequestViewAuthorisedFieldEvent | MembershipRequestInviteFieldEvent | MembershipRequestCertFieldEvent> {
    return streamMessage(buf, MembershipRequest.codec(), opts)
  }
}

export interface MembershipResponse {
  status: MembershipResponse.Status
  error: string
  settings?: RingSettings
  successors: Peer[]
  supernodes: Peer[]
  retryAfterMs: number
  view?: MembershipView
  cert: Uint8Array<ArrayBuffer>
}

export namespace MembershipResponse {
  export enum Status {
    OK = 'OK',
    RETRY_LATER = 'RETRY_LATER',
    NOT_SUPERNODE = 'NOT_SUPERNODE',
    NOT_MEMBER = 'NOT_MEMBER',
    WRONG_PEER = 'WRONG_PEER',
    STALE_VIEW = 'STALE_VIEW',
    CANNOT_PLACE = 'CANNOT_PLACE',
    NEEDS_INVITE = 'NEEDS_INVITE',
    INVITE_INVALID = 'INVITE_INVALID',
    INVITE_EXPIRED = 'INVITE_EXPIRED',
    INVITE_USED = 'INVITE_USED',
    FULL = 'FULL',
    NOT_LEADER = 'NOT_LEADER',
    BAD_SETTINGS = 'BAD_SETTINGS'
  }

  enum __StatusValues {
    OK = 0,
    RETRY_LATER = 1,
    NOT_SUPERNODE = 2,
    NOT_MEMBER = 3,
    WRONG_PEER = 4,
    STALE_VIEW = 5,
    CANNOT_PLACE = 6,
    NEEDS_INVITE = 7,
    INVITE_INVALID = 8,
    INVITE_EXPIRED = 9,
    INVITE_USED = 10,
    FULL = 11,
    NOT_LEADER = 12,
    BAD_SETTINGS = 13
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<MembershipResponse>

  export const codec = (): Codec<MembershipResponse> => {
    if (_codec == null) {
      _codec = message<MembershipResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          MembershipResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.error != null && obj.error !== '')) {
          w.uint32(18)
          w.string(obj.error)
        }

        if (obj.settings != null) {
          w.uint32(26)
          RingSettings.codec().encode(obj.settings, w)
        }

        if (obj.successors != null && obj.successors.length > 0) {
          for (const value of obj.successors) {
            w.uint32(34)
            Peer.codec().encode(value, w)
          }
        }

        if (obj.supernodes != null && obj.supernodes.length > 0) {
          for (const value of obj.supernodes) {
            w.uint32(42)
            Peer.codec().encode(value, w)
          }
        }

        if ((obj.retryAfterMs != null && obj.retryAfterMs !== 0)) {
          w.uint32(48)
          w.uint32(obj.retryAfterMs)
        }

        if (obj.view != null) {
          w.uint32(58)
          MembershipView.codec().encode(obj.view, w)
        }

        if ((obj.cert != null && obj.cert.byteLength > 0)) {
          w.uint32(66)
          w.bytes(obj.cert)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          error: '',
          successors: [],
          supernodes: [],
          retryAfterMs: 0,
          cert: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = MembershipResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.error = reader.string()
              break
            }
            case 3: {
              obj.settings = RingSettings.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.settings
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
              if (opts.limits?.supernodes != null && obj.supernodes.length === opts.limits.supernodes) {
                throw new MaxLengthError('Decode error - repeated field "supernodes" had too many elements')
              }

              obj.supernodes.push(Peer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.supernodes$
              }))
              break
            }
            case 6: {
              obj.retryAfterMs = reader.uint32()
              break
            }
            case 7: {
              obj.view = MembershipView.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.view
              })
              break
            }
            case 8: {
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
          successors: 0,
          supernodes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: MembershipResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.error`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield * RingSettings.codec().stream(reader, reader.uint32(), `${prefix}.settings`, {
                limits: opts.limits?.settings
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
              if (opts.limits?.supernodes != null && obj.supernodes === opts.limits.supernodes) {
                throw new MaxLengthError('Streaming decode error - repeated field "supernodes" had too many elements')
              }

              for (const evt of Peer.codec().stream(reader, reader.uint32(), `${prefix}.supernodes[]`, {
                limits: opts.limits?.supernodes$
              })) {
                yield {
                  ...evt,
                  index: obj.supernodes
                }
              }

              obj.supernodes++

              break
            }
            case 6: {
              yield {
                field: `${prefix}.retryAfterMs`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield * MembershipView.codec().stream(reader, reader.uint32(), `${prefix}.view`, {
                limits: opts.limits?.view
              })

              break
            }
            case 8: {
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

  export interface MembershipResponseStatusFieldEvent {
    field: '$.status'
    value: MembershipResponse.Status
  }

  export interface MembershipResponseErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export interface MembershipResponseSettingsKFieldEvent {
    field: '$.settings.k'
    value: number
  }

  export interface MembershipResponseSettingsRFieldEvent {
    field: '$.settings.r'
    value: number
  }

  export interface MembershipResponseSettingsStabilizeIntervalMsFieldEvent {
    field: '$.settings.stabilizeIntervalMs'
    value: number
  }

  export interface MembershipResponseSettingsFixFingersIntervalMsFieldEvent {
    field: '$.settings.fixFingersIntervalMs'
    value: number
  }

  export interface MembershipResponseSettingsCheckPredecessorIntervalMsFieldEvent {
    field: '$.settings.checkPredecessorIntervalMs'
    value: number
  }

  export interface MembershipResponseSettingsAdmissionFieldEvent {
    field: '$.settings.admission'
    value: RingSettings.Admission
  }

  export interface MembershipResponseSuccessorsPeerIdFieldEvent {
    field: '$.successors[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipResponseSuccessorsAddrsFieldEvent {
    field: '$.successors[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipResponseSuccessorsCertFieldEvent {
    field: '$.successors[].cert'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipResponseSupernodesPeerIdFieldEvent {
    field: '$.supernodes[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipResponseSupernodesAddrsFieldEvent {
    field: '$.supernodes[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipResponseSupernodesCertFieldEvent {
    field: '$.supernodes[].cert'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipResponseRetryAfterMsFieldEvent {
    field: '$.retryAfterMs'
    value: number
  }

  export interface MembershipResponseViewVersionFieldEvent {
    field: '$.view.version'
    value: bigint
  }

  export interface MembershipResponseViewEpochFieldEvent {
    field: '$.view.epoch'
    value: bigint
  }

  export interface MembershipResponseViewLeaderFieldEvent {
    field: '$.view.leader'
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipResponseViewSettingsKFieldEvent {
    field: '$.view.settings.k'
    value: number
  }

  export interface MembershipResponseViewSettingsRFieldEvent {
    field: '$.view.settings.r'
    value: number
  }

  export interface MembershipResponseViewSettingsStabilizeIntervalMsFieldEvent {
    field: '$.view.settings.stabilizeIntervalMs'
    value: number
  }

  export interface MembershipResponseViewSettingsFixFingersIntervalMsFieldEvent {
    field: '$.view.settings.fixFingersIntervalMs'
    value: number
  }

  export interface MembershipResponseViewSettingsCheckPredecessorIntervalMsFieldEvent {
    field: '$.view.settings.checkPredecessorIntervalMs'
    value: number
  }

  export interface MembershipResponseViewSettingsAdmissionFieldEvent {
    field: '$.view.settings.admission'
    value: RingSettings.Admission
  }

  export interface MembershipResponseViewSupernodesPeerIdFieldEvent {
    field: '$.view.supernodes[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipResponseViewSupernodesAddrsFieldEvent {
    field: '$.view.supernodes[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipResponseViewSupernodesCertFieldEvent {
    field: '$.view.supernodes[].cert'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipResponseViewMembersPeerIdFieldEvent {
    field: '$.view.members[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipResponseViewMembersAddrsFieldEvent {
    field: '$.view.members[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipResponseViewMembersCertFieldEvent {
    field: '$.view.members[].cert'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipResponseViewUsedInvitesNonceFieldEvent {
    field: '$.view.usedInvites[].nonce'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface MembershipResponseViewUsedInvitesExpiresFieldEvent {
    field: '$.view.usedInvites[].expires'
    value: bigint
    index: number
  }

  export interface MembershipResponseViewAuthorisedFieldEvent {
    field: '$.view.authorised[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MembershipResponseCertFieldEvent {
    field: '$.cert'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<MembershipResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, MembershipResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MembershipResponse>): MembershipResponse {
    return decodeMessage(buf, MembershipResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MembershipResponse>): Generator<MembershipResponseStatusFieldEvent | MembershipResponseErrorFieldEvent | MembershipResponseSettingsKFieldEvent | MembershipResponseSettingsRFieldEvent | MembershipResponseSettingsStabilizeIntervalMsFieldEvent | MembershipResponseSettingsFixFingersIntervalMsFieldEvent | MembershipResponseSettingsCheckPredecessorIntervalMsFieldEvent | MembershipResponseSettingsAdmissionFieldEvent | MembershipResponseSuccessorsPeerIdFieldEvent | MembershipResponseSuccessorsAddrsFieldEvent | MembershipResponseSuccessorsCertFieldEvent | MembershipResponseSupernodesPeerIdFieldEvent | MembershipResponseSupernodesAddrsFieldEvent | MembershipResponseSupernodesCertFieldEvent | MembershipResponseRetryAfterMsFieldEvent | MembershipResponseViewVersionFieldEvent | MembershipResponseViewEpochFieldEvent | MembershipResponseViewLeaderFieldEvent | MembershipResponseViewSettingsKFieldEvent | MembershipResponseViewSettingsRFieldEvent | MembershipResponseViewSettingsStabilizeIntervalMsFieldEvent | MembershipResponseViewSettingsFixFingersIntervalMsFieldEvent | MembershipResponseViewSettingsCheckPredecessorIntervalMsFieldEvent | MembershipResponseViewSettingsAdmissionFieldEvent | MembershipResponseViewSupernodesPeerIdFieldEvent | MembershipResponseViewSupernodesAddrsFieldEvent | MembershipResponseViewSupernodesCertFieldEvent | MembershipResponseViewMembersPeerIdFieldEvent | MembershipResponseViewMembersAddrsFieldEvent | MembershipResponseViewMembersCertFieldEvent | MembershipResponseViewUsedInvitesNonceFieldEvent | MembershipResponseViewUsedInvitesExpiresFieldEvent | MembershipResponseViewAuthorisedFieldEvent | MembershipResponseCertFieldEvent> {
    return streamMessage(buf, MembershipResponse.codec(), opts)
  }
}
