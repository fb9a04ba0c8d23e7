// /chord-peer/store/3.0.0: one version travels down the replica chain, pipelined. Each hop hashes the bytes once
// as they pass (chunk hashes; the blob is filed under their root, hashing.ts `blobAddress`), forwards every frame
// to the next live node of the chain before writing it locally, and commits (blob, then record) only when its own
// size and chunk hashes equal the trailer's. A hop that fails
// downstream still commits locally and reports only what it stored; the caller counts acknowledgements.
// Trust (protocols/README.md §10.3, §10.4): the entry signs the complete version once it knows the content's
// hashes, and the trailer carries the signature; every hop checks it before it commits or forwards. At the header
// a hop refuses a version too far ahead of its clock, a key outside its placement, or a newer version of a name
// another member owns there.
import { StoreHeader, StoreResult, StoreTrailer } from '../../protocols/files.js'
import {
  BadSignatureError, BusyError, IntegrityError, InvalidInputError, InvalidMessageError, NoSpaceError, NotFoundError, NotOwnerError,
  QuotaError, UnreachableError
} from '../errors.js'
import {
  FRAME_BYTES, framed, idle, MAX_HEADER_BYTES, readerBytes, readFrameLists, rechunkLists, recordFrameBytes, writeEnd, writeFrame,
  type Framed
} from './frames.js'
import { verifiedLocalChunks } from './fetch.js'
import { blobAddress, ChunkHasher, type ContentDigest } from './hashing.js'
import { placement } from './context.js'
import { checkReplace } from './owners.js'
import { MAX_CLOCK_AHEAD_MS, tooFarAhead } from './record.js'
import { checkVersion, signRecord } from './signature.js'
import { serveStream } from '../net/rpc.js'
import { bytesToHex, hexToBytes, MAX_FILE_SIZE, recordFromWire, recordToWire } from './wire.js'
import type { FilesContext } from './context.js'
import type { FileRecord } from './record.js'
import type { NodeRef } from '../ring/index.js'
import type { Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

export const STORE_PROTOCOL = '/chord-peer/store/3.0.0'
/** Longest a hop waits to open a stream to the next node of its chain before it tries the node after it. */
export const CHAIN_OPEN_MS = 10_000
/** Longest chain a header may name (k ≤ 16). */
export const MAX_CHAIN = 16
/** Largest StoreResult: a status, the reason and up to MAX_CHAIN peers, like a header (MAX_HEADER_BYTES). */
export const MAX_RESULT_BYTES = MAX_HEADER_BYTES
/**
 * What one inbound store stream may hold, reserved from the transfer budget for as long as it runs: what its
 * reader buffers (data frames of at most FRAME_BYTES), the frame being written here and the one forwarded ahead
 * of it, and the next hop's reply. A trailer longer than a data frame (a file of over 120 Ki chunks) grows it.
 */
export const STORE_STREAM_BYTES = storeStreamBytes(FRAME_BYTES)

/** STORE_STREAM_BYTES for frames of at most `maxFrame` bytes. */
function storeStreamBytes (maxFrame: number): number {
  return readerBytes(maxFrame) + 2 * FRAME_BYTES + MAX_RESULT_BYTES
}

export interface RelayResult {
  record: FileRecord
  stored: NodeRef[]
  /** Why part of the chain did not store, if it did not. */
  downstreamError?: Error
  /** This node was to store but its storage quota refused the blob: it relayed the version without a copy. */
  refused?: QuotaError
}

/** The next hop's stream, and the nodes it was asked to pass the version on to. */
interface Downstream { lp: Framed, stream: Stream, node: NodeRef, after: NodeRef[] }

/** How a transfer ends: the digest of the content and the writer's signature of the complete record (hex). */
export interface Seal { digest: ContentDigest, signature: string }

/**
 * Move one version through this node: write it locally when `store`, forward it to the first live node of
 * `chain`, and check it against the trailer `trailer(digest)` returns (which throws on a mismatch). A storing
 * node checks the signature too, before it forwards the trailer (BadSignatureError). Returns the complete record
 * and the nodes that committed it, this one first. Each byte is hashed once, for the chunk hashes, unless
 * `hashWhole` (the writer of a new version, who computes the SHA-256 of the whole content for its record); the
 * trailer's digest names the whole hash otherwise.
 */
export async function relay (
  ctx: FilesContext, frames: AsyncIterable<Uint8ArrayList>, trailer: (digest: ContentDigest) => Promise<Seal>, header: FileRecord,
  chain: readonly NodeRef[], store: boolean, signal: AbortSignal, hashWhole = false
): Promise<RelayResult> {
  let down = await openChain(ctx, header, chain, signal)
  let downstreamError: Error | undefined = down === undefined && chain.length > 0
    ? new UnreachableError('no node of the chain could be reached')
    : undefined
  /** The next hop, when its stream broke (it crashed or went away in the middle), not when it answered no. */
  let broken: Downstream | undefined
  const forward = async (write: (d: Downstream) => Promise<void>): Promise<void> => {
    if (down === undefined) return
    try {
      await write(down)
    } catch (err) {
      signal.throwIfAborted()
      downstreamError = new UnreachableError(`${down.node.address}: ${(err as Error).message}`, { cause: err })
      broken = down
      down.stream.abort(err as Error)
      down = undefined
    }
  }

  const hasher = new ChunkHasher(header.chunkSize, { whole: hashWhole })
  let record: FileRecord | undefined
  // Each frame stays the pieces it arrived in: hashed, forwarded and written piece by piece, never joined.
  async function * pass (): AsyncGenerator<Uint8Array> {
    for await (const frame of frames) {
      for (const piece of frame) hasher.update(piece)
      if (hasher.size > MAX_FILE_SIZE) throw new InvalidInputError(`the file is larger than ${MAX_FILE_SIZE} bytes`)
      await forward(async d => writeFrame(d.lp, frame, signal))
      yield * frame
    }
    const { digest: end, signature } = await trailer(hasher.digest()) // throws before the local blob commits if the bytes are wrong
    const complete: FileRecord = { ...header, size: end.size, hash: end.hash, chunkHashes: end.chunkHashes, signature }
    if (store) checkVersion(complete, ctx.now()) // as early: nothing commits here or after a bad signature
    record = complete
    await forward(async d => {
      await writeEnd(d.lp, signal)
      await writeFrame(d.lp, StoreTrailer.encode({
        size: BigInt(end.size),
        hash: hexToBytes(end.hash),
        chunkHashes: end.chunkHashes.map(hexToBytes),
        signature: hexToBytes(signature)
      }), signal)
    })
  }

  let refused: QuotaError | undefined
  try {
    if (store && !header.tombstone) {
      // The blob is filed under the root of the chunk hashes this node computed as the bytes passed (checked
      // against the trailer before the store commits it), so the store does not hash them a second time.
      const hashedBy = (): { hash: string, size: number } => ({ hash: blobAddress(record!), size: record!.size })
      refused = await putUnlessFull(ctx, pass(), hashedBy, signal)
      if (refused !== undefined) ctx.log('no copy of %s here: %e', header.name, refused)
    } else {
      for await (const _ of pass()) { /* forward only */ }
    }
  } catch (err) {
    down?.stream.abort(err as Error)
    throw err
  }
  if (record === undefined) throw new InvalidMessageError('the transfer ended without a trailer')
  const kept = store && refused === undefined
  if (kept) await commitRecord(ctx, record)

  const stored: NodeRef[] = kept ? [ctx.ring.self] : []
  if (down !== undefined) {
    try {
      const res = StoreResult.decode(await down.lp.read({ signal: idle(signal), max: MAX_RESULT_BYTES }))
      stored.push(...ctx.ring.peers.fromWireList(res.stored))
      if (res.status !== StoreResult.Status.OK) downstreamError = resultError(down.node, res)
      else if (res.error !== '') downstreamError = new UnreachableError(res.error)
      await down.stream.close({ signal: idle(signal) }).catch(() => {})
    } catch (err) {
      signal.throwIfAborted()
      downstreamError = new UnreachableError(`${down.node.address}: ${(err as Error).message}`, { cause: err })
      broken = down
      down.stream.abort(err as Error)
    }
  }
  if (kept && broken !== undefined) {
    // The next hop died in the middle, and the nodes after it got nothing: send them this node's copy, so a put
    // that loses one holder mid-transfer still reaches its quorum (the replica pass restores the k-th copy).
    const after = broken.after.filter(n => !stored.some(s => s.id === n.id))
    if (after.length > 0) {
      try {
        // Straight down the rest of the chain, as this hop forwards (no stream slot: see pushVersion).
        const copy = verifiedLocalChunks(ctx, record, { first: 0, end: record.chunkHashes.length }, signal)
        const sealed = record.signature
        const seal = async (digest: ContentDigest): Promise<Seal> => ({ digest: { ...digest, hash: record!.hash }, signature: sealed })
        const again = await relay(ctx, rechunkLists(copy, FRAME_BYTES), seal, record, after, false, signal)
        stored.push(...again.stored)
        ctx.log('%s: %s broke mid-transfer, sent this copy on to %d of %d nodes after it',
          header.name, broken.node.address, again.stored.length, after.length)
      } catch (err) {
        signal.throwIfAborted()
        ctx.log('%s: %s broke mid-transfer, and no node after it took this copy: %e', header.name, broken.node.address, err)
      }
    }
  }
  return { record, stored, downstreamError, refused }
}

/**
 * Write `frames` to this node's blob store. When its storage quota refuses the blob (QuotaError), read the rest
 * of `frames` anyway, since reading them forwards them down the chain and checks the trailer, and return the
 * refusal: this node then holds no copy, and the nodes after it still do.
 */
async function putUnlessFull (
  ctx: FilesContext, frames: AsyncGenerator<Uint8Array>, hashedBy: () => { hash: string, size: number }, signal: AbortSignal
): Promise<QuotaError | undefined> {
  // An iterator without `return`: the blob store giving up must not close `frames`, which is still to be read.
  const unclosed: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => ({ next: async () => await frames.next() }) }
  try {
    await ctx.blobs.put(unclosed, { hashedBy, signal })
    return undefined
  } catch (err) {
    if (!(err instanceof QuotaError)) {
      await frames.return(undefined).catch(() => {})
      throw err
    }
    while ((await frames.next()).done !== true) { /* forwarded and hashed by `pass` */ }
    return err
  }
}

