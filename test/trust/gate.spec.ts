// The members-only gate between two real hosts: a stranger is refused; a member is let in by the certificate it
// serves; and a member whose certificate this node already holds is let in at once while its current
// certificate is fetched, so a node that restarted elsewhere is dialled at its new address.
import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { PeerDirectory } from '../../src/chord/wire.js'
import { createHost, type Host } from '../../src/net/host.js'
import { newKey } from '../../src/net/identity.js'
import { IdSpace } from '../../src/ring/id.js'
import { CERT_TTL_MS, CertVerifier, issueCert, Role } from '../../src/trust/certs.js'
import { MemberGate } from '../../src/trust/gate.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { waitFor } from '../utils/wait.js'
import type { PrivateKey } from '@libp2p/interface'

describe('trust: the members-only gate', function () {
  this.timeout(30_000)
  let rootKey: PrivateKey
  const hosts: Host[] = []
  const gates: MemberGate[] = []

  beforeEach(async () => { rootKey = await newKey() })
  afterEach(async () => {
    await Promise.all(gates.splice(0).map(async g => g.stop()))
    await Promise.all(hosts.splice(0).map(async h => h.stop()))
  })

  /** A host with its gate and directory; the directory trusts the root. */
  async function node (): Promise<{ host: Host, gate: MemberGate, dir: PeerDirectory }> {
    const host = await createHost({ privateKey: await newKey(), listen: ['/ip4/127.0.0.1/tcp/0'] })
    hosts.push(host)
    const verifier = new CertVerifier()
    verifier.setRoots([peerIdFromPrivateKey(rootKey).toString()])
    const dir = new PeerDirectory(new IdSpace(), host, verifier)
    const gate = new MemberGate({ host, members: dir })
    gates.push(gate)
    await gate.start()
    return { host, gate, dir }
  }

  const certOf = async (host: Host, addrs: string[], expires: number): Promise<Uint8Array<ArrayBuffer>> =>
    await issueCert(rootKey, peerIdFromPrivateKey(rootKey), {
      subject: host.peerId, role: Role.PEER, addrs: addrs.map(a => multiaddr(a)), epoch: 1, expires
    })

  it('refuses a stranger, lets in a member by the certificate it serves', async () => {
    const a = await node()
    const b = await node()
    const connection = await a.host.dial(b.host.getMultiaddrs()[0])
    await assert.rejects(a.gate.check(connection), (err: Error) => err.name === 'NotMemberError')
    const other = await node()
    const toOther = await a.host.dial(other.host.getMultiaddrs()[0])
    other.gate.setOwn(await certOf(other.host, ['/ip4/127.0.0.1/tcp/1'], Date.now() + CERT_TTL_MS))
    await a.gate.check(toOther)
    assert.ok(a.dir.isMember(other.host.peerId.toString()))
  })

  it('lets in a member it holds an old certificate of at once, and learns its current one on the new connection', async () => {
    const a = await node()
    const b = await node()
    const address = b.host.peerId.toString()
    const now = b.host.getMultiaddrs()[0].decapsulateCode(421).toString()
    a.dir.learnCert(await certOf(b.host, ['/ip4/127.0.0.1/tcp/9'], Date.now() + CERT_TTL_MS / 2))
    b.gate.setOwn(await certOf(b.host, [now], Date.now() + CERT_TTL_MS))
    await b.host.dial(a.host.getMultiaddrs()[0])
    await waitFor(() => a.host.getConnections(b.host.peerId).length > 0, { what: 'the inbound connection' })
    await a.gate.check(a.host.getConnections(b.host.peerId)[0])
    assert.ok(a.dir.isMember(address), 'let in on the certificate held')
    await waitFor(() => a.dir.cert(address)?.addrs[0]?.toString() === now, { timeoutMs: 5_000, what: 'the current certificate' })
  })

  it('fetches an ageing certificate again once for many dials, and not again within REFRESH_MS', async () => {
    const a = await node()
    const b = await node()
    const address = b.host.peerId.toString()
    const listen = b.host.getMultiaddrs()[0].decapsulateCode(421).toString()
    // Past half its life: every dialTarget of b calls onAging.
    a.dir.learnCert(await certOf(b.host, [listen], Date.now() + CERT_TTL_MS / 4))
    b.gate.setOwn(await certOf(b.host, [listen], Date.now() + CERT_TTL_MS))
    const client = (a.gate as unknown as { client: { request: (...args: unknown[]) => Promise<unknown> } }).client
    const request = client.request.bind(client)
    let asked = 0
    client.request = async (...args: unknown[]) => { asked++; return await request(...args) }
    const ref = a.dir.refOf(address)
    for (let i = 0; i < 5; i++) a.dir.dialTarget(ref)
    await waitFor(() => (a.dir.cert(address)?.expires ?? 0) > Date.now() + CERT_TTL_MS / 2, { what: 'the renewed certificate' })
    assert.equal(asked, 1)
    // Ageing again (its holder's renewal lags): not asked again within REFRESH_MS.
    const lagging = a.dir.refOf(address)
    a.dir['entries'].get(address)!.cert = { ...a.dir.cert(address)!, expires: Date.now() + CERT_TTL_MS / 4 }
    for (let i = 0; i < 5; i++) a.dir.dialTarget(lagging)
    assert.equal(asked, 1)
  })
})
