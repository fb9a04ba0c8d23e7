// Bulk data on a libp2p stream: raw length-prefixed frames, an empty frame to end. Reading pauses the stream
// while the consumer works on a frame, because libp2p streams have no implicit read backpressure: a reader
// slower than the network would otherwise buffer without limit (+124 MiB for 128 MiB). Writing awaits the
// stream's drain. Sources are re-cut into frames of about FRAME_BYTES, since noise encrypts per write and
// 1 MiB writes move ≈ 1.6× more than 64 KiB ones.
import { Uint8ArrayList } from 'uint8arraylist'
import type { Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'

/** Largest data frame we send. */
export const FRAME_BYTES = 1024 * 1024
/** Largest frame we accept (a data frame, or a header with up to 1 Mi chunk hashes). */
export const MAX_FRAME_BYTES = 40 * 1024 * 1024
/** A transfer that moves no frame for this long is aborted. */
export const IDLE_MS = 30_000

export type Framed = LengthPrefixedStream<Stream>

/** Frames until the empty end frame. */
export async function * readFrames (lp: Framed, stream: Stream, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  // pause()/resume() throw once the remote has closed its side; by then nothing more can arrive anyway.
  const resume = (): void => { if (stream.readStatus === 'paused') stream.resume() }
  try {
    while (true) {
      resume()
      const frame = await lp.read({ signal: idle(signal) })
      if (stream.readStatus === 'readable') stream.pause()
      if (frame.byteLength === 0) return
      yield frame.subarray()
    }
  } finally {
    resume()
  }
}

export async function writeFrame (lp: Framed, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
  await lp.write(bytes, { signal: idle(signal) })
}

export async function writeEnd (lp: Framed, signal?: AbortSignal): Promise<void> {
  await lp.write(new Uint8Array(0), { signal: idle(signal) })
}

/** Re-cut a byte source into pieces of exactly `size` bytes (the last may be shorter); never yields empty. */
export async function * rechunk (source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  const buf = new Uint8ArrayList()
  for await (const piece of source) {
    if (piece.byteLength === 0) continue
    buf.append(piece)
    while (buf.byteLength >= size) {
      yield buf.subarray(0, size)
      buf.consume(size)
    }
  }
  if (buf.byteLength > 0) yield buf.subarray()
}

/** The caller's signal combined with an idle timeout for one read or write. */
export function idle (signal?: AbortSignal): AbortSignal {
  const t = AbortSignal.timeout(IDLE_MS)
  return signal === undefined ? t : AbortSignal.any([signal, t])
}
