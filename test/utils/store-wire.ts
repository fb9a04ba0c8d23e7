// Crafted store transfers (/chord-peer/store, protocols/README.md §10.4) for tests that play a hostile member: a
// version of a name as the test wants it (any writer, time or signature), the bytes of the whole transfer
// (header, content frames, the empty frame, the trailer), and sending them from a node's own libp2p host to
// another node, which answers a StoreResult or resets the stream.
import { multiaddr } from '@multiformats/multiaddr'
import { StoreHeader, StoreResult, StoreTrailer, type FileRecord as WireRecord } from '../../protocols/files.js'
import { ChunkHasher, sha256Hex } from '../../src/files/hashing.js'
import { DEFAULT_CHUNK_SIZE, type FileRecord } from '../../src/files/record.js'
import { STORE_PROTOCOL } from '../../src/files/store.js'
import { hexToBytes, recordToWire } from '../../src/files/wire.js'
import { frame, sendRaw } from './raw-wire.js'
import type { Peer } from '../../src/peer.js'

/** A complete, unsigned version of `name` with `content`, written by `writer` at `time`. */
export function version (
  name: string, content: Uint8Array, writer: string, options: { time?: number, tombstone?: boolean } = {}
): FileRecord {
  const hasher = new ChunkHasher(DEFAULT_CHUNK_SIZE)
  hasher.update(content)
  const digest = hasher.digest()
  const time = options.time ?? Date.now()
  return {
    name,
    key: sha256Hex(name),
    ...digest,
    chunkSize: DEFAULT_CHUNK_SIZE,
    version: { time, counter: 0, writer },
    tombstone: options.tombstone === true,
    contentType: 'text/plain',
    created: time,
    modified: time,
    signature: ''
  }
}

/**
 * The bytes of a store of `record` with `content` and an empty chain: its header (`header` instead, for a
 * record the domain type cannot hold), the content in one frame, the empty frame, and a trailer of the record's
 * size, hashes and signature.
 */
export function storeBytes (record: FileRecord, content: Uint8Array, header: WireRecord = recordToWire(record)): Uint8Array {
  const trailer = StoreTrailer.encode({
    size: BigInt(record.size),
    hash: hexToBytes(record.hash),
    chunkHashes: record.chunkHashes.map(hexToBytes),
    signature: hexToBytes(record.signature)
  })
  const data = content.length === 0 ? [] : [...frame(content)]
  return Uint8Array.from([
    ...frame(StoreHeader.encode({ record: header, chain: [] })), ...data, ...frame(new Uint8Array(0)), ...frame(trailer)
  ])
}

/** Send a store transfer from `from`'s host to `to`: the StoreResult it answered, or 'reset' / 'closed'. */
export async function storeFrom (from: Peer, to: Peer, bytes: Uint8Array): Promise<StoreResult | 'reset' | 'closed'> {
  const stream = await from.host.dialProtocol(multiaddr(to.multiaddrs[0]), STORE_PROTOCOL)
  const reply = await sendRaw(stream, bytes)
  return reply instanceof Uint8Array ? StoreResult.decode(reply) : reply
}
