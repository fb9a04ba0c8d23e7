// Signed versions (protocols/README.md §10.3): every version of a file is signed by its writer, the node named in
// `version.writer` (the entry of the put or delete), with its libp2p key, over a SignedVersion: every field of
// the record but the name (which the key binds) and the chunk hashes (a root over them stands in). A node
// commits, serves as newest and restores only versions whose signature verifies and whose time is not too far
// ahead of its clock, so no member can write a version in another's name, and no holder can change a version it
// passes on. A PeerId embeds its Ed25519 public key, so the writer field alone names the key that must verify.
import { peerIdFromString } from '@libp2p/peer-id'
import { SignedVersion } from '../../protocols/files.js'
import { BadSignatureError, InvalidMessageError } from '../errors.js'
import { chunkRoot } from './hashing.js'
import { MAX_CLOCK_AHEAD_MS, tooFarAhead, type FileRecord } from './record.js'
import { bytesToHex, hexToBytes } from './wire.js'
import type { PrivateKey } from '@libp2p/interface'

const EMPTY = new Uint8Array(0)
/**
 * Signatures verified lately, each with the bytes it signs (hex). A read verifies the record of every placement
 * node, mostly the same version, and reads of one file repeat: each version is then checked with one Ed25519
 * verification (0.1–0.3 ms) instead of one per reply. Verification is a pure function of the bytes and the
 * signature (the writer is among the bytes), so one cache serves every node of the process.
 */
const verified = new Map<string, string>()
const VERIFIED_MAX = 1024

/** What the writer signs of `record`: its SignedVersion, encoded. A tombstone has an empty hash and chunk root. */
export function signedBytes (record: FileRecord): Uint8Array {
  const { version } = record
  return SignedVersion.encode({
    key: hexToBytes(record.key),
    version: { time: BigInt(version.time), counter: version.counter, writer: version.writer },
    size: BigInt(record.size),
    hash: record.tombstone ? EMPTY : hexToBytes(record.hash),
    chunkRoot: record.tombstone ? EMPTY : chunkRoot(record.chunkHashes),
    tombstone: record.tombstone,
    chunkSize: record.chunkSize,
    contentType: record.contentType,
    created: BigInt(record.created),
    modified: BigInt(record.modified)
  })
}

/** `record` (complete) with its signature by `key`, which must be the key of `record.version.writer`. */
export async function signRecord (key: PrivateKey, record: FileRecord): Promise<FileRecord> {
  return { ...record, signature: bytesToHex(await key.sign(signedBytes(record))) }
}

/** Is `record.signature` its writer's signature of it? False for an unsigned record or a writer without an Ed25519 key. */
export function verifyRecord (record: FileRecord): boolean {
  if (record.signature === '') return false
  try {
    const bytes = signedBytes(record)
    const hex = bytesToHex(bytes)
    if (verified.get(record.signature) === hex) return true
    const key = peerIdFromString(record.version.writer).publicKey
    if (key?.type !== 'Ed25519' || key.verify(bytes, hexToBytes(record.signature)) !== true) return false
    if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!)
    verified.set(record.signature, hex)
    return true
  } catch {
    return false // a writer that is no PeerId, a time or size that is no integer: nothing verifies
  }
}

/**
 * Why this node must not take `record` in at `now`, or undefined: BadSignatureError when its signature does not
 * verify, InvalidMessageError when its time is more than MAX_CLOCK_AHEAD_MS ahead of `now`.
 */
export function versionProblem (record: FileRecord, now: number): Error | undefined {
  if (tooFarAhead(record.version, now)) {
    return new InvalidMessageError(`version ${record.version.time}.${record.version.counter} of ${JSON.stringify(record.name)} ` +
      `is more than ${MAX_CLOCK_AHEAD_MS / 1000} s ahead of this node's clock`)
  }
  if (!verifyRecord(record)) {
    return new BadSignatureError(`version ${record.version.time}.${record.version.counter} of ${JSON.stringify(record.name)} ` +
      `is not signed by its writer ${record.version.writer}`)
  }
  return undefined
}

/** Throws versionProblem's error, if any. */
export function checkVersion (record: FileRecord, now: number): void {
  const problem = versionProblem(record, now)
  if (problem !== undefined) throw problem
}
