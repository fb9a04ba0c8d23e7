// One process of the transfer benchmark (bench/transfer.ts starts it through lib/children.ts, as
// `node --single-threaded-gc --import tsx --import ./src/polyfill.ts bench/lib/child.ts <mode> …`, so it runs the
// current src/ without a build). Modes:
//   peer <json>            a chord-peer node (createPeer) with its HTTP API on 127.0.0.1: the daemon minus the CLI
//                          (with `swarmKey`, the key file's bytes in hex, a node of that private network);
//                          a stdin line {"read": name} makes it read that file from the ring itself (no HTTP)
//   raw-recv               a bare libp2p host (tcp + noise + yamux) that SHA-256-hashes one stream and replies
//                          with its byte count and hash
//   raw-send <maddr> <n>   dials raw-recv, waits for a line on stdin, sends n pseudo-random bytes in 1 MiB
//                          send()s with onDrain() backpressure, then reports the time until the receiver's reply
//   http-sink              a bare node:http server on 127.0.0.1 that reads each request's body, drops it and
//                          answers its byte count: the HTTP part of a put with nothing behind it
//   work sha256 <n>        waits for a line on stdin, then SHA-256-hashes n pseudo-random bytes in 64 KiB pieces
//   work write <n> <dir>   waits for a line on stdin, then writes n pseudo-random bytes into a new file in dir as
//                          a blob is written (writev of 1 MiB of 64 KiB pieces, a datasync every 32 MiB in the
//                          background, one fsync)
//   work write-reused …    the same, after writing and deleting such a file first (memory the page cache just
//                          gave back)
// Messages to the parent are stdout lines `@@{json}`. A child stops when its stdin closes (the parent went away,
// however it died) or on SIGTERM.
import '../../src/polyfill.js'
import { createHash } from 'node:crypto'
import { open, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { multiaddr } from '@multiformats/multiaddr'
import { createHost } from '../../src/net/host.js'
import { newKey } from '../../src/net/identity.js'
import { createPeer } from '../../src/peer.js'
import { RAW_PROTOCOL, pseudoRandomChunks } from './content.js'

export interface PeerArgs { bootstrap?: boolean, connect?: string[], k?: number, dataDir: string, swarmKey?: string }
export interface PeerReady {
  ready: true
  peerId: string
  id: string
  multiaddrs: string[]
  apiUrl: string
  /** The node's API token (it has no data dir: the token is only in memory). */
  apiToken: string
}
export interface RawReady { ready: true, multiaddrs: string[] }
export interface RawReceived { received: true, bytes: number, hash: string, ms: number }
export interface RawSent { sent: true, bytes: number, hash: string, ms: number }
export interface ReadDone { readDone: true, bytes: number, hash: string, ms: number, error?: string }
export interface SinkReady { ready: true, url: string }
export interface Worked { worked: true, bytes: number, hash: string, ms: number }

const LISTEN = ['/ip4/127.0.0.1/tcp/0']

function emit (message: object): void {
  process.stdout.write('@@' + JSON.stringify(message) + '\n')
}

/** Run `stop` once, on SIGTERM/SIGINT or when the parent closes our stdin; exit within 5 s whatever happens. */
function stopOnParentGone (stop: () => Promise<void>): void {
  let stopping = false
  const once = (): void => {
    if (stopping) return
    stopping = true
    setTimeout(() => process.exit(1), 5_000).unref()
    stop().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1) })
  }
  process.on('SIGTERM', once)
  process.on('SIGINT', once)
  process.stdin.on('end', once)
  process.stdin.on('close', once)
  process.stdin.resume()
}

async function peer (args: PeerArgs): Promise<void> {
  const { swarmKey, ...options } = args
  const node = await createPeer({
    ...options,
    listen: LISTEN,
    api: '127.0.0.1:0',
    ...(swarmKey === undefined ? {} : { swarmKey: new Uint8Array(Buffer.from(swarmKey, 'hex')) })
  })
  stopOnParentGone(async () => node.stop({ leave: false }))
  // A stdin line {"read": name}: read the file from the ring inside this node and report — a get without the
  // HTTP hop to another process. The read verifies every chunk against the record's chunk hashes (one SHA-256
  // pass, like the raw receiver's), so the reported hash is the record's; the HTTP get hashes the body again.
  createInterface({ input: process.stdin }).on('line', line => {
    const { read } = JSON.parse(line) as { read?: string }
    if (read === undefined) return
    const t0 = performance.now()
    void (async () => {
      const r = await node.files.read(read)
      let bytes = 0
      for await (const piece of r.body) bytes += piece.byteLength
      emit({ readDone: true, bytes, hash: r.record.hash, ms: performance.now() - t0 } satisfies ReadDone)
    })().catch((err: unknown) => { emit({ readDone: true, bytes: -1, hash: '', ms: 0, error: (err as Error).message } satisfies ReadDone) })
  })
  emit({
    ready: true, peerId: node.peerId, id: node.id, multiaddrs: node.multiaddrs, apiUrl: node.apiUrl ?? '', apiToken: node.apiToken ?? ''
  } satisfies PeerReady)
}

