// The private network's connection protector (src/net/pnet.ts): it speaks @libp2p/pnet's wire protocol (a host
// with the library's protector and the same key connects, one with another key does not), and its cipher
// updates stay small, so large writes followed by traffic on other ciphers do not exhaust xsalsa20's shared
// WebAssembly memory (which, fed a 1 MiB update, throws after about a thousand alternating small updates).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { ping, type Ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import xsalsa20 from 'xsalsa20'
import { newSwarmKey } from '../../src/cli/swarm-key.js'
import { createHost, type Host } from '../../src/net/host.js'
import { pskOf, xorInPieces, XOR_PIECE_BYTES } from '../../src/net/pnet.js'

const swarmKey = async (): Promise<Uint8Array> => new TextEncoder().encode(await newSwarmKey())

async function ourHost (key: Uint8Array): Promise<Host> {
  return createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], swarmKey: key })
}

/** A host built with @libp2p/pnet's own protector (small messages only: its ciphers have the memory bug). */
async function libraryHost (key: Uint8Array): Promise<Libp2p<{ ping: Ping }>> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionProtector: preSharedKey({ psk: key }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { ping: ping() }
  })
}

describe('private network protector (src/net/pnet.ts)', function () {
  this.timeout(60_000)

  it('interoperates with @libp2p/pnet: same key connects both ways, another key does not', async () => {
    const key = await swarmKey()
    const ours = await ourHost(key)
    const theirs = await libraryHost(key)
    const stranger = await libraryHost(await swarmKey())
    try {
      assert.ok(await ours.services.ping.ping(theirs.getMultiaddrs()[0]) >= 0)
      assert.ok(await theirs.services.ping.ping(ours.getMultiaddrs()[0]) >= 0)
      await assert.rejects(ours.dial(stranger.getMultiaddrs()[0], { signal: AbortSignal.timeout(10_000) }))
      await assert.rejects(stranger.dial(ours.getMultiaddrs()[0], { signal: AbortSignal.timeout(10_000) }))
      assert.equal(ours.getConnections(stranger.peerId).length, 0)
    } finally {
      await Promise.all([ours.stop(), theirs.stop(), stranger.stop()])
    }
  })

  it('XORs in pieces of at most 64 KiB, the same stream of bytes as whole updates, reversibly', () => {
    const psk = pskOf(new TextEncoder().encode(`/key/swarm/psk/1.0.0/\n/base16/\n${'ab'.repeat(32)}`))
    assert.equal(psk.length, 32)
    const nonce = new Uint8Array(randomBytes(24))
    const plain = new Uint8Array(randomBytes(3 * XOR_PIECE_BYTES + 1001))
    const sealed = xorInPieces(xsalsa20(nonce, psk), plain)
    assert.notDeepEqual(sealed, plain)
    // Split differently (odd sizes below the piece size): the keystream continues across updates.
    const other = xsalsa20(nonce, psk)
    const parts: Uint8Array[] = []
    let at = 0
    for (const n of [1, 63, 1000, 40_000, 65_536, 65_535, plain.length]) {
      const end = Math.min(at + n, plain.length)
      parts.push(other.update(plain.subarray(at, end)))
      at = end
      if (at === plain.length) break
    }
    assert.deepEqual(Buffer.concat(parts), Buffer.from(sealed))
    assert.deepEqual(xorInPieces(xsalsa20(nonce, psk), sealed), plain, 'the same cipher opens it')
  })

  it('a 1 MiB write followed by thousands of small updates on two ciphers does not exhaust the cipher memory', () => {
    const psk = new Uint8Array(randomBytes(32))
    const a = xsalsa20(new Uint8Array(randomBytes(24)), psk)
    const b = xsalsa20(new Uint8Array(randomBytes(24)), psk)
    try {
      xorInPieces(a, new Uint8Array(1024 * 1024))
      for (let i = 0; i < 5_000; i++) xorInPieces(i % 2 === 0 ? a : b, new Uint8Array(100))
    } finally {
      a.finalize()
      b.finalize()
    }
  })

  it('moves 32 MiB each way over one protected connection in 1 MiB writes while other connections talk', async () => {
    const key = await swarmKey()
    const [x, y, z] = await Promise.all([ourHost(key), ourHost(key), ourHost(key)])
    const echo = '/test/echo/1.0.0'
    try {
      for (const h of [x, y, z]) {
        await h.handle(echo, async stream => {
          for await (const chunk of stream) {
            if (!stream.send(chunk.subarray())) await stream.onDrain()
          }
          await stream.close()
        })
      }
      const chatter = (async () => {
        for (let i = 0; i < 200; i++) await z.services.ping.ping(y.getMultiaddrs()[0])
      })()
      const stream = await x.dialProtocol(y.getMultiaddrs()[0], echo)
      const block = new Uint8Array(randomBytes(1024 * 1024))
      const sent = 32
      const reading = (async () => {
        let got = 0
        for await (const chunk of stream) got += chunk.byteLength
        return got
      })()
      for (let i = 0; i < sent; i++) if (!stream.send(block)) await stream.onDrain()
      await stream.close()
      assert.equal(await reading, sent * block.length)
      await chatter
    } finally {
      await Promise.all([x.stop(), y.stop(), z.stop()])
    }
  })
})
