// Request/response over libp2p streams: length-prefixed protobuf, one reply per request, several exchanges per
// stream in turn. Opening a libp2p stream costs more CPU than the exchange itself (multistream negotiation, a
// logger and yamux state per stream: ≈ 2–4 ms here), so clients keep idle streams per peer and reuse them.
// The inbound side owns decoding, size limits and the per-message timeout, and hands a decoded request to a
// handler that never touches the stream (kad-dht's rpc/index.ts). A decode error, oversized frame, timeout or
// handler failure resets that stream only; the node keeps serving.
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
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
  /** Largest request or reply in bytes. */
  maxMessageBytes: number
  /** Time allowed for one exchange, in ms. */
  timeoutMs: number
}

/** An inbound stream waits this long for the next request before the server closes it. */
export const IDLE_STREAM_MS = 60_000

export interface ServeInit<Req, Res> extends RpcLimits {
  protocol: string
  request: Codec<Req>
  response: Codec<Res>
  handler: (request: Req, connection: Connection, signal: AbortSignal) => Promise<Res>
  log: Logger
  /** Concurrent inbound streams per connection (default 64). */
  maxInboundStreams?: number
}

/** Register an rpc handler on `host` for `init.protocol`. */
export async function serveRpc<Req, Res> (host: Libp2p, init: ServeInit<Req, Res>): Promise<void> {
  await host.handle(init.protocol, async (stream: Stream, connection: Connection) => {
    const lp = lpStream(stream, { maxDataLength: init.maxMessageBytes })
    try {
      while (true) {
        let bytes: Uint8ArrayList
        try {
          bytes = await lp.read({ signal: AbortSignal.timeout(IDLE_STREAM_MS) })
        } catch (err) {
          if (isEndOfStream(err, stream)) { await stream.close().catch(() => {}); return }
          throw err
        }
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
      init.log('%s from %p failed: %s', init.protocol, connection.remotePeer, (err as Error).message)
      stream.abort(err as Error)
    }
  }, { maxInboundStreams: init.maxInboundStreams ?? 64 })
}

function isEndOfStream (err: unknown, stream: Stream): boolean {
  const name = (err as Error).name
  return name === 'UnexpectedEOFError' || name === 'TimeoutError' || stream.remoteWriteStatus !== 'writable'
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
   * Send `req` to `peer` and read the reply. `target` says how to reach it when we hold no stream: its PeerId
   * (when connected or in the peer store) or its multiaddrs. A reused stream the remote has since closed is
   * retried once on a fresh one. Every failure becomes UnreachableError or InvalidMessageError.
   */
  async request (peer: PeerId, target: PeerId | Multiaddr[], req: Req, options: RequestOptions = {}): Promise<Res> {
    const signal = options.signal === undefined ? AbortSignal.timeout(this.init.limits.timeoutMs) : AbortSignal.any([options.signal, AbortSignal.timeout(this.init.limits.timeoutMs)])
    const key = peer.toString()
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
    return this.exchange(key, { stream, lp: lpStream(stream, { maxDataLength: this.init.limits.maxMessageBytes }) }, req, signal)
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

/** One request on a fresh stream that is closed afterwards (rare exchanges such as a join). */
export async function request<Req, Res> (host: Libp2p, target: PeerId | Multiaddr[], protocol: string, req: Req, codecs: { request: Codec<Req>, response: Codec<Res> }, limits: RpcLimits, options: RequestOptions = {}): Promise<Res> {
  const client = new RpcClient<Req, Res>({ host, protocol, ...codecs, limits, maxIdlePerPeer: 0 })
  return client.request(host.peerId, target, req, options)
}