/**
 * Store a complete record if it is newer than ours; drop the blob it replaced when nothing else uses it. A record
 * whose signature does not verify, or whose time is too far ahead, is never committed (checkVersion throws).
 */
export async function commitRecord (ctx: FilesContext, record: FileRecord): Promise<void> {
  checkVersion(record, ctx.now())
  // Pinned, then checked present, until the record is written: the blob collector (blob-gc.ts has the argument)
  // never leaves a record without its blob.
  const address = record.tombstone ? undefined : blobAddress(record)
  const unpin = address === undefined ? undefined : await ctx.blobs.pin?.(address)
  // A blob no record may use any more, dropped once this commit's own pin is gone.
  let unused: string | undefined
  try {
    if (unpin !== undefined && !(await ctx.blobs.has(address!))) {
      throw new NotFoundError(`no blob ${address!.slice(0, 12)} of ${record.name} here: its record is not committed`)
    }
    const old = await ctx.records.get(record.key)
    if (!(await ctx.records.put(record))) {
      // We already hold a newer version: the blob just written belongs to nothing unless another record shares it.
      unused = address
      return
    }
    ctx.onCommit?.(record)
    if (old !== undefined && !old.tombstone && blobAddress(old) !== address) unused = blobAddress(old)
  } finally {
    unpin?.()
    if (unused !== undefined) await dropIfUnused(ctx, unused)
  }
}

