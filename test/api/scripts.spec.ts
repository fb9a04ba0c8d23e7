// What the package gives scripts: a Peer's put, get, ls, locate and rm, and the daemon's HTTP client (ApiClient)
// with the node's token, all from the package's entry point.
import assert from 'node:assert/strict'
import { ApiClient, createTestnet, NotFoundError, type Testnet } from '../../src/index.js'

describe('the package for scripts', function () {
  this.timeout(60_000)
  let net: Testnet | undefined
  after(async () => { await net?.stop() })

  it('a Peer puts, gets, lists, locates and removes files; ApiClient talks to its API with its token', async () => {
    net = await createTestnet({ peers: 2, k: 2, api: true })
    await net.waitForRing() // as the README's example does: a put before the ring settles may miss a holder
    const [a, b] = net.nodes
    const put = await a.put('notes.txt', 'hello ring')
    assert.equal(put.record.size, 10)
    assert.equal(put.holders.length, 2)
    assert.equal(Buffer.from(await b.get('notes.txt')).toString(), 'hello ring')
    assert.ok((await b.ls()).records.some(r => r.name === 'notes.txt'))
    const where = await b.locate('notes.txt')
    assert.equal(where.holders.filter(h => h.record?.version.writer === a.peerId).length, 2)

    const client = new ApiClient({ url: a.apiUrl!, token: a.apiToken })
    assert.equal((await client.status()).node.peerId, a.peerId)
    await assert.rejects(new ApiClient({ url: a.apiUrl! }).status(), /token/i)

    await a.rm('notes.txt')
    await assert.rejects(b.get('notes.txt'), (err: Error) => err instanceof NotFoundError)
  })
})