async function rawReceive (): Promise<void> {
  const host = await createHost({ privateKey: await newKey(), listen: LISTEN })
  stopOnParentGone(async () => host.stop())
  await host.handle(RAW_PROTOCOL, async stream => {
    const sha = createHash('sha256')
    let bytes = 0
    let t0 = 0
    for await (const piece of stream) {
      const bytesIn = piece.subarray()
      if (bytes === 0) t0 = performance.now()
      sha.update(bytesIn)
      bytes += bytesIn.byteLength
    }
    const ms = performance.now() - t0
    const digest = sha.digest()
    const reply = Buffer.alloc(40)
    reply.writeBigUInt64BE(BigInt(bytes), 0)
    digest.copy(reply, 8)
    stream.send(reply)
    await stream.close()
    emit({ received: true, bytes, hash: digest.toString('hex'), ms } satisfies RawReceived)
  }, { maxInboundStreams: 4 })
  emit({ ready: true, multiaddrs: host.getMultiaddrs().map(a => a.toString()) } satisfies RawReady)
}

async function rawSend (addr: string, size: number): Promise<void> {
  const host = await createHost({ privateKey: await newKey(), listen: LISTEN })
  stopOnParentGone(async () => host.stop())
  // The connection (TCP, noise handshake, yamux) is set up before the clock starts, as the ring's are.
  const stream = await host.dialProtocol(multiaddr(addr), RAW_PROTOCOL)
  // Start when the parent says so, so its CPU figures cover the transfer only.
  emit({ connected: true })
  await new Promise<void>(resolve => process.stdin.once('data', () => resolve()))
  const t0 = performance.now()
  for (const chunk of pseudoRandomChunks(size)) {
    if (!stream.send(chunk)) await stream.onDrain()
  }
  await stream.close()
  const reply: Uint8Array[] = []
  for await (const piece of stream) reply.push(piece.subarray())
  const ms = performance.now() - t0
  const answer = Buffer.concat(reply)
  if (answer.byteLength !== 40) throw new Error(`the receiver answered ${answer.byteLength} bytes, expected 40`)
  emit({ sent: true, bytes: Number(answer.readBigUInt64BE(0)), hash: answer.subarray(8).toString('hex'), ms } satisfies RawSent)
  await host.stop()
}

async function httpSink (): Promise<void> {
  const server = createServer((req, res) => {
    let bytes = 0
    req.on('data', (piece: Buffer) => { bytes += piece.byteLength })
    req.on('end', () => { res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes })) })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  stopOnParentGone(async () => { server.closeAllConnections(); server.close() })
  const { port } = server.address() as { port: number }
  emit({ ready: true, url: `http://127.0.0.1:${port}/` } satisfies SinkReady)
}

/** Pieces of PIECE_BYTES at most, as a noise stream delivers them (its messages carry at most 64 KiB). */
const PIECE_BYTES = 64 * 1024

/** `chunk` as views of PIECE_BYTES (the last may be shorter). */
function * pieces (chunk: Buffer): Generator<Buffer> {
  for (let at = 0; at < chunk.byteLength; at += PIECE_BYTES) yield chunk.subarray(at, at + PIECE_BYTES)
}

/**
 * What a storing hop must do to the bytes besides receiving them, one kind of work at a time. `write-reused`
 * first writes and deletes a file of the same size, so that the measured write finds the memory the page cache
 * just gave back.
 */
async function work (what: string, size: number, dir: string | undefined): Promise<void> {
  if (what !== 'sha256' && !((what === 'write' || what === 'write-reused') && dir !== undefined)) {
    throw new Error(`work: unknown work ${what}`)
  }
  stopOnParentGone(async () => {})
  if (what === 'write-reused') {
    await writeBlob(join(dir!, 'warm-up'), size)
    await rm(join(dir!, 'warm-up'))
  }
  emit({ ready: true })
  await new Promise<void>(resolve => process.stdin.once('data', () => resolve()))
  const t0 = performance.now()
  if (what === 'sha256') {
    const sha = createHash('sha256')
    for (const chunk of pseudoRandomChunks(size)) for (const piece of pieces(chunk)) sha.update(piece)
    emit({ worked: true, bytes: size, hash: sha.digest('hex'), ms: performance.now() - t0 } satisfies Worked)
    return
  }
  const written = await writeBlob(join(dir!, 'blob'), size)
  emit({ worked: true, bytes: written, hash: '', ms: performance.now() - t0 } satisfies Worked)
}

/** Write `size` pseudo-random bytes into a new file at `path` as a blob is written; returns the bytes written. */
async function writeBlob (path: string, size: number): Promise<number> {
  const fh = await open(path, 'wx')
  let syncing: Promise<void> | undefined
  let written = 0
  let synced = 0
  // pseudoRandomChunks yields 1 MiB: one writev of its 64 KiB pieces, as the blob store batches them.
  for (const chunk of pseudoRandomChunks(size)) {
    let rest = [...pieces(chunk)]
    while (rest.length > 0) {
      let done = (await fh.writev(rest)).bytesWritten
      written += done
      while (rest.length > 0 && done >= rest[0].byteLength) { done -= rest[0].byteLength; rest = rest.slice(1) }
      if (done > 0) rest[0] = rest[0].subarray(done)
    }
    if (written - synced >= 32 * 1024 * 1024 && syncing === undefined) {
      synced = written
      syncing = fh.datasync().finally(() => { syncing = undefined })
    }
  }
  await syncing
  await fh.sync()
  await fh.close()
  return written
}

async function main (): Promise<void> {
  const [mode, ...args] = process.argv.slice(2)
  if (mode === 'peer') return await peer(JSON.parse(args[0]) as PeerArgs)
  if (mode === 'raw-recv') return await rawReceive()
  if (mode === 'http-sink') return await httpSink()
  if (mode === 'work') return await work(args[0], Number(args[1]), args[2])
  if (mode === 'raw-send') {
    await rawSend(args[0], Number(args[1]))
    process.exit(0)
  }
  throw new Error(`unknown mode ${mode}`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