/**
 * Delete a blob that no record uses, unless a commit that will refer to it holds its pin now (another name with
 * the same content, committing while the scan ran). Failures are logged: the blob collector removes what is left.
 */
export async function dropIfUnused (ctx: FilesContext, hash: string): Promise<void> {
  try {
    if (await hashInUse(ctx, hash)) return
    if (ctx.blobs.deleteUnpinned !== undefined) await ctx.blobs.deleteUnpinned(hash)
    else await ctx.blobs.delete(hash)
  } catch (err) {
    ctx.log('cannot drop unused blob %s: %e', hash, err)
  }
}

// Blobs are content-addressed, so two names may share one. A scan is fine at today's index sizes; an
// address → count index replaces it when the index grows.
export async function hashInUse (ctx: FilesContext, address: string): Promise<boolean> {
  for await (const r of ctx.records.list({})) if (!r.tombstone && blobAddress(r) === address) return true
  return false
}

/** Open a store stream to the first node of `chain` that answers, and send it the header. */
async function openChain (
  ctx: FilesContext, header: FileRecord, chain: readonly NodeRef[], signal: AbortSignal
): Promise<Downstream | undefined> {
  // The chain, then one spare for each of its nodes that could not be reached, so that the version still gets
  // its copies: a placement read from a ring that has not yet dropped a dead or hung node names that node.
  const queue = [...chain]
  let spares: NodeRef[] | undefined
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]
    // A hung node's connection stays open and a new stream on it waits for an answer that never comes: the
    // open gets CHAIN_OPEN_MS, well within the IDLE_MS the hops before this one wait for its result.
    const opening = AbortSignal.any([signal, AbortSignal.timeout(CHAIN_OPEN_MS)])
    try {
      const stream = await ctx.host.dialProtocol(ctx.ring.dialTarget(node), STORE_PROTOCOL, { signal: opening })
      // The next hop sends one StoreResult, at the end: more than that resets the stream.
      const lp = framed(stream, { maxBuffered: MAX_RESULT_BYTES + 16 })
      const after = queue.slice(i + 1)
      // The header carries no size, hash, chunk hashes or signature (the trailer does), so it stays within
      // MAX_HEADER_BYTES.
      const bare = recordToWire({ ...header, size: 0, hash: '', chunkHashes: [], signature: '' })
      await lp.write(StoreHeader.encode({ record: bare, chain: after.map(n => ctx.ring.peers.toWire(n)) }), { signal: opening })
      return { lp, stream, node, after }
    } catch (err) {
      signal.throwIfAborted()
      ctx.log('store chain: %s unreachable: %e', node.address, err)
      spares ??= sparesAfter(ctx, header.key, chain)
      const spare = spares.shift()
      if (spare !== undefined) queue.push(spare)
    }
  }
  return undefined
}

