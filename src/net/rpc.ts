// Request/response over libp2p streams: length-prefixed protobuf, one reply per request, several exchanges per
// stream in turn. Opening a libp2p stream costs more CPU than the exchange itself (multistream negotiation, a
// logger and yamux state per stream), so clients keep idle streams per peer and reuse them.
// The inbound side owns decoding, size limits and the per-message timeout, and hands a decoded request to a
// handler that never touches the stream (kad-dht's rpc/index.ts); `byType` builds such a handler from a table
// of one handler per request type. A decode error, an oversized or truncated frame, a timeout or a handler
// failure resets that stream only; the node keeps serving. A client that half-closes between requests gets a
// graceful close.
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidMessageError, UnreachableError } from '../errors.js'
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Logger } from '@libp2p/logger'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Codec<T> {
  encode (message: T): Uint8Array
  decode (bytes: Uint8Array | Uint8ArrayList): T
}

export interface RpcLimits {
  /** Largest reply in bytes (and largest request, unless maxRequestBytes says otherwise). */
  maxMessageBytes: number
  /** Largest request in bytes (default maxMessageBytes): a server reads no more of a peer's request than this. */
  maxRequestBytes?: number
  /** Time allowed for one exchange, in ms. */
  timeoutMs: number
}

/**
 * Checks the peer of an inbound stream before a byte of it is read (src/trust/gate.ts: members only); throws to
 * refuse, and the stream is reset.
 */
export type Gate = (connection: Connection) => Promise<void>

/** Where a request goes: a PeerId, or multiaddrs that each end in /p2p/<the same PeerId>. */
export type Target = PeerId | Multiaddr[]

/** An inbound stream waits this long for the next request before the server closes it. */
export const IDLE_STREAM_MS = 60_000

export type Handler<Req, Res> = (request: Req, connection: Connection, signal: AbortSignal) => Promise<Res>

export interface ServeInit<Req, Res> extends RpcLimits {
  protocol: string
  request: Codec<Req>
  response: Codec<Res>
  handler: Handler<Req, Res>
  log: Logger
  /** Who may open streams of this protocol (default: anyone). */
  gate?: Gate
  /** Concurrent inbound streams per connection (default 64). */
  maxInboundStreams?: number
}

export interface StreamInit {
  log: Logger
  gate?: Gate
  /** Concurrent inbound streams per connection. */
  maxInboundStreams: number
}

/**
 * Serve `protocol` with `handler` on every inbound stream whose peer passes the gate; a refused stream is reset
 * before it is read. The one place inbound streams enter the node (request/response and bulk protocols alike).
 */
export async function serveStream (
  host: Libp2p, protocol: string, init: StreamInit, handler: (stream: Stream, connection: Connection) => Promise<void>
): Promise<void> {
  await host.handle(protocol, async (stream: Stream, connection: Connection) => {
    if (init.gate !== undefined) {
      // Paused, the stream grants the peer no more window while the gate decides (it may ask the peer for its
      // certificate): what a stranger can make us buffer is the initial yamux window, not the 4 MiB read buffer.
      if (stream.readStatus === 'readable') stream.pause()
      try {
        await init.gate(connection)
      } catch (err) {
        init.log('%s from %p refused: %e', protocol, connection.remotePeer, err)
        stream.abort(err as Error)
        return
      }
      if (stream.readStatus === 'paused') stream.resume()
    }
    await handler(stream, connection)
  }, { maxInboundStreams: init.maxInboundStreams })
}

/** An lpStream over `stream` that accepts messages up to `max` bytes (libp2p's buffers default to 4 MiB). */
function framedMessages (stream: Stream, max: number): LengthPrefixedStream<Stream> {
  stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, max + 16)
  return lpStream(stream, { maxDataLength: max, maxBufferSize: max + 16 })
}

/**
 * One handler per request type: a request whose type has no entry is invalid (InvalidMessageError, so its
 * stream is reset).
 */
export function byType<T extends PropertyKey, Req extends { type: T }, Args extends unknown[], Res> (
  protocol: string, table: Record<T, (request: Req, ...args: Args) => Promise<Res>>
): (request: Req, ...args: Args) => Promise<Res> {
  return async (request, ...args) => {
    const handler = table[request.type] as ((request: Req, ...args: Args) => Promise<Res>) | undefined
    if (handler === undefined) throw new InvalidMessageError(`unknown ${protocol} request type ${String(request.type)}`)
    return await handler(request, ...args)
  }
}

/** Register an rpc handler on `host` for `init.protocol`. */
export async function serveRpc<Req, Res> (host: Libp2p, init: ServeInit<Req, Res>): Promise<void> {
  const streamInit = { log: init.log, gate: init.gate, maxInboundStreams: init.maxInboundStreams ?? 64 }
  await serveStream(host, init.protocol, streamInit, async (stream: Stream, connection: Connection) => {
    // Bytes that arrived and bytes of whole requests read: a half-close between requests is the end of the
    // conversation, one in the middle of a request is a truncated (malformed) request.
    let received = 0
    let consumed = 0
    stream.addEventListener('message', evt => { received += evt.data.byteLength })
    const lp = framedMessages(stream, init.maxRequestBytes ?? init.maxMessageBytes)
    try {
      while (true) {
        let bytes: Uint8ArrayList
        try {
          bytes = await lp.read({ signal: AbortSignal.timeout(IDLE_STREAM_MS) })
        } catch (err) {
          if (received === consumed && isEndOfStream(err, stream)) { await stream.close().catch(() => {}); return }
          if (received !== consumed && isEndOfStream(err, stream)) throw new InvalidMessageError(
            `a ${init.protocol} request was cut short`, { cause: err })
          throw err
        }
        consumed += varintLength(bytes.byteLength) + bytes.byteLength
        const signal = AbortSignal.timeout(init.timeoutMs)
        let request: Req
        try {
          request = init.request.decode(bytes)
        } catch (err) {
          throw new InvalidMessageError(`bad ${init.protocol} request: ${(err as Error).message}`, { cause: err })
        }
        const response = await init.handler(request, connection, signal)
        await lp.write(init.response.encode(response), { signal })
      }
    } catch (err) {
      init.log('%s from %p failed: %e', init.protocol, connection.remotePeer, err)
      stream.abort(err as Error)
    }
  })
}

