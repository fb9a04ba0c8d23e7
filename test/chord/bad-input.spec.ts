// Bad input on the wire and at start-up: every malformed or oversized message resets only its own stream and the
// node keeps serving; a join that names another PeerId is refused; identities persist; dead bootstraps time out.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { ChordRequest, ChordResponse } from '../../protocols/chord.js'
import { MembershipRequest, MembershipResponse } from '../../protocols/membership.js'
import { CHORD_PROTOCOL } from '../../src/chord/messenger.js'
import { JoinFailedError } from '../../src/errors.js'
import { MEMBERSHIP_PROTOCOL } from '../../src/membership/client.js'
import { createHost, type Host } from '../../src/net/host.js'
import { newKey } from '../../src/net/identity.js'
import { createPeer, type Peer } from '../../src/peer.js'
import { frame, sendRaw, varint } from '../utils/raw-wire.js'

const chordReq = (r: Partial<ChordRequest>): Uint8Array => ChordRequest.encode({
  type: ChordRequest.Type.PING, addrs: [], successors: [], key: new Uint8Array(0), ...r
})

describe('bad input', function () {
  this.timeout(60_000)
  let node: Peer
  // An admitted member sends the malformed messages: an outsider's streams are reset before they are read.
  let member: Peer
  let client: Host
  let outsider: Host
  const tmp: string[] = []

  before(async () => {
    node = await createPeer({ bootstrap: true, listen: ['/ip4/127.0.0.1/tcp/0'], api: false })
    member = await createPeer({ connect: [node.multiaddrs[0]], listen: ['/ip4/127.0.0.1/tcp/0'], api: false })
    client = member.host
    outsider = await createHost({ privateKey: await newKey(), listen: ['/ip4/127.0.0.1/tcp/0'] })
  })
  after(async () => {
    await outsider?.stop()
    await member?.stop({ leave: false })
    await node?.stop()
    for (const dir of tmp) await rm(dir, { recursive: true, force: true })
  })

  it('an outsider\'s chord stream is reset before its request is read, however well formed', async () => {
    const stream = await outsider.dialProtocol(multiaddr(node.multiaddrs[0]), CHORD_PROTOCOL)
    assert.equal(await sendRaw(stream, frame(chordReq({ type: ChordRequest.Type.GET_STATE }))), 'reset')
    await stillServes()
  })

  async function stillServes (): Promise<void> {
    const stream = await client.dialProtocol(multiaddr(node.multiaddrs[0]), CHORD_PROTOCOL)
    const reply = await sendRaw(stream, frame(chordReq({ type: ChordRequest.Type.GET_STATE })))
    assert.notEqual(reply, 'reset', 'the node stopped serving')
    const res = ChordResponse.decode(reply as Uint8Array)
    assert.equal(res.successors.length, 1) // a lone node is its own successor
  }

  const malformed: Array<[string, () => Uint8Array]> = [
    ['bytes that are not protobuf', () => frame(Uint8Array.from([0xff, 0xff, 0xff, 0xff]))],
    ['a length prefix of 10 MB (over the 64 KiB limit)', () => Uint8Array.from([...varint(10 * 1024 * 1024), 1, 2, 3])],
    ['a FIND_SUCCESSOR key of 5 bytes', () => frame(chordReq({ type: ChordRequest.Type.FIND_SUCCESSOR, key: new Uint8Array(5) }))],
    ['an unknown request type', () => frame(Uint8Array.from([0x08, 0x63]))],
    ['a NOTIFY with a broken multiaddr', () => frame(chordReq({
      type: ChordRequest.Type.NOTIFY,
      addrs: [Uint8Array.from([0xff, 0x01, 0x02])]
    }))],
    ['a LEAVE with a broken peer id', () => frame(chordReq({
      type: ChordRequest.Type.LEAVE,
      successors: [{ peerId: Uint8Array.from([1, 2, 3]), addrs: [], cert: new Uint8Array(0) }]
    }))],
    ['a LEAVE with 1,000 successors', () => frame(chordReq({
      type: ChordRequest.Type.LEAVE,
      successors: Array.from({ length: 1000 }, () => ({ peerId: client.peerId.toMultihash().bytes, addrs: [], cert: new Uint8Array(0) }))
    }))]
  ]
  for (const [what, bytes] of malformed) {
    it(`chord: ${what} resets the stream and the node keeps serving`, async () => {
      const stream = await client.dialProtocol(multiaddr(node.multiaddrs[0]), CHORD_PROTOCOL)
      assert.equal(await sendRaw(stream, bytes()), 'reset')
      await stillServes()
    })
  }

  it('chord: a request cut short by a half-close resets the stream; a half-close between requests closes it', async () => {
    const whole = frame(chordReq({ type: ChordRequest.Type.GET_STATE }))
    const cut = await client.dialProtocol(multiaddr(node.multiaddrs[0]), CHORD_PROTOCOL)
    assert.equal(await sendRaw(cut, whole.subarray(0, whole.length - 1), { close: true }), 'reset')
    const idle = await client.dialProtocol(multiaddr(node.multiaddrs[0]), CHORD_PROTOCOL)
    assert.equal(await sendRaw(idle, new Uint8Array(0), { close: true }), 'closed')
    await stillServes()
  })

  it('membership: garbage resets the stream and the node keeps serving', async () => {
    const stream = await client.dialProtocol(multiaddr(node.multiaddrs[0]), MEMBERSHIP_PROTOCOL)
    assert.equal(await sendRaw(stream, frame(Uint8Array.from([0x12, 0xff, 0x01]))), 'reset')
    await stillServes()
  })

  it('membership: a JOIN naming another PeerId than the connection is refused', async () => {
    const other = await newKey()
    const stream = await client.dialProtocol(multiaddr(node.multiaddrs[0]), MEMBERSHIP_PROTOCOL)
    const reply = await sendRaw(stream, frame(MembershipRequest.encode({
      type: MembershipRequest.Type.JOIN,
      peerId: peerIdFromPrivateKey(other).toMultihash().bytes,
      addrs: []
    })))
    assert.notEqual(reply, 'reset')
    const res = MembershipResponse.decode(reply as Uint8Array)
    assert.equal(res.status, MembershipResponse.Status.WRONG_PEER)
    assert.equal(res.successors.length, 0)
    assert.ok(!node.membership!.current.members.some(m => m.address === peerIdFromPrivateKey(other).toString()), 'nothing was admitted')
  })

  it('a restarted node keeps its PeerId (the key lives in the data dir)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chord-peer-id-'))
    tmp.push(dir)
    const first = await createPeer({ bootstrap: true, listen: ['/ip4/127.0.0.1/tcp/0'], api: false, dataDir: dir })
    const id = first.peerId
    await first.stop()
    const second = await createPeer({ bootstrap: true, listen: ['/ip4/127.0.0.1/tcp/0'], api: false, dataDir: dir })
    await second.stop()
    assert.equal(second.peerId, id)
  })

  it('an unreachable bootstrap is retried for the join timeout, then fails with JoinFailedError', async () => {
    // The bootstrap: a TCP port on 127.0.0.1 that accepts each connection and drops it at once, under the PeerId
    // of a throwaway key. Every join attempt reaches it and fails; the count shows the joiner kept trying.
    let attempts = 0
    const sockets = new Set<Socket>()
    const server = createServer(socket => {
      attempts++
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.destroy()
    })
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
    try {
      const { port } = server.address() as AddressInfo
      const addr = `/ip4/127.0.0.1/tcp/${port}/p2p/${peerIdFromPrivateKey(await newKey()).toString()}`
      await assert.rejects(createPeer({ connect: [addr], listen: ['/ip4/127.0.0.1/tcp/0'], api: false, joinTimeoutMs: 1_500 }),
        (err: Error) => err.name === 'JoinFailedError' && err instanceof JoinFailedError && err.code === 'ERR_JOIN_FAILED')
      assert.ok(attempts > 1, `the joiner connected ${attempts} time(s): it did not retry`)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  })
})
