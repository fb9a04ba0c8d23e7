// The connection protector of a private network (libp2p's `connectionProtector`): the wire protocol of
// @libp2p/pnet and Kubo's pnet. Each side sends 24 random bytes (its nonce), then every byte each way is XORed
// with XSalsa20 of the pre-shared key and the sender's nonce, beneath noise: a peer without the same key reads
// noise as garbage and the handshake fails, so the connection never completes.
//
// Why not @libp2p/pnet's preSharedKey (3.0.27, the newest release): its xsalsa20 ciphers share one WebAssembly
// memory of 640 KiB that grows to fit the largest update. A single update over ≈ 590 KB (a 1 MiB file frame
// sent at once) grows it, which detaches every other cipher's view of that memory; each then grows it again on
// its next update, until Memory.grow throws at its 64 MiB limit, inside an event listener: an uncaught
// exception that kills the process (in our tests, after a few MB of file traffic). It also never finalizes its
// ciphers, so each of them keeps a 64-byte slot of that memory for good. Here every update is at most
// XOR_PIECE_BYTES and both ciphers are released when the connection closes, so the memory never grows while
// fewer than ≈ 9,000 ciphers (two per connection) are open at once. libp2p/js-libp2p#3585 fixes both upstream;
// once it is released, `preSharedKey({ psk })` can replace this module.
import { randomBytes } from 'node:crypto'
import { AbstractMultiaddrConnection, byteStream } from '@libp2p/utils'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import xsalsa20 from 'xsalsa20'
import { InvalidInputError } from '../errors.js'
import type { AbortOptions, ConnectionProtector, MultiaddrConnection } from '@libp2p/interface'
import type { SendResult } from '@libp2p/utils'
import type { Uint8ArrayList } from 'uint8arraylist'

/** Bytes of the nonce each side sends first (XSalsa20's nonce). */
export const NONCE_BYTES = 24
/** Bytes of the pre-shared key (XSalsa20's key). */
export const PSK_BYTES = 32
/** Largest slice given to one cipher update: small enough that xsalsa20's shared memory never has to grow. */
export const XOR_PIECE_BYTES = 64 * 1024
/** How long the nonce exchange may take when libp2p gives no signal, ms (@libp2p/pnet's default). */
export const NONCE_TIMEOUT_MS = 1_000

export interface PrivateNetworkInit {
  /** A swarm key file's bytes (checked: src/config.ts parseSwarmKey); its third line is the key in hex. */
  swarmKey: Uint8Array
  /** Default NONCE_TIMEOUT_MS. */
  nonceTimeoutMs?: number
}

/** libp2p's `connectionProtector` for a private network with this swarm key. */
export function privateNetwork (init: PrivateNetworkInit): () => ConnectionProtector {
  const psk = pskOf(init.swarmKey)
  return () => new PreSharedKeyProtector(psk, init.nonceTimeoutMs ?? NONCE_TIMEOUT_MS)
}

/** The 32 key bytes of a swarm key file (its third line, in hex). */
export function pskOf (swarmKey: Uint8Array): Uint8Array {
  const hex = new TextDecoder().decode(swarmKey).split(/\r\n|\r|\n/)[2]?.trim() ?? ''
  if (hex.length !== PSK_BYTES * 2 || !/^[0-9a-fA-F]+$/.test(hex)) {
    throw new InvalidInputError(`the swarm key has no key of ${PSK_BYTES * 2} hex digits on its third line`)
  }
  return uint8ArrayFromString(hex.toLowerCase(), 'base16')
}

class PreSharedKeyProtector implements ConnectionProtector {
  readonly [Symbol.toStringTag] = 'chord-peer:pnet'

  constructor (private readonly psk: Uint8Array, private readonly timeoutMs: number) {}

  async protect (connection: MultiaddrConnection, options?: AbortOptions): Promise<MultiaddrConnection> {
    const log = connection.log.newScope('pnet')
    const localNonce = new Uint8Array(randomBytes(NONCE_BYTES))
    const signal = options?.signal ?? AbortSignal.timeout(this.timeoutMs)
    const bytes = byteStream(connection)
    const [remote] = await Promise.all([
      bytes.read({ bytes: NONCE_BYTES, signal }),
      bytes.write(localNonce, { signal })
    ])
    log('exchanged nonces')
    return new XorConnection(bytes.unwrap(), localNonce, remote.subarray(), this.psk)
  }
}

/** The connection seen through the key: XORs what it sends and what it receives with the two ciphers. */
class XorConnection extends AbstractMultiaddrConnection {
  private readonly inbound: xsalsa20.Xor
  private readonly outbound: xsalsa20.Xor
  private released = false

  constructor (private readonly maConn: MultiaddrConnection, localNonce: Uint8Array, remoteNonce: Uint8Array, psk: Uint8Array) {
    super({ log: maConn.log, remoteAddr: maConn.remoteAddr, direction: maConn.direction })
    this.inbound = xsalsa20(remoteNonce, psk)
    this.outbound = xsalsa20(localNonce, psk)
    maConn.addEventListener('message', evt => {
      if (this.released) return
      const data = evt.data
      if (data instanceof Uint8Array) this.onData(xorInPieces(this.inbound, data))
      else for (const buf of data) this.onData(xorInPieces(this.inbound, buf))
    })
    maConn.addEventListener('drain', () => { this.onMuxerDrain() })
    maConn.addEventListener('close', evt => {
      this.release()
      if (evt.error == null) this.onTransportClosed()
      else if (evt.local) this.abort(evt.error)
      else this.onRemoteReset()
    })
  }

  async sendClose (options?: AbortOptions): Promise<void> {
    await this.maConn.close(options)
  }

  sendData (data: Uint8ArrayList): SendResult {
    if (this.released) return { sentBytes: data.byteLength, canSendMore: false }
    return { sentBytes: data.byteLength, canSendMore: this.maConn.send(xorInPieces(this.outbound, data.subarray())) }
  }

  sendReset (err: Error): void {
    this.release()
    this.maConn.abort(err)
  }

  sendPause (): void {
    this.maConn.pause()
  }

  sendResume (): void {
    this.maConn.resume()
  }

  /** Hand both ciphers' slots back to xsalsa20 (and wipe the key from them), once. */
  private release (): void {
    if (this.released) return
    this.released = true
    this.inbound.finalize()
    this.outbound.finalize()
  }
}

/** `input` XORed with the cipher's next bytes, fed to it at most XOR_PIECE_BYTES at a time. */
export function xorInPieces (cipher: xsalsa20.Xor, input: Uint8Array): Uint8Array {
  const output = new Uint8Array(input.byteLength)
  for (let at = 0; at < input.byteLength; at += XOR_PIECE_BYTES) {
    const end = Math.min(at + XOR_PIECE_BYTES, input.byteLength)
    cipher.update(input.subarray(at, end), output.subarray(at, end))
  }
  return output
}
