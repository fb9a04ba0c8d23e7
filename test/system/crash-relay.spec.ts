// System test: a peer SIGKILLed while it relays a put down the replica chain, then started again on its data dir.
// It comes back with the same PeerId, its temp files gone, rejoins and serves the files it held; the put either
// failed visibly or is readable everywhere, and no node ever serves a partial file. Needs `npm run build`.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Processes, type Daemon } from '../../harness/processes.js'
import { apiFetch } from '../utils/api.js'
import { waitFor } from '../utils/wait.js'
import type { LocateJson, RingJson } from '../../src/api/types.js'

const BODY_BYTES = 48 * 1024 * 1024
/** The body is sent this far, then held until the relay has been killed while writing it. */
const FIRST_PART = 8 * 1024 * 1024

/** Bytes in the temp files of a node's blob store (a put being written there). */
async function tempBytes (d: Daemon): Promise<number> {
  const dir = join(d.dataDir, 'store', 'tmp')
  const names = await readdir(dir).catch(() => [] as string[])
  let total = 0
  for (const name of names) total += await stat(join(dir, name)).then(s => s.size, () => 0)
  return total
}

describe('system: a crash while relaying a put', function () {
  this.timeout(180_000)
  const procs = new Processes()
  afterEach(async () => { await procs.stopAll() })

  for (const role of ['a peer', 'the only supernode'] as const) {
    it(`the relay (${role}) restarts with the same PeerId and no temp files, rejoins, serves its files; ` +
      'the put failed visibly or is readable everywhere', async () => {
      const boot = await procs.daemon(['--bootstrap', '--k', '3'])
      const others = [await procs.daemon(['--connect', boot.multiaddr]), await procs.daemon(['--connect', boot.multiaddr])]
      const nodes = [boot, ...others]
      // Every node sees the whole ring (each one's placement of a name has all three), so the put's chain does too.
      await waitFor(async () => (await Promise.all(nodes.map(async n =>
        (await (await apiFetch(n, '/api/locate/probe')).json() as LocateJson).placement.length))).every(l => l === 3),
      { timeoutMs: 60_000, intervalMs: 250, what: 'a 3-member ring that every node sees whole' })
      // A name whose relay (the second placement node) has the role this case kills. The only supernode restarted
      // refounds a ring from its view while the peers keep theirs: the two rings find each other (ring unification).
      let name = ''
      let where: LocateJson | undefined
      for (let i = 0; where === undefined || (where.placement[1].peerId === boot.peerId) !== (role === 'the only supernode'); i++) {
        name = `relayed-${i}.bin`
        where = await (await apiFetch(boot, `/api/locate/${name}`)).json() as LocateJson
      }
      const byPeerId = (peerId: string): Daemon => nodes.find(n => n.peerId === peerId)!
      // The put enters at the first placement node, which stores and relays to the second: the one killed.
      const entry = byPeerId(where.placement[0].peerId)
      const relay = byPeerId(where.placement[1].peerId)

      // A file the relay holds before the crash, which it must serve again after the restart.
      let heldName = ''
      for (let i = 0; heldName === ''; i++) {
        const w = await (await apiFetch(boot, `/api/locate/held-${i}.txt`)).json() as LocateJson
        if (w.placement.some(n => n.peerId === relay.peerId)) heldName = `held-${i}.txt`
      }
      assert.equal((await apiFetch(boot, `/api/files/${heldName}`, { method: 'PUT', body: 'held before the crash' })).status, 201)

      const body = randomBytes(BODY_BYTES)
      let sent = 0
      // The rest of the body waits for this: the kill lands mid-transfer however slow the machine is.
      let resume = (): void => {}
      const killed = new Promise<void>(resolve => { resume = resolve })
      const stream = new ReadableStream<Uint8Array>({
        async pull (controller) {
          if (sent >= body.length) { controller.close(); return }
          if (sent >= FIRST_PART) await killed
          const piece = body.subarray(sent, sent + 256 * 1024)
          sent += piece.length
          controller.enqueue(piece)
        }
      })
      const answer = apiFetch(entry, `/api/files/${name}`, { method: 'PUT', body: stream, duplex: 'half' } as RequestInit)
        .then(async res => ({ status: res.status, text: await res.text() }), (err: Error) => ({ status: 0, text: err.message }))
      await waitFor(async () => await tempBytes(relay) > 0,
        { timeoutMs: 60_000, intervalMs: 50, what: 'the relay to be writing the put' })
      assert.ok(sent < body.length, 'the kill lands before the whole body was sent')
      await procs.kill(relay, 'SIGKILL')
      resume()
      const result = await answer

      const again = await procs.daemon([], { dataDir: relay.dataDir, resume: true })
      assert.equal(again.peerId, relay.peerId, 'same PeerId after the restart')
      assert.equal(await tempBytes(again), 0, 'no temp file of the cut transfer is left')
      const live = nodes.map(n => n === relay ? again : n)
      await waitFor(async () => (await (await apiFetch(again, '/api/ring')).json() as RingJson).members.length === 3,
        { timeoutMs: 60_000, intervalMs: 250, what: 'the restarted relay back in the ring' })
      // It serves what it held: locate counts it among the holders of the newest version.
      await waitFor(async () => {
        const w = await (await apiFetch(again, `/api/locate/${heldName}`)).json() as LocateJson
        return w.holders.some(h => h.node.peerId === again.peerId && h.has)
      }, { timeoutMs: 60_000, intervalMs: 250, what: 'the restarted relay to serve the file it held' })
      assert.equal(await (await apiFetch(again, `/api/files/${heldName}`)).text(), 'held before the crash')

      const digest = createHash('sha256').update(body).digest('hex')
      /** What `node` serves for the name: absent, or the whole body (anything else fails the test at once). */
      const served = async (node: Daemon): Promise<'absent' | 'whole'> => {
        const res = await apiFetch(node, `/api/files/${name}`)
        if (res.status === 404) return 'absent'
        assert.equal(res.status, 200, `${node.peerId}: ${res.status}`)
        const bytes = Buffer.from(await res.arrayBuffer())
        assert.equal(createHash('sha256').update(bytes).digest('hex'), digest, `${node.peerId} served a partial or wrong file`)
        return 'whole'
      }
      if (result.status === 201) {
        await waitFor(async () => (await Promise.all(live.map(served))).every(s => s === 'whole'),
          { timeoutMs: 60_000, intervalMs: 500, what: 'the acknowledged put readable through every node' })
      } else {
        assert.ok(result.status >= 400 || result.status === 0, `the put failed visibly: ${result.status} ${result.text}`)
        // A failed put may still have left whole copies (the entry stored its own): those are whole, never partial.
        for (const node of live) await served(node)
      }
    })
  }
})
