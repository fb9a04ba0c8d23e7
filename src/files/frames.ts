// Bulk data on a libp2p stream: length-prefixed frames (unsigned varint length, then the bytes), an empty frame
// to end a run of data frames. Sources are re-cut into frames of about FRAME_BYTES, since noise encrypts per write
// and large writes move markedly more per CPU-second than 64 KiB ones.
//
// Why not @libp2p/utils' lpStream here: libp2p streams have no read backpressure of their own, and lpStream
// buffers whatever arrives; a reader slower than the network (a disk, the next hop) made its buffer grow without
// bound and the stream was reset. `framed` keeps its own buffer and pauses the stream above HIGH_WATER_BYTES (yamux
// then stops granting window, so the sender waits), resuming when the buffer drains below LOW_WATER_BYTES or a
// frame needs more bytes. Writes wait until the stream's own write buffer is below a frame.
// Every read names the largest frame it takes (a store header, a data frame, a trailer sized to the file): a longer
// length prefix is refused before its body is read, so a peer can make a reader hold no more than that frame.
import { UnexpectedEOFError } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { InvalidMessageError } from '../errors.js'
import { STREAM_WINDOW_BYTES } from '../net/host.js'
import type { Stream } from '@libp2p/interface'

/** Largest data frame we send. */
export const FRAME_BYTES = 1024 * 1024
/**
 * Largest frame a read accepts unless it names a smaller bound: a trailer or fetch header with up to 256 Ki chunk
 * hashes (MAX_FILE_SIZE), and the bound of a fetch that asks for a record it does not know yet.
 */
export const MAX_FRAME_BYTES = 10 * 1024 * 1024
/**
 * Largest store header, and what a trailer or fetch header may carry besides its chunk hashes: a record without
 * chunk hashes (a name ≤ 1 KiB, a content type, a version, a signature) and a chain of at most 16 peers, a
 * quarter of the peers a chord frame (64 KiB) carries.
 */
export const MAX_HEADER_BYTES = 64 * 1024
/** Bytes one chunk hash takes in a record on the wire: 32, a field tag and a length. */
export const CHUNK_HASH_WIRE_BYTES = 34
/** A transfer that moves no frame for this long is aborted. */
export const IDLE_MS = 30_000
/** Pause reading when this much is buffered … */
export const HIGH_WATER_BYTES = 4 * 1024 * 1024
/** … and resume when it drains below this. */
export const LOW_WATER_BYTES = 1024 * 1024
/**
 * A paused yamux stream still accepts what the sender had window for: up to STREAM_WINDOW_BYTES (src/net/host.ts),
 * on top of the HIGH_WATER_BYTES this reader already holds there. libp2p's default read buffer (4 MiB) would reset
 * the stream at that point, so data streams allow the window plus a frame.
 */
export const PAUSED_BUFFER_BYTES = STREAM_WINDOW_BYTES + FRAME_BYTES

/** Largest trailer, or fetch header, of a file of `chunks` chunks: its chunk hashes and MAX_HEADER_BYTES more. */
export function recordFrameBytes (chunks: number): number {
  return MAX_HEADER_BYTES + CHUNK_HASH_WIRE_BYTES * chunks
}

/** Largest message one yamux data frame delivers (its default maxMessageSize). */
const YAMUX_FRAME_BYTES = 64 * 1024

/**
 * The most a bulk reader holds whose reads take frames of at most `maxFrame` bytes: its own buffer pauses the
 * stream once it holds more than HIGH_WATER_BYTES, or the whole frame being read when that is longer (plus the
 * last message, at most a yamux frame), and the paused stream then holds at most PAUSED_BUFFER_BYTES more.
 */
export function readerBytes (maxFrame: number): number {
  return Math.max(HIGH_WATER_BYTES, maxFrame + 16) + YAMUX_FRAME_BYTES + PAUSED_BUFFER_BYTES
}

export interface ReadOptions {
  signal?: AbortSignal
  /** Largest frame this read accepts (default MAX_FRAME_BYTES); a longer length prefix is refused before its body. */
  max?: number
}

export interface Framed {
  /** The next frame; throws at the end of the stream or when it is reset, InvalidMessageError when it is too long. */
  read (options?: ReadOptions): Promise<Uint8ArrayList>
  write (bytes: Uint8Array | Uint8ArrayList, options?: { signal?: AbortSignal }): Promise<void>
}

export interface FramedInit {
  /**
   * For a stream on which the peer sends only small messages (a fetch request, a StoreResult): the most bytes
   * held unread. One more resets the stream (InvalidMessageError) instead of pausing it. Default: no such limit,
   * pause and resume as above.
   */
  maxBuffered?: number
}

