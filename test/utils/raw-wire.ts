// Raw bytes on a libp2p stream, for tests that send malformed messages: how the stream ended tells whether the
// node reset it ('reset'), closed it without an answer ('closed'), or answered (the reply frame).
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

/**
 * Send raw bytes (then half-close when `close`) and report how the stream ended: 'reset' (the node aborted
 * it), 'closed' (it ended the stream without a reply), or the reply bytes. A stream that neither answers nor
 * ends within 5 s fails the test.
 */
export async function sendRaw (
  stream: Stream, bytes: Uint8Array, options: { close?: boolean } = {}
): Promise<'reset' | 'closed' | Uint8Array> {
  stream.send(bytes)
  if (options.close === true) await stream.close()
  try {
    const lp = lpStream(stream)
    const reply = await lp.read({ signal: AbortSignal.timeout(5_000) })
    return reply.subarray()
  } catch (err) {
    if (stream.status === 'reset' || (err as Error).name === 'StreamResetError') return 'reset'
    if ((err as Error).name === 'UnexpectedEOFError') return 'closed'
    throw err
  }
}
