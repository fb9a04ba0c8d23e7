// System test: a node that hangs. A peer is stopped with SIGSTOP for longer than failure detection: the others
// treat it as dead (the ring closes without it, the leader takes it out of the view) and writes go on. After
// SIGCONT it comes back into one ring, once, and the view lists it again; every file written before and during
// the hang is readable through every node, at k copies. And a put made the moment a node hangs, whose placement
// still names it, goes to the node after it instead (a store hop's spare). Needs `npm run build`.
import assert from 'node:assert/strict'
import { Processes, type Daemon } from '../../harness/processes.js'
import { apiFetch, ringSettled } from '../utils/api.js'
import { waitFor } from '../utils/wait.js'
import type { LeaderJson, LocateJson, PutJson, RingJson } from '../../src/api/types.js'

const K = 2

describe('system: a node that hangs', function () {
  this.timeout(180_000)
  const procs = new Processes()
  let stopped: Daemon | undefined
  afterEach(async () => {
    stopped?.proc.kill('SIGCONT') // so that it can be killed and cleaned up
    await procs.stopAll()
  })

  it('SIGSTOP past failure detection: treated as dead, writes go on; after SIGCONT it rejoins once and loses nothing', async () => {
    const boot = await procs.daemon(['--bootstrap', '--k', String(K)])
    const peers = await Promise.all(Array.from({ length: 3 }, async () => procs.daemon(['--connect', boot.multiaddr])))
    const nodes = [boot, ...peers]
    const ring = async (via: Daemon): Promise<RingJson> => await (await apiFetch(via, '/api/ring?check=1')).json() as RingJson
    const members = async (via: Daemon): Promise<string[]> => (await ring(via)).members.map(m => m.peerId)
    /** How many members the leader's view (held by the only supernode) lists. */
    const inView = async (): Promise<number> => ((await (await apiFetch(boot, '/api/leader')).json()) as LeaderJson).view.members
    // Settled, not merely closed: a put's store hops check the placement against their own successor lists.
    await waitFor(async () => ringSettled(boot, 4), { timeoutMs: 60_000, intervalMs: 250, what: 'a settled 4-member ring' })

    const put = async (via: Daemon, name: string): Promise<void> => {
      const res = await apiFetch(via, `/api/files/${name}`, { method: 'PUT', body: `the content of ${name}` })
      assert.equal(res.status, 201, `put ${name}: ${res.status} ${await res.text()}`)
    }
    const names = Array.from({ length: 8 }, (_, i) => `before-${i}.txt`)
    for (const name of names) await put(peers[0], name)

    const hung = stopped = peers[1]
    hung.proc.kill('SIGSTOP')
    const others = nodes.filter(n => n !== hung)
    await waitFor(async () => (await Promise.all(others.map(members))).every(m => m.length === 3 && !m.includes(hung.peerId)),
      { timeoutMs: 60_000, intervalMs: 250, what: 'the others to close the ring without the hung node' })
    await waitFor(async () => await inView() === 3, { timeoutMs: 30_000, intervalMs: 250, what: 'the leader to take it out of the view' })
    // Writes while it hangs are acknowledged as usual.
    const during = Array.from({ length: 8 }, (_, i) => `during-${i}.txt`)
    for (const name of during) await put(peers[2], name)
    names.push(...during)

    hung.proc.kill('SIGCONT')
    stopped = undefined
    await waitFor(async () => {
      const seen = await Promise.all(nodes.map(ring))
      return seen.every(r => r.closed && r.check?.ok === true && r.members.length === 4 &&
        new Set(r.members.map(m => m.peerId)).size === 4)
    }, { timeoutMs: 60_000, intervalMs: 500, what: 'one ring of 4 again, each member once, checked from every node' })
    await waitFor(async () => await inView() === 4, { timeoutMs: 30_000, intervalMs: 250, what: 'the view to list it again' })

    for (const name of names) {
      await waitFor(async () => {
        const where = await (await apiFetch(boot, `/api/locate/${name}`)).json() as LocateJson
        return where.holders.filter(h => h.has).length === K
      }, { timeoutMs: 60_000, intervalMs: 250, what: `${name} at ${K} copies` })
      for (const via of nodes) {
        const res = await apiFetch(via, `/api/files/${name}`)
        assert.equal(res.status, 200, `${name} through ${via.peerId}`)
        assert.equal(await res.text(), `the content of ${name}`)
      }
    }
  })

  it('a put whose placement names a node that hung a moment ago goes to the next node instead, at k copies', async () => {
    const boot = await procs.daemon(['--bootstrap', '--k', String(K)])
    const peers = await Promise.all(Array.from({ length: 2 }, async () => procs.daemon(['--connect', boot.multiaddr])))
    const nodes = [boot, ...peers]
    await waitFor(async () => ringSettled(boot, 3), { timeoutMs: 60_000, intervalMs: 250, what: 'a settled 3-member ring' })
    // A name whose placement is [X, H]: the put enters at the third node, X stores and opens the chain to H.
    let name = ''
    let placement: string[] = []
    for (let i = 0; placement.length === 0; i++) {
      const where = await (await apiFetch(boot, `/api/locate/spare-${i}.txt`)).json() as LocateJson
      if (where.placement.length === K) [name, placement] = [`spare-${i}.txt`, where.placement.map(n => n.peerId)]
    }
    const entry = nodes.find(n => !placement.includes(n.peerId))!
    const hung = stopped = nodes.find(n => n.peerId === placement[1])!
    // Before any node can notice: H's connections stay open, and a stream opened on one is never answered.
    hung.proc.kill('SIGSTOP')
    const res = await apiFetch(entry, `/api/files/${name}`, { method: 'PUT', body: `the content of ${name}` })
    assert.equal(res.status, 201, `put ${name}: ${res.status} ${await res.clone().text()}`)
    const holders = ((await res.json()) as PutJson).holders.map(h => h.peerId)
    // X, then the node after H, which the entry happens to be on a ring of three.
    assert.deepEqual(holders, [placement[0], entry.peerId])
    const got = await apiFetch(entry, `/api/files/${name}`)
    assert.equal(got.status, 200)
    assert.equal(await got.text(), `the content of ${name}`)
  })
})