export function framed (stream: Stream, init: FramedInit = {}): Framed {
  stream.maxReadBufferLength = PAUSED_BUFFER_BYTES
  const maxBuffered = init.maxBuffered ?? Infinity
  const buf = new Uint8ArrayList()
  let ended = false
  let failure: Error | undefined
  let wake: (() => void) | undefined
  const notify = (): void => { const w = wake; wake = undefined; w?.() }
  // resume() hands the paused backlog to our listener first and only then tells the muxer to resume. Pausing
  // inside that listener would leave the stream marked paused while yamux grants window again, and the backlog
  // then grows past any limit. So the listener never pauses during resume(); we pause right after it instead.
  let resuming = false
  // Bytes the frame being read needs in the buffer (prefix and body), once its length is known: a frame over
  // HIGH_WATER_BYTES (a header or trailer of a large file) must fit before reading pauses, or it never arrives.
  let want = 0
  const pauseIfFull = (): void => {
    if (buf.byteLength > Math.max(HIGH_WATER_BYTES, want) && stream.readStatus === 'readable') stream.pause()
  }
  const resume = (): void => {
    if (stream.readStatus !== 'paused') return
    resuming = true
    try {
      stream.resume()
    } finally {
      resuming = false
    }
    pauseIfFull()
  }

  stream.addEventListener('message', evt => {
    if (failure !== undefined) return
    buf.append(evt.data)
    if (buf.byteLength > maxBuffered) {
      const err = new InvalidMessageError(`the peer sent ${buf.byteLength} bytes ahead, over the ${maxBuffered}-byte limit`)
      buf.consume(buf.byteLength)
      failure = err
      ended = true
      queueMicrotask(() => { stream.abort(err) }) // let the current dispatch finish first
      notify()
      return
    }
    if (!resuming) pauseIfFull()
    notify()
  })
  stream.addEventListener('remoteCloseWrite', () => { ended = true; notify() })
  stream.addEventListener('close', evt => { ended = true; failure ??= evt.error; notify() })

  const parse = (max: number): Uint8ArrayList | undefined => {
    let length = 0
    let shift = 0
    for (let i = 0; i < buf.byteLength && i < 9; i++) {
      const b = buf.get(i)
      length += (b & 0x7f) * 2 ** shift
      shift += 7
      if ((b & 0x80) === 0) {
        if (length > max) throw new InvalidMessageError(`frame of ${length} bytes is over the ${max}-byte limit`)
        if (buf.byteLength < i + 1 + length) {
          want = i + 1 + length
          return undefined
        }
        want = 0
        const frame = buf.sublist(i + 1, i + 1 + length)
        buf.consume(i + 1 + length)
        return frame
      }
    }
    if (buf.byteLength >= 9) throw new InvalidMessageError('frame length prefix too long')
    return undefined
  }

  return {
    async read (options = {}) {
      const max = Math.min(options.max ?? MAX_FRAME_BYTES, MAX_FRAME_BYTES)
      while (true) {
        const frame = parse(max)
        if (frame !== undefined) {
          if (buf.byteLength < LOW_WATER_BYTES) resume()
          return frame
        }
        if (ended) throw failure ?? new UnexpectedEOFError('the stream ended in the middle of a transfer')
        resume() // a frame needs more bytes than we have
        await new Promise<void>((resolve, reject) => {
          const signal = options.signal
          if (signal?.aborted === true) { reject(signal.reason); return }
          const onAbort = (): void => { wake = undefined; reject(signal?.reason) }
          signal?.addEventListener('abort', onAbort, { once: true })
          wake = () => { signal?.removeEventListener('abort', onAbort); resolve() }
        })
      }
    },
    async write (bytes, options = {}) {
      const prefix: number[] = []
      let n = bytes.byteLength
      while (n >= 0x80) { prefix.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
      prefix.push(n)
      // One send: two would make two yamux frames and two noise messages, each costing a cipher, a syscall and
      // a window update, for a 3-byte prefix.
      stream.send(new Uint8ArrayList(Uint8Array.from(prefix), bytes))
      // 'drain' fires whenever the muxer can take some bytes again (a 256 KiB window update), not when the write
      // buffer is empty, and onDrain() may resolve at once: waiting for one drain per frame let ¾ of every 1 MiB
      // frame pile up, so a 1 GiB put held most of the file in memory. Wait for 'idle' (the buffer sent) instead.
      if (stream.writeBufferLength > FRAME_BYTES) await sent(stream, options.signal)
    }
  }
}

/** Resolves when the stream has sent its whole write buffer (or closed); rejects on abort. */
async function sent (stream: Stream, signal?: AbortSignal): Promise<void> {
  if (stream.writeBufferLength === 0 || stream.status !== 'open') return
  await new Promise<void>((resolve, reject) => {
    const done = (): void => {
      stream.removeEventListener('idle', done)
      stream.removeEventListener('close', done)
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }
    const onAbort = (): void => { done(); reject(signal?.reason) }
    stream.addEventListener('idle', done)
    stream.addEventListener('close', done)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Frames until the empty end frame, each as the pieces it arrived in (no copy); each at most `max` bytes (data
 * frames: FRAME_BYTES, which no sender exceeds).
 */
export async function * readFrameLists (lp: Framed, signal?: AbortSignal, max = MAX_FRAME_BYTES): AsyncGenerator<Uint8ArrayList> {
  while (true) {
    const frame = await lp.read({ signal: idle(signal), max })
    if (frame.byteLength === 0) return
    yield frame
  }
}

/** Frames until the empty end frame, each in one buffer (a copy when it arrived in several pieces). */
export async function * readFrames (lp: Framed, signal?: AbortSignal, max = MAX_FRAME_BYTES): AsyncGenerator<Uint8Array> {
  for await (const frame of readFrameLists(lp, signal, max)) yield frame.subarray()
}

/** One frame: its bytes in one buffer, or as the pieces they arrived in (sent without joining them). */
export async function writeFrame (lp: Framed, bytes: Uint8Array | Uint8ArrayList, signal?: AbortSignal): Promise<void> {
  await lp.write(bytes, { signal: idle(signal) })
}

export async function writeEnd (lp: Framed, signal?: AbortSignal): Promise<void> {
  await lp.write(new Uint8Array(0), { signal: idle(signal) })
}

/**
 * Re-cut a byte source into lists of pieces of exactly `size` bytes in all (the last may be shorter), without
 * joining the pieces: a piece that straddles a boundary is split into two views. Never yields an empty list.
 */
export async function * rechunkLists (source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8ArrayList> {
  let buf = new Uint8ArrayList()
  for await (const piece of source) {
    if (piece.byteLength === 0) continue
    buf.append(piece)
    while (buf.byteLength >= size) {
      yield buf.sublist(0, size)
      buf = buf.sublist(size)
    }
  }
  if (buf.byteLength > 0) yield buf
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
