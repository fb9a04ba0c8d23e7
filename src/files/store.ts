// /chord-peer/store/2.0.0: one version travels down the replica chain, pipelined. Each hop hashes the bytes as
// they pass, forwards every frame to the next live node of the chain before writing it locally, and commits
// (blob, then record) only when its own size, hash and chunk hashes equal the trailer's. A hop that fails
// downstream still commits locally and reports only what it stored; the caller counts acknowledgements.
import { StoreHeader, StoreResult, StoreTrailer } from '../../protocols/files.js'
import { IntegrityError, InvalidInputError, InvalidMessageError, NoSpaceError, UnreachableError } from '../errors.js'
import { FRAME_BYTES, framed, idle, readFrames, rechunk, writeEnd, writeFrame, type Framed } from './frames.js'
import { ChunkHasher, type ContentDigest } from './hashing.js'
import { bytesToHex, hexToBytes, MAX_FILE_SIZE, recordFromWire, recordToWire } from './wire.js'
import type { FilesContext } from './context.js'
import type { FileRecord } from './record.js'
import type { NodeRef } from '../ring/index.js'
import type { Connection, Stream } from '@libp2p/interface'

export const STORE_PROTOCOL = '/chord-peer/store/2.0.0'
/** Longest chain a header may name (k ≤ 16). */
export const MAX_CHAIN = 16

export interface RelayResult {
  record: FileRecord
  stored: NodeRef[]
  /** Why part of the chain did not store, if it did not. */
  downstreamError?: Error
}

interface Downstream { lp: Framed, stream: Stream, node: NodeRef }

/**
 * Move one version through this node: write it locally when `store`, forward it to the first live node of
 * `chain`, and check it against the trailer `trailer(digest)` returns (which throws on a mismatch). Returns the
 * complete record and the nodes that committed it, this one first.
 */
export async function relay (
  ctx: FilesContext, frames: AsyncIterable<Uint8Array>, trailer: (digest: ContentDigest) => Promise<ContentDigest>, header: FileRecord,
  chain: readonly NodeRef[], store: boolean, signal: AbortSignal
): Promise<RelayResult> {
  let down = await openChain(ctx, header, chain, signal)
  let downstreamError: Error | undefined = down === undefined && chain.length > 0
    ? new UnreachableError('no node of the chain could be reached')
    : undefined
  const forward = async (write: (d: Downstream) => Promise<void>): Promise<void> => {
    if (down === undefined) return
    try {
      await write(down)
    } catch (err) {
      signal.throwIfAborted()
      downstreamError = new UnreachableError(`${down.node.address}: ${(err as Error).message}`, { cause: err })
      down.stream.abort(err as Error)
      down = undefined
    }
  }

  const hasher = new ChunkHasher(header.chunkSize)
  let digest: ContentDigest | undefined
  async function * pass (): AsyncGenerator<Uint8Array> {
    for await (const frame of frames) {
      hasher.update(frame)
      if (hasher.size > MAX_FILE_SIZE) throw new InvalidInputError(`the file is larger than ${MAX_FILE_SIZE} bytes`)
      await forward(async d => writeFrame(d.lp, frame, signal))
      yield frame
    }
    digest = await trailer(hasher.digest()) // throws before the local blob commits if the bytes are wrong
    const end = digest
    await forward(async d => {
      await writeEnd(d.lp, signal)
      await writeFrame(d.lp, StoreTrailer.encode({
        size: BigInt(end.size),
        hash: hexToBytes(end.hash),
        chunkHashes: end.chunkHashes.map(hexToBytes)
      }), signal)
    })
  }

  try {
    if (store && !header.tombstone) {
      await ctx.blobs.put(pass(), { signal })
    } else {
      for await (const _ of pass()) { /* forward only */ }
    }
  } catch (err) {
    down?.stream.abort(err as Error)
    throw err
  }
  const record: FileRecord = { ...header, size: digest!.size, hash: digest!.hash, chunkHashes: digest!.chunkHashes }
  if (store) await commitRecord(ctx, record)

  const stored: NodeRef[] = store ? [ctx.ring.self] : []
  if (down !== undefined) {
    try {
      const res = StoreResult.decode(await down.lp.read({ signal: idle(signal) }))
      stored.push(...ctx.ring.peers.fromWireList(res.stored))
      if (res.status !== StoreResult.Status.OK) downstreamError = resultError(down.node, res)
      else if (res.error !== '') downstreamError = new UnreachableError(res.error)
      await down.stream.close({ signal: idle(signal) }).catch(() => {})
    } catch (err) {
      signal.throwIfAborted()
      downstreamError = new UnreachableError(`${down.node.address}: ${(err as Error).message}`, { cause: err })
      down.stream.abort(err as Error)
    }
  }
  return { record, stored, downstreamError }
}

/** Store a complete record if it is newer than ours; drop the blob it replaced when nothing else uses it. */
export async function commitRecord (ctx: FilesContext, record: FileRecord): Promise<void> {
  const old = await ctx.records.get(record.key)
  if (!(await ctx.records.put(record))) {
    // We already hold a newer version: the blob just written belongs to nothing unless another record shares it.
    if (!record.tombstone && !(await hashInUse(ctx, record.hash))) await ctx.blobs.delete(record.hash).catch(() => {})
    return
  }
  ctx.onCommit?.(record)
  if (old !== undefined && !old.tombstone && old.hash !== record.hash && !(await hashInUse(ctx, old.hash))) {
    await ctx.blobs.delete(old.hash).catch(err => { ctx.log('cannot drop replaced blob %s: %e', old.hash, err) })
  }
}