/**
 * The nodes of this node's successor list that come after the last node of `chain` and before `key`, nearest
 * first: the next nodes of the key's placement, which a store hop admits (its first k + 1 nodes, or more once a
 * dead node has left its successor list). None for an empty chain (the last hop) or a ring the chain covers.
 */
function sparesAfter (ctx: FilesContext, key: string, chain: readonly NodeRef[]): NodeRef[] {
  const last = chain[chain.length - 1]
  if (last === undefined) return []
  const k = BigInt('0x' + key)
  const { space, self } = ctx.ring
  return ctx.ring.successors().filter(n => n.id !== self.id && !chain.some(c => c.id === n.id) && space.between(last.id, n.id, k))
}

/** The status a failed store answers with, from the failure. */
function statusOf (err: unknown): StoreResult.Status {
  if (err instanceof IntegrityError) return StoreResult.Status.MISMATCH
  if (err instanceof NoSpaceError) return StoreResult.Status.NO_SPACE
  if (err instanceof BadSignatureError) return StoreResult.Status.BAD_SIGNATURE
  return StoreResult.Status.FAILED
}

/** The error a hop's non-OK StoreResult stands for. */
function resultError (node: NodeRef, res: StoreResult): Error {
  const message = `${node.address}: ${res.error}`
  if (res.status === StoreResult.Status.MISMATCH) return new IntegrityError(message)
  if (res.status === StoreResult.Status.NO_SPACE) return new NoSpaceError(message)
  if (res.status === StoreResult.Status.BAD_SIGNATURE) return new BadSignatureError(message)
  return new UnreachableError(message)
}

