// One Helia process of the transfer benchmark (bench/transfer.ts), plain JavaScript run with plain `node`.
// Modes:
//   provider <bytes> <dir>     a Helia node (blocks on disk in <dir>) that imports <bytes> of the benchmark's
//                              pseudo-random content with unixfs (1 MiB chunks, raw leaves, as chord-peer's
//                              chunks) and reports its multiaddrs, the root CID and the import time
//   fetcher <maddr> <cid> <dir> a Helia node (blocks on disk in <dir>: Helia keeps what it fetches) that dials
//                              the provider, waits for a line on stdin, then reads the file with unixfs cat
//                              over bitswap (32 leaves at a time), SHA-256-hashing it, and reports bytes, hash
//                              and time
// Both listen on 127.0.0.1 only and use the stack chord-peer uses (TCP, noise, yamux, identify), with no
// routing, bootstrap or discovery: the fetcher finds the blocks by asking the peer it is connected to.
// Messages to the parent are stdout lines `@@{json}`; a child stops when its stdin closes or on SIGTERM.
import { createCipheriv, createHash } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { mkdir } from 'node:fs/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { unixfs } from '@helia/unixfs'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { FsBlockstore } from 'blockstore-fs'
import { MemoryDatastore } from 'datastore-core'
import { createHeliaLight } from 'helia'
import { CID } from 'multiformats/cid'

// Node 20 lacks Promise.withResolvers, which libp2p 3 uses (as src/polyfill.ts in the main project).
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function () {
    let resolve, reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

const MiB = 1024 * 1024
const STALL_MS = 30_000
/**
 * Leaves the fetcher asks for at a time. unixfs cat's default is all the children of a DAG node at once: a file
 * of 1 GiB in 1 MiB leaves is one root with 1024 children, so the fetcher would want every block at once and
 * wait for all of them before its first in-order byte. The bench measures Helia at its better setting (README.md
 * has the figures), so the "× Helia" ratio is not flattered.
 */
const BLOCK_READ_CONCURRENCY = 32
const WRITE_BYTES = MiB
const POOL_BYTES = 8 * MiB

/** The same bytes as bench/lib/content.ts pseudoRandomChunks(size, 1): the parent checks the hash. */
function * pseudoRandomChunks (size, seed = 1) {
  const key = createHash('sha256').update(`chord-peer-bench:${seed}`).digest()
  const bytes = createCipheriv('chacha20', key, Buffer.alloc(16)).update(Buffer.alloc(POOL_BYTES + WRITE_BYTES))
  for (let i = 0, left = size; left > 0; i++, left -= WRITE_BYTES) {
    const at = ((i * 65_537) % (POOL_BYTES / 16)) * 16
    yield bytes.subarray(at, at + Math.min(left, WRITE_BYTES))
  }
}

const emit = message => { process.stdout.write('@@' + JSON.stringify(message) + '\n') }

function stopOnParentGone (stop) {
  let stopping = false
  const once = () => {
    if (stopping) return
    stopping = true
    setTimeout(() => process.exit(1), 5_000).unref()
    stop().then(() => process.exit(0), err => { console.error(err); process.exit(1) })
  }
  process.on('SIGTERM', once)
  process.on('SIGINT', once)
  process.stdin.on('end', once)
  process.stdin.on('close', once)
  process.stdin.resume()
}

async function node (blockstore) {
  const helia = withBitswap(withLibp2pLight(createHeliaLight({ blockstore, datastore: new MemoryDatastore() }), {
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  }))
  await helia.start()
  return helia
}

async function provider (size, dir) {
  await mkdir(dir, { recursive: true })
  const helia = await node(new FsBlockstore(dir))
  stopOnParentGone(async () => helia.stop())
  const t0 = performance.now()
  const cid = await unixfs(helia).addByteStream(pseudoRandomChunks(size), { chunker: fixedSize({ chunkSize: MiB }), rawLeaves: true })
  const multiaddrs = helia.libp2p.getMultiaddrs().map(a => a.toString())
  emit({ ready: true, multiaddrs, cid: cid.toString(), importMs: performance.now() - t0 })
}

async function fetcher (addr, cid, dir) {
  await mkdir(dir, { recursive: true })
  const helia = await node(new FsBlockstore(dir))
  stopOnParentGone(async () => helia.stop())
  await helia.libp2p.dial(multiaddr(addr))
  emit({ connected: true })
  await new Promise(resolve => process.stdin.once('data', resolve))
  const t0 = performance.now()
  const sha = createHash('sha256')
  let bytes = 0
  // Bitswap sometimes stalls for good: give up after STALL_MS without a block arriving, and say so.
  const stall = new AbortController()
  setMaxListeners(Infinity, stall.signal) // every pending block read listens on it
  let watchdog
  const alive = () => {
    clearTimeout(watchdog)
    watchdog = setTimeout(() => { stall.abort() }, STALL_MS)
  }
  alive()
  const options = {
    signal: stall.signal,
    blockReadConcurrency: BLOCK_READ_CONCURRENCY,
    onProgress: evt => { if (evt.type === 'bitswap:block') alive() }
  }
  try {
    for await (const piece of unixfs(helia).cat(CID.parse(cid), options)) {
      sha.update(piece)
      bytes += piece.byteLength
    }
  } catch (err) {
    if (!stall.signal.aborted) throw err
    const error = `stalled: no block for ${STALL_MS / 1000} s after ${bytes} B`
    emit({ received: true, bytes, hash: '', ms: performance.now() - t0, error })
    return
  } finally {
    clearTimeout(watchdog)
  }
  emit({ received: true, bytes, hash: sha.digest('hex'), ms: performance.now() - t0 })
}

const [mode, ...args] = process.argv.slice(2)
const run = mode === 'provider'
  ? provider(Number(args[0]), args[1])
  : mode === 'fetcher' ? fetcher(args[0], args[1], args[2]) : Promise.reject(new Error(`unknown mode ${mode}`))
run.catch(err => { console.error(err); process.exit(1) })