// Blobs are content-addressed, so two names may share one. A scan is fine at today's index sizes; a
// hash → count index replaces it when the index grows.
export async function hashInUse (ctx: FilesContext, hash: string): Promise<boolean> {
  for await (const r of ctx.records.list({})) if (!r.tombstone && r.hash === hash) return true
  return false
}

/** Open a store stream to the first node of `chain` that answers, and send it the header. */
async function openChain (
  ctx: FilesContext, header: FileRecord, chain: readonly NodeRef[], signal: AbortSignal
): Promise<Downstream | undefined> {
  for (let i = 0; i < chain.length; i++) {
    const node = chain[i]
    try {
      const stream = await ctx.host.dialProtocol(ctx.ring.dialTarget(node), STORE_PROTOCOL, { signal: idle(signal) })
      const lp = framed(stream)
      const chainAfter = chain.slice(i + 1).map(n => ctx.ring.peers.toWire(n))
      await lp.write(StoreHeader.encode({ record: recordToWire(header), chain: chainAfter }), { signal: idle(signal) })
      return { lp, stream, node }
    } catch (err) {
      signal.throwIfAborted()
      ctx.log('store chain: %s unreachable: %e', node.address, err)
    }
  }
  return undefined
}

/** The status a failed store answers with, from the failure. */
function statusOf (err: unknown): StoreResult.Status {
  if (err instanceof IntegrityError) return StoreResult.Status.MISMATCH
  if (err instanceof NoSpaceError) return StoreResult.Status.NO_SPACE
  return StoreResult.Status.FAILED
}

/** The error a hop's non-OK StoreResult stands for. */
function resultError (node: NodeRef, res: StoreResult): Error {
  const message = `${node.address}: ${res.error}`
  if (res.status === StoreResult.Status.MISMATCH) return new IntegrityError(message)
  if (res.status === StoreResult.Status.NO_SPACE) return new NoSpaceError(message)
  return new UnreachableError(message)
}

/** Serve the store protocol. */
export async function serveStore (ctx: FilesContext, shutdown: AbortSignal): Promise<void> {
  await ctx.host.handle(STORE_PROTOCOL, async (stream: Stream, connection: Connection) => {
    const lp = framed(stream)
    const signal = shutdown
    // Once the whole transfer (up to the trailer) is read, a failure gets a reply with its reason; before that
    // the sender is still writing, and only a reset stops it.
    let complete = false
    try {
      let header: FileRecord
      let chain: NodeRef[]
      try {
        const h = StoreHeader.decode(await lp.read({ signal: idle(signal) }))
        header = recordFromWire(h.record, false)
        if (h.chain.length > MAX_CHAIN) throw new InvalidMessageError(`chain longer than ${MAX_CHAIN}`)
        chain = ctx.ring.peers.fromWireList(h.chain).filter(n => n.id !== ctx.ring.self.id)
      } catch (err) {
        throw new InvalidMessageError(`bad store header from ${connection.remotePeer}: ${(err as Error).message}`, { cause: err })
      }
      const checkTrailer = async (digest: ContentDigest): Promise<ContentDigest> => {
        const t = StoreTrailer.decode(await lp.read({ signal: idle(signal) }))
        complete = true
        const theirs: ContentDigest = { size: Number(t.size), hash: bytesToHex(t.hash), chunkHashes: t.chunkHashes.map(bytesToHex) }
        if (theirs.size !== digest.size || theirs.hash !== digest.hash || theirs.chunkHashes.join() !== digest.chunkHashes.join()) {
          throw new IntegrityError(`the bytes received do not match the sender's hashes ` +
            `(${digest.size} B, ${digest.hash.slice(0, 12)} vs ${theirs.size} B, ${theirs.hash.slice(0, 12)})`)
        }
        return digest
      }
      const result = await relay(ctx, readFrames(lp, signal), checkTrailer, header, chain, true, signal)
      const stored = result.stored.map(n => ctx.ring.peers.toWire(n))
      const reply = { status: StoreResult.Status.OK, error: result.downstreamError?.message ?? '', stored }
      await lp.write(StoreResult.encode(reply), { signal: idle(signal) })
      await stream.close({ signal: idle(signal) })
    } catch (err) {
      ctx.log('store from %p failed: %e', connection.remotePeer, err)
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
    }
  }, { maxInboundStreams: 32 })
}

/**
 * Push one version from this node (the entry of a put) down `chain`, starting with chain[0]; when chain[0] is
 * this node it stores locally first. Throws only when no node at all committed the version.
 */
export async function pushVersion (
  ctx: FilesContext, source: AsyncIterable<Uint8Array>, header: FileRecord, chain: readonly NodeRef[], signal: AbortSignal
): Promise<RelayResult> {
  const selfFirst = chain[0]?.id === ctx.ring.self.id
  const rest = selfFirst ? chain.slice(1) : chain
  const result = await relay(ctx, rechunk(source, FRAME_BYTES), async digest => digest, header, rest, selfFirst, signal)
  if (result.stored.length === 0) {
    const why = result.downstreamError?.message ?? 'empty chain'
    throw new UnreachableError(`no node stored ${header.name}: ${why}`, { cause: result.downstreamError })
  }
  return result
}