/** Serve the store protocol. */
export async function serveStore (ctx: FilesContext, shutdown: AbortSignal): Promise<void> {
  await serveStream(ctx.host, STORE_PROTOCOL, { log: ctx.log, gate: ctx.gate, maxInboundStreams: 32 }, async (stream, connection) => {
    const reservation = ctx.transfers.reserve(connection.remotePeer.toString(), STORE_STREAM_BYTES)
    if (reservation === undefined) {
      ctx.log('store from %p refused: the transfer budget is spent', connection.remotePeer)
      stream.abort(new BusyError('no room for another transfer now'))
      return
    }
    const lp = framed(stream)
    const signal = shutdown
    // Once the whole transfer (up to the trailer) is read, a failure gets a reply with its reason; before that
    // the sender is still writing, and only a reset stops it.
    let complete = false
    try {
      let header: FileRecord
      let chain: NodeRef[]
      try {
        const h = StoreHeader.decode(await lp.read({ signal: idle(signal), max: MAX_HEADER_BYTES }))
        header = recordFromWire(h.record, false)
        if (h.chain.length > MAX_CHAIN) throw new InvalidMessageError(`chain longer than ${MAX_CHAIN}`)
        chain = ctx.ring.peers.fromWireList(h.chain).filter(n => n.id !== ctx.ring.self.id)
      } catch (err) {
        throw new InvalidMessageError(`bad store header from ${connection.remotePeer}: ${(err as Error).message}`, { cause: err })
      }
      // The checks run while the chain opens (the next hop checks the header itself), so a hop's placement lookup
      // does not add to the put's latency; no byte of the body is read before they pass.
      const admitted = admit(ctx, header, connection.remotePeer.toString(), idle(signal))
      admitted.catch(() => {}) // thrown where the body is read
      const checkTrailer = async (digest: ContentDigest): Promise<Seal> => {
        // Sized to the bytes received: their chunk hashes, and what else a record carries.
        const max = recordFrameBytes(digest.chunkHashes.length)
        if (!reservation.grow(storeStreamBytes(max))) {
          throw new BusyError(`no room for a trailer of ${max} bytes now`)
        }
        const t = StoreTrailer.decode(await lp.read({ signal: idle(signal), max }))
        complete = true
        if (t.hash.length !== 32) throw new InvalidMessageError(`a trailer hash of ${t.hash.length} bytes, not 32`)
        // The chunk hashes are this node's own, of the bytes it received; the whole-content hash is the writer's,
        // which the signature covers and readers check end to end.
        const theirs: ContentDigest = { size: Number(t.size), hash: bytesToHex(t.hash), chunkHashes: t.chunkHashes.map(bytesToHex) }
        if (theirs.size !== digest.size || theirs.chunkHashes.join() !== digest.chunkHashes.join()) {
          throw new IntegrityError(`the bytes received do not match the sender's hashes ` +
            `(${digest.size} B, chunk root ${blobAddress(digest).slice(0, 12)} vs ${theirs.size} B, ` +
            `chunk root ${blobAddress(theirs).slice(0, 12)})`)
        }
        return { digest: theirs, signature: bytesToHex(t.signature) }
      }
      const body = admittedFrames(admitted, readFrameLists(lp, signal, FRAME_BYTES))
      const result = await relay(ctx, body, checkTrailer, header, chain, true, signal)
      const stored = result.stored.map(n => ctx.ring.peers.toWire(n))
      const error = [result.refused, result.downstreamError].filter(e => e !== undefined).map(e => e.message).join('; ')
      // Over its quota, this node relayed without a copy: NO_SPACE when no node after it stored one either.
      const status = result.refused !== undefined && stored.length === 0 ? StoreResult.Status.NO_SPACE : StoreResult.Status.OK
      const reply = { status, error, stored }
      await lp.write(StoreResult.encode(reply), { signal: idle(signal) })
      await stream.close({ signal: idle(signal) })
    } catch (err) {
      ctx.log('store from %p failed: %e', connection.remotePeer, err)
      if (err instanceof BadSignatureError || err instanceof NotOwnerError) {
        ctx.bans?.refused?.(connection.remotePeer, 'a forged version',
          `refused a version sent by ${connection.remotePeer.toString()}: ${(err as Error).message}`)
      }
      if (!complete || signal.aborted) {
        stream.abort(err as Error)
        return
      }
      try {
        await lp.write(StoreResult.encode({ status: statusOf(err), error: (err as Error).message, stored: [] }), { signal: idle(signal) })
        await stream.close({ signal: idle(signal) })
      } catch (e) {
        stream.abort(e as Error)
      }
    } finally {
      reservation.release()
    }
  })
}