function isEndOfStream (err: unknown, stream: Stream): boolean {
  const name = (err as Error).name
  return name === 'UnexpectedEOFError' || name === 'TimeoutError' || stream.remoteWriteStatus !== 'writable'
}

function varintLength (n: number): number {
  let length = 1
  while (n >= 0x80) { n = Math.floor(n / 128); length++ }
  return length
}

/** The PeerId a target names (the /p2p component of its first multiaddr). */
export function targetPeer (target: Target): PeerId {
  if (!Array.isArray(target)) return target
  const p2p = target[0]?.getComponents().findLast(c => c.name === 'p2p')?.value
  if (p2p === undefined) throw new UnreachableError('a dial target needs /p2p/<peer id>')
  return peerIdFromString(p2p)
}

export interface RequestOptions {
  signal?: AbortSignal
}

interface Channel { stream: Stream, lp: LengthPrefixedStream<Stream> }

export interface RpcClientInit<Req, Res> {
  host: Libp2p
  protocol: string
  request: Codec<Req>
  response: Codec<Res>
  limits: RpcLimits
  /** Idle streams kept per peer (default 4). */
  maxIdlePerPeer?: number
}

/** The outbound side of one protocol, with a pool of idle streams per peer. */
export class RpcClient<Req, Res> {
  private readonly idle = new Map<string, Channel[]>()

  constructor (private readonly init: RpcClientInit<Req, Res>) {}

  /**
   * Send `req` to the peer `target` names and read the reply; a pooled stream to that peer is used when there
   * is one. A reused stream the remote has since closed is retried once on a fresh one. Every failure becomes
   * UnreachableError or InvalidMessageError.
   */
  async request (target: Target, req: Req, options: RequestOptions = {}): Promise<Res> {
    const signal = options.signal === undefined
      ? AbortSignal.timeout(this.init.limits.timeoutMs)
      : AbortSignal.any([options.signal, AbortSignal.timeout(this.init.limits.timeoutMs)])
    const key = targetPeer(target).toString()
    const reused = this.take(key)
    if (reused !== undefined) {
      try {
        return await this.exchange(key, reused, req, signal)
      } catch (err) {
        if (signal.aborted || err instanceof InvalidMessageError) throw err
      }
    }
    let stream: Stream
    try {
      stream = await this.init.host.dialProtocol(target, this.init.protocol, { signal })
    } catch (err) {
      throw new UnreachableError(`cannot open ${this.init.protocol}: ${(err as Error).message}`, { cause: err })
    }
    return await this.exchange(key, { stream, lp: framedMessages(stream, this.init.limits.maxMessageBytes) }, req, signal)
  }

  /** Drop every idle stream. */
  close (): void {
    for (const channels of this.idle.values()) for (const c of channels) c.stream.abort(new Error('rpc client closed'))
    this.idle.clear()
  }

  private take (key: string): Channel | undefined {
    const channels = this.idle.get(key)
    while (channels !== undefined && channels.length > 0) {
      const c = channels.pop()!
      if (c.stream.status === 'open' && c.stream.writeStatus === 'writable' && c.stream.remoteWriteStatus === 'writable') return c
      c.stream.abort(new Error('stale'))
    }
    this.idle.delete(key)
    return undefined
  }

  private async exchange (key: string, c: Channel, req: Req, signal: AbortSignal): Promise<Res> {
    let bytes: Uint8ArrayList
    try {
      await c.lp.write(this.init.request.encode(req), { signal })
      bytes = await c.lp.read({ signal })
    } catch (err) {
      c.stream.abort(err as Error)
      throw new UnreachableError(`${this.init.protocol} exchange failed: ${(err as Error).message}`, { cause: err })
    }
    let res: Res
    try {
      res = this.init.response.decode(bytes)
    } catch (err) {
      c.stream.abort(err as Error)
      throw new InvalidMessageError(`bad ${this.init.protocol} reply: ${(err as Error).message}`, { cause: err })
    }
    const channels = this.idle.get(key) ?? []
    if (channels.length < (this.init.maxIdlePerPeer ?? 4)) {
      channels.push(c)
      this.idle.set(key, channels)
    } else {
      await c.stream.close({ signal }).catch(() => {})
    }
    return res
  }
}

/** One request on a fresh stream that is closed afterwards (rare exchanges such as a join, and tests). */
export async function request<Req, Res> (
  host: Libp2p, target: Target, protocol: string, req: Req, codecs: { request: Codec<Req>, response: Codec<Res> }, limits: RpcLimits,
  options: RequestOptions = {}
): Promise<Res> {
  const client = new RpcClient<Req, Res>({ host, protocol, ...codecs, limits, maxIdlePerPeer: 0 })
  return await client.request(target, req, options)
}
