// Owners (protocols/README.md §10.3): a name belongs to the writer of its live version. Another member can
// neither overwrite nor delete it: not through its own node's HTTP API (403 ERR_NOT_OWNER, naming the owner),
// not through the CLI (the daemon's message, exit 1), and not with crafted store streams from its own libp2p
// host, which every holder resets (the name's primary excepted: it settles two writers on the newest version).
// The owner can, a supernode may delete (moderation) but not overwrite, and
// after a delete anyone may write the name again. On the code before owners, any member's put or delete simply
// made a newer version: every refusal here then succeeded (201, 200, exit 0, OK).
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StoreResult } from '../../protocols/files.js'
import { sha256Hex } from '../../src/files/hashing.js'
import { signRecord } from '../../src/files/signature.js'
import { newKey } from '../../src/net/identity.js'
import { createTestnet, type Testnet } from '../../src/testnet.js'
import { collect } from '../../harness/bytes.js'
import { runCli } from '../utils/cli.js'
import { storeBytes, storeFrom, version } from '../utils/store-wire.js'
import type { ErrorJson } from '../../src/api/types.js'
import type { Peer } from '../../src/peer.js'
import type { PrivateKey } from '@libp2p/interface'
import { holdersOf as placed, nameWhere as placedWhere } from '../utils/placement.js'
import { settingsOf, stillWorks } from '../utils/still-works.js'
import { apiFetch } from '../utils/api.js'

const K = 3

