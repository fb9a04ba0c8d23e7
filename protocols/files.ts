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

export interface Version {
  time: bigint
  counter: number
  writer: string
}

export namespace Version {
  let _codec: Codec<Version>

  export const codec = (): Codec<Version> => {
    if (_codec == null) {
      _codec = message<Version>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.time != null && obj.time !== 0n)) {
          w.uint32(8)
          w.uint64(obj.time)
        }

        if ((obj.counter != null && obj.counter !== 0)) {
          w.uint32(16)
          w.uint32(obj.counter)
        }

        if ((obj.writer != null && obj.writer !== '')) {
          w.uint32(26)
          w.string(obj.writer)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          time: 0n,
          counter: 0,
          writer: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.time = reader.uint64()
              break
            }
            case 2: {
              obj.counter = reader.uint32()
              break
            }
            case 3: {
              obj.writer = reader.string()
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
                field: `${prefix}.time`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.counter`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.writer`,
                value: reader.string()
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

  export interface VersionTimeFieldEvent {
    field: '$.time'
    value: bigint
  }

  export interface VersionCounterFieldEvent {
    field: '$.counter'
    value: number
  }

  export interface VersionWriterFieldEvent {
    field: '$.writer'
    value: string
  }

  export function encode (obj: Partial<Version>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Version.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Version>): Version {
    return decodeMessage(buf, Version.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Version>): Generator<VersionTimeFieldEvent | VersionCounterFieldEvent | VersionWriterFieldEvent> {
    return streamMessage(buf, Version.codec(), opts)
  }
}

export interface FileRecord {
  name: string
  key: Uint8Array<ArrayBuffer>
  size: bigint
  hash: Uint8Array<ArrayBuffer>
  chunkSize: number
  chunkHashes: Uint8Array<ArrayBuffer>[]
  version?: Version
  tombstone: boolean
  contentType: string
  created: bigint
  modified: bigint
  signature: Uint8Array<ArrayBuffer>
}

export namespace FileRecord {
  let _codec: Codec<FileRecord>

  export const codec = (): Codec<FileRecord> => {
    if (_codec == null) {
      _codec = message<FileRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.key != null && obj.key.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.key)
        }

        if ((obj.size != null && obj.size !== 0n)) {
          w.uint32(24)
          w.uint64(obj.size)
        }

        if ((obj.hash != null && obj.hash.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.hash)
        }

        if ((obj.chunkSize != null && obj.chunkSize !== 0)) {
          w.uint32(40)
          w.uint32(obj.chunkSize)
        }

        if (obj.chunkHashes != null && obj.chunkHashes.length > 0) {
          for (const value of obj.chunkHashes) {
            w.uint32(50)
            w.bytes(value)
          }
        }

        if (obj.version != null) {
          w.uint32(58)
          Version.codec().encode(obj.version, w)
        }

        if ((obj.tombstone != null && obj.tombstone !== false)) {
          w.uint32(64)
          w.bool(obj.tombstone)
        }

        if ((obj.contentType != null && obj.contentType !== '')) {
          w.uint32(74)
          w.string(obj.contentType)
        }

        if ((obj.created != null && obj.created !== 0n)) {
          w.uint32(80)
          w.uint64(obj.created)
        }

        if ((obj.modified != null && obj.modified !== 0n)) {
          w.uint32(88)
          w.uint64(obj.modified)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(98)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          key: uint8ArrayAlloc(0),
          size: 0n,
          hash: uint8ArrayAlloc(0),
          chunkSize: 0,
          chunkHashes: [],
          tombstone: false,
          contentType: '',
          created: 0n,
          modified: 0n,
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.key = reader.bytes()
              break
            }
            case 3: {
              obj.size = reader.uint64()
              break
            }
            case 4: {
              obj.hash = reader.bytes()
              break
            }
            case 5: {
              obj.chunkSize = reader.uint32()
              break
            }
            case 6: {
              if (opts.limits?.chunkHashes != null && obj.chunkHashes.length === opts.limits.chunkHashes) {
                throw new MaxLengthError('Decode error - repeated field "chunkHashes" had too many elements')
              }

              obj.chunkHashes.push(reader.bytes())
              break
            }
            case 7: {
              obj.version = Version.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.version
              })
              break
            }
            case 8: {
              obj.tombstone = reader.bool()
              break
            }
            case 9: {
              obj.contentType = reader.string()
              break
            }
            case 10: {
              obj.created = reader.uint64()
              break
            }
            case 11: {
              obj.modified = reader.uint64()
              break
            }
            case 12: {
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
          chunkHashes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
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
              yield {
                field: `${prefix}.size`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.hash`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.chunkSize`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              if (opts.limits?.chunkHashes != null && obj.chunkHashes === opts.limits.chunkHashes) {
                throw new MaxLengthError('Streaming decode error - repeated field "chunkHashes" had too many elements')
              }

              yield {
                field: `${prefix}.chunkHashes[]`,
                index: obj.chunkHashes,
                value: reader.bytes()
              }

              obj.chunkHashes++

              break
            }
            case 7: {
              yield * Version.codec().stream(reader, reader.uint32(), `${prefix}.version`, {
                limits: opts.limits?.version
              })

              break
            }
            case 8: {
              yield {
                field: `${prefix}.tombstone`,
                value: reader.bool()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.contentType`,
                value: reader.string()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.created`,
                value: reader.uint64()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.modified`,
                value: reader.uint64()
              }
              break
            }
            case 12: {
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

  export interface FileRecordNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface FileRecordKeyFieldEvent {
    field: '$.key'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FileRecordSizeFieldEvent {
    field: '$.size'
    value: bigint
  }

  export interface FileRecordHashFieldEvent {
    field: '$.hash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FileRecordChunkSizeFieldEvent {
    field: '$.chunkSize'
    value: number
  }

  export interface FileRecordChunkHashesFieldEvent {
    field: '$.chunkHashes[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface FileRecordVersionTimeFieldEvent {
    field: '$.version.time'
    value: bigint
  }

  export interface FileRecordVersionCounterFieldEvent {
    field: '$.version.counter'
    value: number
  }

  export interface FileRecordVersionWriterFieldEvent {
    field: '$.version.writer'
    value: string
  }

  export interface FileRecordTombstoneFieldEvent {
    field: '$.tombstone'
    value: boolean
  }

  export interface FileRecordContentTypeFieldEvent {
    field: '$.contentType'
    value: string
  }

  export interface FileRecordCreatedFieldEvent {
    field: '$.created'
    value: bigint
  }

  export interface FileRecordModifiedFieldEvent {
    field: '$.modified'
    value: bigint
  }

  export interface FileRecordSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<FileRecord>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FileRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FileRecord>): FileRecord {
    return decodeMessage(buf, FileRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FileRecord>): Generator<FileRecordNameFieldEvent | FileRecordKeyFieldEvent | FileRecordSizeFieldEvent | FileRecordHashFieldEvent | FileRecordChunkSizeFieldEvent | FileRecordChunkHashesFieldEvent | FileRecordVersionTimeFieldEvent | FileRecordVersionCounterFieldEvent | FileRecordVersionWriterFieldEvent | FileRecordTombstoneFieldEvent | FileRecordContentTypeFieldEvent | FileRecordCreatedFieldEvent | FileRecordModifiedFieldEvent | FileRecordSignatureFieldEvent> {
    return streamMessage(buf, FileRecord.codec(), opts)
  }
}

export interface SignedVersion {
  key: Uint8Array<ArrayBuffer>
  version?: Version
  size: bigint
  hash: Uint8Array<ArrayBuffer>
  chunkRoot: Uint8Array<ArrayBuffer>
  tombstone: boolean
  chunkSize: number
  contentType: string
  created: bigint
  modified: bigint
}

export namespace SignedVersion {
  let _codec: Codec<SignedVersion>

  export const codec = (): Codec<SignedVersion> => {
    if (_codec == null) {
      _codec = message<SignedVersion>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.key != null && obj.key.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.key)
        }

        if (obj.version != null) {
          w.uint32(18)
          Version.codec().encode(obj.version, w)
        }

        if ((obj.size != null && obj.size !== 0n)) {
          w.uint32(24)
          w.uint64(obj.size)
        }

        if ((obj.hash != null && obj.hash.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.hash)
        }

        if ((obj.chunkRoot != null && obj.chunkRoot.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.chunkRoot)
        }

        if ((obj.tombstone != null && obj.tombstone !== false)) {
          w.uint32(48)
          w.bool(obj.tombstone)
        }

        if ((obj.chunkSize != null && obj.chunkSize !== 0)) {
          w.uint32(56)
          w.uint32(obj.chunkSize)
        }

        if ((obj.contentType != null && obj.contentType !== '')) {
          w.uint32(66)
          w.string(obj.contentType)
        }

        if ((obj.created != null && obj.created !== 0n)) {
          w.uint32(72)
          w.uint64(obj.created)
        }

        if ((obj.modified != null && obj.modified !== 0n)) {
          w.uint32(80)
          w.uint64(obj.modified)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          key: uint8ArrayAlloc(0),
          size: 0n,
          hash: uint8ArrayAlloc(0),
          chunkRoot: uint8ArrayAlloc(0),
          tombstone: false,
          chunkSize: 0,
          contentType: '',
          created: 0n,
          modified: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.key = reader.bytes()
              break
            }
            case 2: {
              obj.version = Version.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.version
              })
              break
            }
            case 3: {
              obj.size = reader.uint64()
              break
            }
            case 4: {
              obj.hash = reader.bytes()
              break
            }
            case 5: {
              obj.chunkRoot = reader.bytes()
              break
            }
            case 6: {
              obj.tombstone = reader.bool()
              break
            }
            case 7: {
              obj.chunkSize = reader.uint32()
              break
            }
            case 8: {
              obj.contentType = reader.string()
              break
            }
            case 9: {
              obj.created = reader.uint64()
              break
            }
            case 10: {
              obj.modified = reader.uint64()
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
                field: `${prefix}.key`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield * Version.codec().stream(reader, reader.uint32(), `${prefix}.version`, {
                limits: opts.limits?.version
              })

              break
            }
            case 3: {
              yield {
                field: `${prefix}.size`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.hash`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.chunkRoot`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.tombstone`,
                value: reader.bool()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.chunkSize`,
                value: reader.uint32()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.contentType`,
                value: reader.string()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.created`,
                value: reader.uint64()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.modified`,
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

  export interface SignedVersionKeyFieldEvent {
    field: '$.key'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedVersionVersionTimeFieldEvent {
    field: '$.version.time'
    value: bigint
  }

  export interface SignedVersionVersionCounterFieldEvent {
    field: '$.version.counter'
    value: number
  }

  export interface SignedVersionVersionWriterFieldEvent {
    field: '$.version.writer'
    value: string
  }

  export interface SignedVersionSizeFieldEvent {
    field: '$.size'
    value: bigint
  }

  export interface SignedVersionHashFieldEvent {
    field: '$.hash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedVersionChunkRootFieldEvent {
    field: '$.chunkRoot'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedVersionTombstoneFieldEvent {
    field: '$.tombstone'
    value: boolean
  }

  export interface SignedVersionChunkSizeFieldEvent {
    field: '$.chunkSize'
    value: number
  }

  export interface SignedVersionContentTypeFieldEvent {
    field: '$.contentType'
    value: string
  }

  export interface SignedVersionCreatedFieldEvent {
    field: '$.created'
    value: bigint
  }

  export interface SignedVersionModifiedFieldEvent {
    field: '$.modified'
    value: bigint
  }

  export function encode (obj: Partial<SignedVersion>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SignedVersion.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedVersion>): SignedVersion {
    return decodeMessage(buf, SignedVersion.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedVersion>): Generator<SignedVersionKeyFieldEvent | SignedVersionVersionTimeFieldEvent | SignedVersionVersionCounterFieldEvent | SignedVersionVersionWriterFieldEvent | SignedVersionSizeFieldEvent | SignedVersionHashFieldEvent | SignedVersionChunkRootFieldEvent | SignedVersionTombstoneFieldEvent | SignedVersionChunkSizeFieldEvent | SignedVersionContentTypeFieldEvent | SignedVersionCreatedFieldEvent | SignedVersionModifiedFieldEvent> {
    return streamMessage(buf, SignedVersion.codec(), opts)
  }
}

export interface StoreHeader {
  record?: FileRecord
  chain: Peer[]
}

export namespace StoreHeader {
  let _codec: Codec<StoreHeader>

  export const codec = (): Codec<StoreHeader> => {
    if (_codec == null) {
      _codec = message<StoreHeader>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.record != null) {
          w.uint32(10)
          FileRecord.codec().encode(obj.record, w)
        }

        if (obj.chain != null && obj.chain.length > 0) {
          for (const value of obj.chain) {
            w.uint32(18)
            Peer.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          chain: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.record = FileRecord.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.record
              })
              break
            }
            case 2: {
              if (opts.limits?.chain != null && obj.chain.length === opts.limits.chain) {
                throw new MaxLengthError('Decode error - repeated field "chain" had too many elements')
              }

              obj.chain.push(Peer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.chain$
              }))
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
          chain: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * FileRecord.codec().stream(reader, reader.uint32(), `${prefix}.record`, {
                limits: opts.limits?.record
              })

              break
            }
            case 2: {
              if (opts.limits?.chain != null && obj.chain === opts.limits.chain) {
                throw new MaxLengthError('Streaming decode error - repeated field "chain" had too many elements')
              }

              for (const evt of Peer.codec().stream(reader, reader.uint32(), `${prefix}.chain[]`, {
                limits: opts.limits?.chain$
              })) {
                yield {
                  ...evt,
                  index: obj.chain
                }
              }

              obj.chain++

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

  export interface StoreHeaderRecordNameFieldEvent {
    field: '$.record.name'
    value: string
  }

  export interface StoreHeaderRecordKeyFieldEvent {
    field: '$.record.key'
    value: Uint8Array<ArrayBuffer>
  }

  export interface StoreHeaderRecordSizeFieldEvent {
    field: '$.record.size'
    value: bigint
  }

  export interface StoreHeaderRecordHashFieldEvent {
    field: '$.record.hash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface StoreHeaderRecordChunkSizeFieldEvent {
    field: '$.record.chunkSize'
    value: number
  }

  export interface StoreHeaderRecordChunkHashesFieldEvent {
    field: '$.record.chunkHashes[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface StoreHeaderRecordVersionTimeFieldEvent {
    field: '$.record.version.time'
    value: bigint
  }

  export interface StoreHeaderRecordVersionCounterFieldEvent {
    field: '$.record.version.counter'
    value: number
  }

  export interface StoreHeaderRecordVersionWriterFieldEvent {
    field: '$.record.version.writer'
    value: string
  }

  export interface StoreHeaderRecordTombstoneFieldEvent {
    field: '$.record.tombstone'
    value: boolean
  }

  export interface StoreHeaderRecordContentTypeFieldEvent {
    field: '$.record.contentType'
    value: string
  }

  export interface StoreHeaderRecordCreatedFieldEvent {
    field: '$.record.created'
    value: bigint
  }

  export interface StoreHeaderRecordModifiedFieldEvent {
    field: '$.record.modified'
    value: bigint
  }

  export interface StoreHeaderRecordSignatureFieldEvent {
    field: '$.record.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface StoreHeaderChainPeerIdFieldEvent {
    field: '$.chain[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface StoreHeaderChainAddrsFieldEvent {
    field: '$.chain[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface StoreHeaderChainCertFieldEvent {
    field: '$.chain[].cert'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export function encode (obj: Partial<StoreHeader>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StoreHeader.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreHeader>): StoreHeader {
    return decodeMessage(buf, StoreHeader.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreHeader>): Generator<StoreHeaderRecordNameFieldEvent | StoreHeaderRecordKeyFieldEvent | StoreHeaderRecordSizeFieldEvent | StoreHeaderRecordHashFieldEvent | StoreHeaderRecordChunkSizeFieldEvent | StoreHeaderRecordChunkHashesFieldEvent | StoreHeaderRecordVersionTimeFieldEvent | StoreHeaderRecordVersionCounterFieldEvent | StoreHeaderRecordVersionWriterFieldEvent | StoreHeaderRecordTombstoneFieldEvent | StoreHeaderRecordContentTypeFieldEvent | StoreHeaderRecordCreatedFieldEvent | StoreHeaderRecordModifiedFieldEvent | StoreHeaderRecordSignatureFieldEvent | StoreHeaderChainPeerIdFieldEvent | StoreHeaderChainAddrsFieldEvent | StoreHeaderChainCertFieldEvent> {
    return streamMessage(buf, StoreHeader.codec(), opts)
  }
}

export interface StoreTrailer {
  size: bigint
  hash: Uint8Array<ArrayBuffer>
  chunkHashes: Uint8Array<ArrayBuffer>[]
  signature: Uint8Array<ArrayBuffer>
}

export namespace StoreTrailer {
  let _codec: Codec<StoreTrailer>

  export const codec = (): Codec<StoreTrailer> => {
    if (_codec == null) {
      _codec = message<StoreTrailer>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.size != null && obj.size !== 0n)) {
          w.uint32(8)
          w.uint64(obj.size)
        }

        if ((obj.hash != null && obj.hash.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.hash)
        }

        if (obj.chunkHashes != null && obj.chunkHashes.length > 0) {
          for (const value of obj.chunkHashes) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          size: 0n,
          hash: uint8ArrayAlloc(0),
          chunkHashes: [],
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.size = reader.uint64()
              break
            }
            case 2: {
              obj.hash = reader.bytes()
              break
            }
            case 3: {
              if (opts.limits?.chunkHashes != null && obj.chunkHashes.length === opts.limits.chunkHashes) {
                throw new MaxLengthError('Decode error - repeated field "chunkHashes" had too many elements')
              }

              obj.chunkHashes.push(reader.bytes())
              break
            }
            case 4: {
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
          chunkHashes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.size`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.hash`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              if (opts.limits?.chunkHashes != null && obj.chunkHashes === opts.limits.chunkHashes) {
                throw new MaxLengthError('Streaming decode error - repeated field "chunkHashes" had too many elements')
              }

              yield {
                field: `${prefix}.chunkHashes[]`,
                index: obj.chunkHashes,
                value: reader.bytes()
              }

              obj.chunkHashes++

              break
            }
            case 4: {
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

  export interface StoreTrailerSizeFieldEvent {
    field: '$.size'
    value: bigint
  }

  export interface StoreTrailerHashFieldEvent {
    field: '$.hash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface StoreTrailerChunkHashesFieldEvent {
    field: '$.chunkHashes[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface StoreTrailerSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<StoreTrailer>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StoreTrailer.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreTrailer>): StoreTrailer {
    return decodeMessage(buf, StoreTrailer.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreTrailer>): Generator<StoreTrailerSizeFieldEvent | StoreTrailerHashFieldEvent | StoreTrailerChunkHashesFieldEvent | StoreTrailerSignatureFieldEvent> {
    return streamMessage(buf, StoreTrailer.codec(), opts)
  }
}

export interface StoreResult {
  status: StoreResult.Status
  error: string
  stored: Peer[]
}

export namespace StoreResult {
  export enum Status {
    OK = 'OK',
    MISMATCH = 'MISMATCH',
    NO_SPACE = 'NO_SPACE',
    FAILED = 'FAILED',
    BAD_SIGNATURE = 'BAD_SIGNATURE'
  }

  enum __StatusValues {
    OK = 0,
    MISMATCH = 1,
    NO_SPACE = 2,
    FAILED = 3,
    BAD_SIGNATURE = 4
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<StoreResult>

  export const codec = (): Codec<StoreResult> => {
    if (_codec == null) {
      _codec = message<StoreResult>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          StoreResult.Status.codec().encode(obj.status, w)
        }

        if ((obj.error != null && obj.error !== '')) {
          w.uint32(18)
          w.string(obj.error)
        }

        if (obj.stored != null && obj.stored.length > 0) {
          for (const value of obj.stored) {
            w.uint32(26)
            Peer.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          error: '',
          stored: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = StoreResult.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.error = reader.string()
              break
            }
            case 3: {
              if (opts.limits?.stored != null && obj.stored.length === opts.limits.stored) {
                throw new MaxLengthError('Decode error - repeated field "stored" had too many elements')
              }

              obj.stored.push(Peer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.stored$
              }))
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
          stored: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: StoreResult.Status.codec().decode(reader)
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
              if (opts.limits?.stored != null && obj.stored === opts.limits.stored) {
                throw new MaxLengthError('Streaming decode error - repeated field "stored" had too many elements')
              }

              for (const evt of Peer.codec().stream(reader, reader.uint32(), `${prefix}.stored[]`, {
                limits: opts.limits?.stored$
              })) {
                yield {
                  ...evt,
                  index: obj.stored
                }
              }

              obj.stored++

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

  export interface StoreResultStatusFieldEvent {
    field: '$.status'
    value: StoreResult.Status
  }

  export interface StoreResultErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export interface StoreResultStoredPeerIdFieldEvent {
    field: '$.stored[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface StoreResultStoredAddrsFieldEvent {
    field: '$.stored[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface StoreResultStoredCertFieldEvent {
    field: '$.stored[].cert'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export function encode (obj: Partial<StoreResult>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StoreResult.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreResult>): StoreResult {
    return decodeMessage(buf, StoreResult.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoreResult>): Generator<StoreResultStatusFieldEvent | StoreResultErrorFieldEvent | StoreResultStoredPeerIdFieldEvent | StoreResultStoredAddrsFieldEvent | StoreResultStoredCertFieldEvent> {
    return streamMessage(buf, StoreResult.codec(), opts)
  }
}

export interface FetchRequest {
  key: Uint8Array<ArrayBuffer>
  offset: bigint
  length: bigint
  recordOnly: boolean
}

export namespace FetchRequest {
  let _codec: Codec<FetchRequest>

  export const codec = (): Codec<FetchRequest> => {
    if (_codec == null) {
      _codec = message<FetchRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.key != null && obj.key.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.key)
        }

        if ((obj.offset != null && obj.offset !== 0n)) {
          w.uint32(16)
          w.uint64(obj.offset)
        }

        if ((obj.length != null && obj.length !== 0n)) {
          w.uint32(24)
          w.uint64(obj.length)
        }

        if ((obj.recordOnly != null && obj.recordOnly !== false)) {
          w.uint32(32)
          w.bool(obj.recordOnly)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          key: uint8ArrayAlloc(0),
          offset: 0n,
          length: 0n,
          recordOnly: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.key = reader.bytes()
              break
            }
            case 2: {
              obj.offset = reader.uint64()
              break
            }
            case 3: {
              obj.length = reader.uint64()
              break
            }
            case 4: {
              obj.recordOnly = reader.bool()
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
                field: `${prefix}.key`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.offset`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.length`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.recordOnly`,
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

  export interface FetchRequestKeyFieldEvent {
    field: '$.key'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchRequestOffsetFieldEvent {
    field: '$.offset'
    value: bigint
  }

  export interface FetchRequestLengthFieldEvent {
    field: '$.length'
    value: bigint
  }

  export interface FetchRequestRecordOnlyFieldEvent {
    field: '$.recordOnly'
    value: boolean
  }

  export function encode (obj: Partial<FetchRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FetchRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchRequest>): FetchRequest {
    return decodeMessage(buf, FetchRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchRequest>): Generator<FetchRequestKeyFieldEvent | FetchRequestOffsetFieldEvent | FetchRequestLengthFieldEvent | FetchRequestRecordOnlyFieldEvent> {
    return streamMessage(buf, FetchRequest.codec(), opts)
  }
}

export interface FetchHeader {
  found: boolean
  record?: FileRecord
}

export namespace FetchHeader {
  let _codec: Codec<FetchHeader>

  export const codec = (): Codec<FetchHeader> => {
    if (_codec == null) {
      _codec = message<FetchHeader>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.found != null && obj.found !== false)) {
          w.uint32(8)
          w.bool(obj.found)
        }

        if (obj.record != null) {
          w.uint32(18)
          FileRecord.codec().encode(obj.record, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          found: false
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
              obj.record = FileRecord.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.record
              })
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
                field: `${prefix}.found`,
                value: reader.bool()
              }
              break
            }
            case 2: {
              yield * FileRecord.codec().stream(reader, reader.uint32(), `${prefix}.record`, {
                limits: opts.limits?.record
              })

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

  export interface FetchHeaderFoundFieldEvent {
    field: '$.found'
    value: boolean
  }

  export interface FetchHeaderRecordNameFieldEvent {
    field: '$.record.name'
    value: string
  }

  export interface FetchHeaderRecordKeyFieldEvent {
    field: '$.record.key'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchHeaderRecordSizeFieldEvent {
    field: '$.record.size'
    value: bigint
  }

  export interface FetchHeaderRecordHashFieldEvent {
    field: '$.record.hash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchHeaderRecordChunkSizeFieldEvent {
    field: '$.record.chunkSize'
    value: number
  }

  export interface FetchHeaderRecordChunkHashesFieldEvent {
    field: '$.record.chunkHashes[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchHeaderRecordVersionTimeFieldEvent {
    field: '$.record.version.time'
    value: bigint
  }

  export interface FetchHeaderRecordVersionCounterFieldEvent {
    field: '$.record.version.counter'
    value: number
  }

  export interface FetchHeaderRecordVersionWriterFieldEvent {
    field: '$.record.version.writer'
    value: string
  }

  export interface FetchHeaderRecordTombstoneFieldEvent {
    field: '$.record.tombstone'
    value: boolean
  }

  export interface FetchHeaderRecordContentTypeFieldEvent {
    field: '$.record.contentType'
    value: string
  }

  export interface FetchHeaderRecordCreatedFieldEvent {
    field: '$.record.created'
    value: bigint
  }

  export interface FetchHeaderRecordModifiedFieldEvent {
    field: '$.record.modified'
    value: bigint
  }

  export interface FetchHeaderRecordSignatureFieldEvent {
    field: '$.record.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<FetchHeader>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FetchHeader.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchHeader>): FetchHeader {
    return decodeMessage(buf, FetchHeader.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchHeader>): Generator<FetchHeaderFoundFieldEvent | FetchHeaderRecordNameFieldEvent | FetchHeaderRecordKeyFieldEvent | FetchHeaderRecordSizeFieldEvent | FetchHeaderRecordHashFieldEvent | FetchHeaderRecordChunkSizeFieldEvent | FetchHeaderRecordChunkHashesFieldEvent | FetchHeaderRecordVersionTimeFieldEvent | FetchHeaderRecordVersionCounterFieldEvent | FetchHeaderRecordVersionWriterFieldEvent | FetchHeaderRecordTombstoneFieldEvent | FetchHeaderRecordContentTypeFieldEvent | FetchHeaderRecordCreatedFieldEvent | FetchHeaderRecordModifiedFieldEvent | FetchHeaderRecordSignatureFieldEvent> {
    return streamMessage(buf, FetchHeader.codec(), opts)
  }
}

export interface IndexRequest {
  type: IndexRequest.Type
  key: Uint8Array<ArrayBuffer>
  after: Uint8Array<ArrayBuffer>
  upto: Uint8Array<ArrayBuffer>
  limit: number
  includeTombstones: boolean
  prefix?: string
}

export namespace IndexRequest {
  export enum Type {
    STAT = 'STAT',
    LIST = 'LIST',
    DIGEST = 'DIGEST',
    VERIFY = 'VERIFY'
  }

  enum __TypeValues {
    STAT = 0,
    LIST = 1,
    DIGEST = 2,
    VERIFY = 3
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  let _codec: Codec<IndexRequest>

  export const codec = (): Codec<IndexRequest> => {
    if (_codec == null) {
      _codec = message<IndexRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(8)
          IndexRequest.Type.codec().encode(obj.type, w)
        }

        if ((obj.key != null && obj.key.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.key)
        }

        if ((obj.after != null && obj.after.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.after)
        }

        if ((obj.upto != null && obj.upto.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.upto)
        }

        if ((obj.limit != null && obj.limit !== 0)) {
          w.uint32(40)
          w.uint32(obj.limit)
        }

        if ((obj.includeTombstones != null && obj.includeTombstones !== false)) {
          w.uint32(48)
          w.bool(obj.includeTombstones)
        }

        if (obj.prefix != null) {
          w.uint32(58)
          w.string(obj.prefix)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: Type.STAT,
          key: uint8ArrayAlloc(0),
          after: uint8ArrayAlloc(0),
          upto: uint8ArrayAlloc(0),
          limit: 0,
          includeTombstones: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = IndexRequest.Type.codec().decode(reader)
              break
            }
            case 2: {
              obj.key = reader.bytes()
              break
            }
            case 3: {
              obj.after = reader.bytes()
              break
            }
            case 4: {
              obj.upto = reader.bytes()
              break
            }
            case 5: {
              obj.limit = reader.uint32()
              break
            }
            case 6: {
              obj.includeTombstones = reader.bool()
              break
            }
            case 7: {
              obj.prefix = reader.string()
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
                value: IndexRequest.Type.codec().decode(reader)
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
              yield {
                field: `${prefix}.after`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.upto`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.limit`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.includeTombstones`,
                value: reader.bool()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.prefix`,
                value: reader.string()
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

  export interface IndexRequestTypeFieldEvent {
    field: '$.type'
    value: IndexRequest.Type
  }

  export interface IndexRequestKeyFieldEvent {
    field: '$.key'
    value: Uint8Array<ArrayBuffer>
  }

  export interface IndexRequestAfterFieldEvent {
    field: '$.after'
    value: Uint8Array<ArrayBuffer>
  }

  export interface IndexRequestUptoFieldEvent {
    field: '$.upto'
    value: Uint8Array<ArrayBuffer>
  }

  export interface IndexRequestLimitFieldEvent {
    field: '$.limit'
    value: number
  }

  export interface IndexRequestIncludeTombstonesFieldEvent {
    field: '$.includeTombstones'
    value: boolean
  }

  export interface IndexRequestPrefixFieldEvent {
    field: '$.prefix'
    value: string
  }

  export function encode (obj: Partial<IndexRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, IndexRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<IndexRequest>): IndexRequest {
    return decodeMessage(buf, IndexRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<IndexRequest>): Generator<IndexRequestTypeFieldEvent | IndexRequestKeyFieldEvent | IndexRequestAfterFieldEvent | IndexRequestUptoFieldEvent | IndexRequestLimitFieldEvent | IndexRequestIncludeTombstonesFieldEvent | IndexRequestPrefixFieldEvent> {
    return streamMessage(buf, IndexRequest.codec(), opts)
  }
}

export interface IndexResponse {
  records: FileRecord[]
  more: boolean
  digest: Uint8Array<ArrayBuffer>
  count: number
  cursor?: Uint8Array<ArrayBuffer>
}

export namespace IndexResponse {
  let _codec: Codec<IndexResponse>

  export const codec = (): Codec<IndexResponse> => {
    if (_codec == null) {
      _codec = message<IndexResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.records != null && obj.records.length > 0) {
          for (const value of obj.records) {
            w.uint32(10)
            FileRecord.codec().encode(value, w)
          }
        }

        if ((obj.more != null && obj.more !== false)) {
          w.uint32(16)
          w.bool(obj.more)
        }

        if ((obj.digest != null && obj.digest.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.digest)
        }

        if ((obj.count != null && obj.count !== 0)) {
          w.uint32(32)
          w.uint32(obj.count)
        }

        if (obj.cursor != null) {
          w.uint32(42)
          w.bytes(obj.cursor)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          records: [],
          more: false,
          digest: uint8ArrayAlloc(0),
          count: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.records != null && obj.records.length === opts.limits.records) {
                throw new MaxLengthError('Decode error - repeated field "records" had too many elements')
              }

              obj.records.push(FileRecord.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.records$
              }))
              break
            }
            case 2: {
              obj.more = reader.bool()
              break
            }
            case 3: {
              obj.digest = reader.bytes()
              break
            }
            case 4: {
              obj.count = reader.uint32()
              break
            }
            case 5: {
              obj.cursor = reader.bytes()
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
          records: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.records != null && obj.records === opts.limits.records) {
                throw new MaxLengthError('Streaming decode error - repeated field "records" had too many elements')
              }

              for (const evt of FileRecord.codec().stream(reader, reader.uint32(), `${prefix}.records[]`, {
                limits: opts.limits?.records$
              })) {
                yield {
                  ...evt,
                  index: obj.records
                }
              }

              obj.records++

              break
            }
            case 2: {
              yield {
                field: `${prefix}.more`,
                value: reader.bool()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.digest`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.count`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.cursor`,
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

  export interface IndexResponseRecordsNameFieldEvent {
    field: '$.records[].name'
    value: string
    index: number
  }

  export interface IndexResponseRecordsKeyFieldEvent {
    field: '$.records[].key'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface IndexResponseRecordsSizeFieldEvent {
    field: '$.records[].size'
    value: bigint
    index: number
  }

  export interface IndexResponseRecordsHashFieldEvent {
    field: '$.records[].hash'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface IndexResponseRecordsChunkSizeFieldEvent {
    field: '$.records[].chunkSize'
    value: number
    index: number
  }

  export interface IndexResponseRecordsChunkHashesFieldEvent {
    field: '$.records[].chunkHashes[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface IndexResponseRecordsVersionTimeFieldEvent {
    field: '$.records[].version.time'
    value: bigint
    index: number
  }

  export interface IndexResponseRecordsVersionCounterFieldEvent {
    field: '$.records[].version.counter'
    value: number
    index: number
  }

  export interface IndexResponseRecordsVersionWriterFieldEvent {
    field: '$.records[].version.writer'
    value: string
    index: number
  }

  export interface IndexResponseRecordsTombstoneFieldEvent {
    field: '$.records[].tombstone'
    value: boolean
    index: number
  }

  export interface IndexResponseRecordsContentTypeFieldEvent {
    field: '$.records[].contentType'
    value: string
    index: number
  }

  export interface IndexResponseRecordsCreatedFieldEvent {
    field: '$.records[].created'
    value: bigint
    index: number
  }

  export interface IndexResponseRecordsModifiedFieldEvent {
    field: '$.records[].modified'
    value: bigint
    index: number
  }

  export interface IndexResponseRecordsSignatureFieldEvent {
    field: '$.records[].signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface IndexResponseMoreFieldEvent {
    field: '$.more'
    value: boolean
  }

  export interface IndexResponseDigestFieldEvent {
    field: '$.digest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface IndexResponseCountFieldEvent {
    field: '$.count'
    value: number
  }

  export interface IndexResponseCursorFieldEvent {
    field: '$.cursor'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<IndexResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, IndexResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<IndexResponse>): IndexResponse {
    return decodeMessage(buf, IndexResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<IndexResponse>): Generator<IndexResponseRecordsNameFieldEvent | IndexResponseRecordsKeyFieldEvent | IndexResponseRecordsSizeFieldEvent | IndexResponseRecordsHashFieldEvent | IndexResponseRecordsChunkSizeFieldEvent | IndexResponseRecordsChunkHashesFieldEvent | IndexResponseRecordsVersionTimeFieldEvent | IndexResponseRecordsVersionCounterFieldEvent | IndexResponseRecordsVersionWriterFieldEvent | IndexResponseRecordsTombstoneFieldEvent | IndexResponseRecordsContentTypeFieldEvent | IndexResponseRecordsCreatedFieldEvent | IndexResponseRecordsModifiedFieldEvent | IndexResponseRecordsSignatureFieldEvent | IndexResponseMoreFieldEvent | IndexResponseDigestFieldEvent | IndexResponseCountFieldEvent | IndexResponseCursorFieldEvent> {
    return streamMessage(buf, IndexResponse.codec(), opts)
  }
}
