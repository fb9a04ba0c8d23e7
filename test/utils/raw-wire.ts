// Raw bytes on a libp2p stream, for tests that send malformed messages: how the stream ended tells whether the
// node reset it ('reset') or answered (the reply frame).
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'

export function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return Uint8Array.from(out)
}

/** A length-prefixed frame around `body`. */
export const frame = (body: Uint8Array): Uint8Array => Uint8Array.from([...varint(body.length), ...body])

/** Send raw bytes and report how the stream ended: 'reset' (no reply, stream aborted) or the reply bytes. */
export async function sendRaw (stream: Stream, bytes: Uint8Array): Promise<'reset' | Uint8Array> {
  stream.send(bytes)
  try {
    const lp = lpStream(stream)
    const reply = await lp.read({ signal: AbortSignal.timeout(5_000) })
    return reply.subarray()
  } catch {
    return 'reset'
  }
}