describe('security: owners', function () {
  this.timeout(120_000)
  let net: Testnet
  /** The ring's settings as founded: every attack ends by checking the ring still works with them. */
  let founded: ReturnType<typeof settingsOf>
  let supernode: Peer
  let owner: Peer
  let ownerKey: PrivateKey
  let member: Peer
  let memberKey: PrivateKey
  let dir: string

  const holdersOf = (name: string): Peer[] => placed(net, name, K)
  const nameWhere = (prefix: string, fits: (holders: Peer[]) => boolean): string => placedWhere(net, K, prefix, fits)

  /** An HTTP request to `node`'s API for file `name`. */
  async function http (node: Peer, method: 'PUT' | 'DELETE', name: string, body?: string): Promise<{ status: number, json: ErrorJson }> {
    const res = await apiFetch(node, `/api/files/${encodeURIComponent(name)}`, { method, body })
    return { status: res.status, json: await res.json() as ErrorJson }
  }

  /** Every node reads `name` and gets `text`. */
  async function everyNodeReads (name: string, text: string): Promise<void> {
    for (const node of net.nodes) {
      const read = await node.files.read(name)
      assert.equal((await collect(read.body)).toString(), text, `${node.peerId.slice(-6)} reads ${name}`)
    }
  }

  before(async () => {
    net = await createTestnet({ peers: 2, k: K, api: true })
    founded = settingsOf(net)
    ownerKey = await newKey()
    memberKey = await newKey()
    owner = await net.add({ privateKey: ownerKey })
    member = await net.add({ privateKey: memberKey })
    await net.waitForRing()
    supernode = net.nodes[0]
    // Who the supernodes are comes from membership (src/peer.ts); set here so this test does not depend on it.
    for (const node of net.nodes) node.files.ctx.isSupernode = address => address === supernode.peerId
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-owners-'))
  })
  after(async () => {
    await net?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('another member\'s overwrite and delete through its node\'s HTTP API: 403 ERR_NOT_OWNER naming the owner', async () => {
    assert.equal((await http(owner, 'PUT', 'api.txt', 'the owner\'s')).status, 201)
    for (const [method, body] of [['PUT', 'the member\'s'], ['DELETE', undefined]] as const) {
      const res = await http(member, method, 'api.txt', body)
      assert.equal(res.status, 403, `${method}: ${JSON.stringify(res.json)}`)
      assert.equal(res.json.code, 'ERR_NOT_OWNER')
      assert.match(res.json.error, new RegExp(owner.peerId))
    }
    await everyNodeReads('api.txt', 'the owner\'s')
    await stillWorks(net, founded)
  })

  it('the CLI shows whose the name is and exits 1, for put and rm', async () => {
    await owner.files.put('cli.txt', (async function * () { yield Buffer.from('the owner\'s') })())
    const file = join(dir, 'mine.txt')
    await writeFile(file, 'the member\'s')
    const put = await runCli(['put', file, '--name', 'cli.txt', '--api', member.apiUrl!, '--api-token', member.apiToken!])
    assert.equal(put.code, 1, put.stderr)
    assert.match(put.stderr, new RegExp(`^error: "cli.txt" belongs to ${owner.peerId}: only its owner may overwrite it$`, 'm'))
    const del = await runCli(['rm', 'cli.txt', '--api', member.apiUrl!, '--api-token', member.apiToken!])
    assert.equal(del.code, 1, del.stderr)
    assert.match(del.stderr, new RegExp(`^error: "cli.txt" belongs to ${owner.peerId}: only its owner or a supernode may delete it$`, 'm'))
    await everyNodeReads('cli.txt', 'the owner\'s')
    await stillWorks(net, founded)
  })

  it('another member\'s crafted store streams (a newer version, a tombstone, signed by itself) are reset by every holder', async () => {
    // The member is not the name's primary: the primary's own pushes settle a name two writers wrote (below).
    const name = nameWhere('raw', holders => holders[0] !== member)
    const { record: put } = await owner.files.put(name, (async function * () { yield Buffer.from('the owner\'s') })())
    const content = Buffer.from('the member\'s')
    const over = await signRecord(memberKey, version(name, content, member.peerId))
    const gone = await signRecord(memberKey, version(name, new Uint8Array(0), member.peerId, { tombstone: true }))
    for (const holder of holdersOf(name).filter(p => p !== member)) {
      assert.equal(await storeFrom(member, holder, storeBytes(over, content)), 'reset')
      assert.equal(await storeFrom(member, holder, storeBytes(gone, new Uint8Array(0))), 'reset')
      assert.deepEqual((await holder.files.ctx.records.get(put.key))?.version, put.version)
    }
    await everyNodeReads(name, 'the owner\'s')
    // The control: the same kind of stream from the owner, signed by the owner, is stored.
    const mine = Buffer.from('the owner\'s, again')
    const again = await signRecord(ownerKey, version(name, mine, owner.peerId))
    const holder = holdersOf(name).find(p => p !== owner && p !== member)!
    const res = await storeFrom(owner, holder, storeBytes(again, mine))
    assert.ok(typeof res === 'object', String(res))
    assert.equal(res.status, StoreResult.Status.OK, res.error)
    await stillWorks(net, founded)
  })

  it('the name\'s primary settles two writers on the newest version: a replica takes its push of another writer\'s newer one', async () => {
    // How a partition's two writers of one name converge (last writer wins), and the limit it sets: the primary
    // of a name can replace it. From any other member the same stream is reset (the test above).
    const name = nameWhere('settled', holders => holders[0] === member)
    const { record: put } = await owner.files.put(name, (async function * () { yield Buffer.from('the owner\'s') })())
    const content = Buffer.from('the primary\'s, newer')
    const newer = await signRecord(memberKey, version(name, content, member.peerId))
    const replica = holdersOf(name).slice(1).find(p => p !== owner)!
    assert.equal((await replica.files.ctx.records.get(put.key))?.version.writer, owner.peerId)
    const res = await storeFrom(member, replica, storeBytes(newer, content))
    assert.ok(typeof res === 'object', String(res))
    assert.equal(res.status, StoreResult.Status.OK, res.error)
    assert.equal((await replica.files.ctx.records.get(put.key))?.version.writer, member.peerId)
    await stillWorks(net, founded)
  })

  it('the owner overwrites and deletes; after the delete anyone may write the name, and then owns it', async () => {
    assert.equal((await http(owner, 'PUT', 'cycle.txt', 'one')).status, 201)
    assert.equal((await http(owner, 'PUT', 'cycle.txt', 'two')).status, 201)
    await everyNodeReads('cycle.txt', 'two')
    assert.equal((await http(owner, 'DELETE', 'cycle.txt')).status, 200)
    assert.equal((await http(member, 'PUT', 'cycle.txt', 'the member\'s now')).status, 201)
    await everyNodeReads('cycle.txt', 'the member\'s now')
    const res = await http(owner, 'PUT', 'cycle.txt', 'three')
    assert.equal(res.status, 403)
    assert.match(res.json.error, new RegExp(member.peerId))
    await stillWorks(net, founded)
  })

  it('a supernode may delete a member\'s file (moderation) but not overwrite it', async () => {
    assert.equal((await http(owner, 'PUT', 'moderated.txt', 'the owner\'s')).status, 201)
    const over = await http(supernode, 'PUT', 'moderated.txt', 'the supernode\'s')
    assert.equal(over.status, 403)
    assert.equal(over.json.code, 'ERR_NOT_OWNER')
    assert.equal((await http(supernode, 'DELETE', 'moderated.txt')).status, 200)
    for (const holder of holdersOf('moderated.txt')) {
      const held = await holder.files.ctx.records.get(sha256Hex('moderated.txt'))
      assert.equal(held?.tombstone, true)
      assert.equal(held?.version.writer, supernode.peerId)
    }
    await assert.rejects(member.files.read('moderated.txt'), (err: Error) => err.name === 'NotFoundError')
    await stillWorks(net, founded)
  })
})