/**
 * May this node take in a version with this header, sent by `from`? Refused before the body is read (the caller
 * resets the stream): a time more than MAX_CLOCK_AHEAD_MS ahead of this node's clock; a key for which this node
 * is not among the first k + 1 nodes of the placement (k + 1: a leaving node hands its range to its successor,
 * which with k = 1 is the second); a newer version of a name whose live version here another member wrote
 * (owners.ts), unless it comes from the key's primary, which settles a name two writers wrote (a healed
 * partition) on the newest version.
 */
async function admit (ctx: FilesContext, header: FileRecord, from: string, signal: AbortSignal): Promise<void> {
  if (tooFarAhead(header.version, ctx.now())) {
    throw new InvalidMessageError(`version time ${header.version.time} is more than ${MAX_CLOCK_AHEAD_MS} ms ahead of this node's clock`)
  }
  // The primary knows without a lookup: the key is in its own range.
  let primary: string | undefined
  if (!ctx.ring.owns(BigInt('0x' + header.key))) {
    const { nodes } = await placement(ctx, header.key, signal, ctx.k + 1)
    if (!nodes.some(n => n.id === ctx.ring.self.id)) {
      throw new InvalidMessageError(`this node is not among the first ${ctx.k + 1} nodes of the placement of ${header.key}`)
    }
    primary = nodes[0]?.address
  }
  checkReplace(await ctx.records.get(header.key), header, ctx.isSupernode, { lastWriterWins: primary === from })
}

/** The frames of `frames` once `admitted` resolved; its refusal is thrown before the first frame is read. */
async function * admittedFrames (admitted: Promise<void>, frames: AsyncIterable<Uint8ArrayList>): AsyncGenerator<Uint8ArrayList> {
  await admitted
  yield * frames
}

/**
 * Push one version from this node (the entry of a put) down `chain`, starting with chain[0]; when chain[0] is
 * this node it stores locally first. A new version of this node's (`header.signature` = '') is signed once its
 * content's hashes are known; a signed record (a replica push, a restore) goes as it is. Throws only when no node
 * at all committed the version.
 */
export async function pushVersion (
  ctx: FilesContext, source: AsyncIterable<Uint8Array>, header: FileRecord, chain: readonly NodeRef[], signal: AbortSignal
): Promise<RelayResult> {
  const selfFirst = chain[0]?.id === ctx.ring.self.id
  const rest = selfFirst ? chain.slice(1) : chain
  const mine = header.signature === '' && header.version.writer === ctx.host.peerId.toString()
  // A new version's writer hashes the whole content for its record; a signed version keeps the hash it carries.
  const seal = async (digest: ContentDigest): Promise<Seal> => mine
    ? { digest, signature: (await signRecord(ctx.key, { ...header, ...digest })).signature }
    : { digest: { ...digest, hash: header.hash }, signature: header.signature }
  // A slot for the stream to the first node after this one (limits.ts StreamSlots): a burst of writes queues
  // here rather than be refused by a receiver whose budget for this node is spent. Relaying hops do not wait:
  // their inbound stream was admitted already, and waiting there could deadlock chains that cross.
  const release = rest.length > 0 ? await ctx.storeSlots.acquire(rest[0].address, signal) : undefined
  let result: RelayResult
  try {
    result = await relay(ctx, rechunkLists(source, FRAME_BYTES), seal, header, rest, selfFirst, signal, mine)
  } finally {
    release?.()
  }
  if (result.stored.length === 0) {
    // This node's quota refused it, and no node after it stored it for want of room either (or there is none).
    const down = result.downstreamError
    if (result.refused !== undefined && (down === undefined || down instanceof NoSpaceError)) throw result.refused
    const why = down?.message ?? 'empty chain'
    throw new UnreachableError(`no node stored ${header.name}: ${why}`, { cause: result.downstreamError })
  }
  return result
}
