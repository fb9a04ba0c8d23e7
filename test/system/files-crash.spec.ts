// System test: six `chord-peer` processes at k = 3; two of the three holders of a file get SIGKILL at once. The
// file stays readable, byte for byte, and the survivors bring it back to 3 copies on its new placement.
// Needs `npm run build`.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { Processes, type Daemon } from '../../harness/processes.js'
import { waitFor } from '../utils/wait.js'
import type { LocateJson, PutJson } from '../../src/api/types.js'
import { apiFetch, ringSettled } from '../utils/api.js'

const peerIdOf = (d: Daemon): string => d.multiaddr.slice(d.multiaddr.lastIndexOf('/') + 1)

describe('system: holders crash', function () {
  this.timeout(180_000)
  const procs = new Processes()
  after(async () => { await procs.stopAll() })

  it('SIGKILL of two of the three holders: the file is still readable and back at 3 copies', async () => {
    const boot = await procs.daemon(['--bootstrap', '--k', '3'])
    const peers = await Promise.all(Array.from({ length: 5 }, async () => procs.daemon(['--connect', boot.multiaddr])))
    const nodes = [boot, ...peers]
    const body = randomBytes(3 * 1024 * 1024 + 5)
    const locate = async (via: Daemon): Promise<LocateJson> =>
      await (await apiFetch(via, `/api/locate/crash.bin`)).json() as LocateJson
    // Joins settle first, so that the copies sit on the placement the ring will keep.
    await waitFor(async () => ringSettled(boot, 6), { timeoutMs: 60_000, intervalMs: 500, what: 'a settled 6-member ring' })
    const put = await apiFetch(peers[0], `/api/files/crash.bin`, { method: 'PUT', body })
    if (put.status !== 201) assert.fail(`put: ${put.status} ${await put.text()}`)
    const { file } = await put.json() as PutJson
    await waitFor(async () => (await locate(boot)).holders.filter(h => h.has).length === 3, { timeoutMs: 30_000, what: '3 copies' })

    const holders = new Set((await locate(boot)).holders.filter(h => h.has).map(h => h.node.peerId))
    const victims = nodes.filter(d => holders.has(peerIdOf(d))).slice(0, 2)
    assert.equal(victims.length, 2)
    await Promise.all(victims.map(async v => procs.kill(v, 'SIGKILL')))
    const survivors = nodes.filter(d => !victims.includes(d))

    // Readable at once from any survivor (the read fails over to the live holder), with the same bytes.
    for (const via of survivors.slice(0, 2)) {
      const got = Buffer.from(await (await apiFetch(via, `/api/files/crash.bin`)).arrayBuffer())
      assert.ok(got.equals(body), `the file read through ${peerIdOf(via)} differs`)
    }
    // Back at 3 copies of the same version, none on a dead node.
    const dead = new Set(victims.map(peerIdOf))
    await waitFor(async () => {
      const loc = await locate(survivors[0])
      return loc.file?.hash === file.hash && loc.holders.length === 3 && loc.holders.every(h => h.has && !dead.has(h.node.peerId))
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'the file back at 3 copies on live nodes' })
  })
})
