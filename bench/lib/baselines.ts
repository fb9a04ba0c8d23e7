// The baselines every chord-peer transfer is read against, each between two child processes: a raw libp2p stream
// (the same tcp + noise + yamux stack the nodes use, 1 MiB send()s with backpressure, the receiver hashing what
// it reads) and Helia 7's bitswap (the separate package bench/helia, when it is installed).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, makeTempDir, message, removeTempDir, spawnChild, stopChild } from './children.js'
import { measure, transferTimeout } from './measure.js'
import { fmt } from './stats.js'
import type { Row } from './report.js'
import type { RawReady, RawReceived, RawSent } from './child.js'

/** One raw-stream transfer of `size` bytes whose SHA-256 is `hash`; `label` names the run in the table. */
export async function rawRun (size: number, hash: string, label: string): Promise<Row> {
  const recv = spawnChild(`receiver`, ['raw-recv'])
  try {
    const ready = await message<RawReady>(recv, 'ready', 30_000)
    const send = spawnChild('sender', ['raw-send', ready.multiaddrs[0], String(size)])
    await message(send, 'connected', 30_000)
    const m = await measure([send, recv], async () => {
      send.proc.stdin!.write('go\n')
      const sent = await message<RawSent>(send, 'sent', transferTimeout(size))
      const received = await message<RawReceived>(recv, 'received', 10_000)
      return { sent, received }
    })
    if (m.value === undefined) throw m.error!
    const { sent, received } = m.value
    if (received.bytes !== size || received.hash !== hash || sent.hash !== hash) {
      const got = `${received.bytes} B with hash ${received.hash.slice(0, 12)}`
      throw new Error(`raw stream: received ${got}, expected ${size} B ${hash.slice(0, 12)}`)
    }
    await stopChild(send)
    // The sender's own clock: first send() to the receiver's reply (excludes process start and connection set-up).
    return { what: `raw libp2p stream (${label})`, size, ms: sent.ms, procs: m.procs }
  } finally {
    await stopChild(recv)
  }
}

const HELIA = join(ROOT, 'bench', 'helia')

/** Messages of bench/helia/helia-child.mjs. */
interface HeliaReady { multiaddrs: string[], cid: string, importMs: number }
interface HeliaReceived { bytes: number, hash: string, ms: number, error?: string }

/**
 * The same bytes through Helia 7 (bitswap, unixfs with 1 MiB raw leaves) between two processes; undefined when
 * bench/helia is not installed.
 */
export async function heliaRun (size: number, hash: string): Promise<Row | undefined> {
  if (!existsSync(join(HELIA, 'node_modules', 'helia'))) {
    console.error('  Helia: skipped (install it with `npm ci --prefix bench/helia`)')
    return undefined
  }
  const dir = await makeTempDir('chord-peer-bench-helia-')
  const script = join(HELIA, 'helia-child.mjs')
  const provider = spawnChild('provider', ['provider', String(size), join(dir, 'provider')], script)
  try {
    const ready = await message<HeliaReady>(provider, 'ready', transferTimeout(size))
    const fetcher = spawnChild('fetcher', ['fetcher', ready.multiaddrs[0], ready.cid, join(dir, 'fetcher')], script)
    try {
      await message(fetcher, 'connected', 30_000)
      const m = await measure([provider, fetcher], async () => {
        fetcher.proc.stdin!.write('go\n')
        const got = await message<HeliaReceived>(fetcher, 'received', transferTimeout(size) * 4)
        if (got.error !== undefined) throw new Error(`Helia ${got.error}`)
        if (got.bytes !== size || got.hash !== hash) {
          throw new Error(`Helia returned ${got.bytes} B ${got.hash.slice(0, 12)}, expected ${size} B ${hash.slice(0, 12)}`)
        }
        return got
      })
      const row: Row = {
        what: 'Helia 7 bitswap get (2 processes)',
        size,
        ms: m.value?.ms ?? m.ms,
        procs: m.procs,
        note: `hash verified; the provider's import took ${fmt(ready.importMs / 1000, 1)} s`
      }
      if (m.error !== undefined) row.failed = m.error.message
      return row
    } finally {
      await stopChild(fetcher)
    }
  } finally {
    await stopChild(provider)
    // Both blockstores hold the whole file: remove them now rather than at the end of the run.
    await removeTempDir(dir)
  }
}
