// System test: real `chord-peer` processes (1 supernode, 5 peers) form a ring that `ring --check` accepts; files
// go through put/get/ls/locate/rm; two peers are SIGKILLed and the ring heals; SIGTERM is a graceful leave that
// exits 0. Needs `npm run build`.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Processes, type Daemon } from '../../harness/processes.js'
import { ringSettled } from '../utils/api.js'
import { waitFor } from '../utils/wait.js'
import type { ListJson, LocateJson, LookupJson, PutJson, RingJson, StatusJson } from '../../src/api/types.js'

describe('system: chord-peer processes', function () {
  this.timeout(180_000)
  const procs = new Processes()
  after(async () => { await procs.stopAll() })

  async function ringOk (via: Daemon, members: number): Promise<boolean> {
    const res = await procs.cli(['ring', '--check', '--json', '--data-dir', via.dataDir])
    if (res.code !== 0) return false
    const ring = JSON.parse(res.stdout) as RingJson
    return ring.check?.ok === true && ring.members.length === members
  }

  it('1 supernode + 5 peers pass ring --check, heal after two SIGKILLs, and leave on SIGTERM', async () => {
    const boot = await procs.daemon(['--bootstrap', '--k', '3'])
    const peers = await Promise.all(Array.from({ length: 5 }, async () => procs.daemon(['--connect', boot.multiaddr])))
    await waitFor(async () => ringOk(boot, 6), { timeoutMs: 60_000, intervalMs: 500, what: 'a 6-member ring' })
    // Settled too (every successor list whole) before files go in: store hops check the placement against them.
    await waitFor(async () => ringSettled(boot, 6), { timeoutMs: 60_000, intervalMs: 500, what: 'a settled 6-member ring' })

    // A failing check exits 1 and names the problem; a passing one exits 0: both outputs come from the CLI.
    const human = await procs.cli(['ring', '--check', '--data-dir', peers[2].dataDir])
    assert.equal(human.code, 0, human.stdout + human.stderr)

    const bootStatus = await procs.cli(['status', '--json', '--api', boot.apiUrl, '--api-token', boot.apiToken])
    const status = JSON.parse(bootStatus.stdout) as StatusJson
    assert.equal(status.role, 'supernode')
    assert.equal(status.settings.k, 3)
    const peerStatus = JSON.parse((await procs.cli(['status', '--json', '--data-dir', peers[0].dataDir])).stdout) as StatusJson
    assert.equal(peerStatus.role, 'peer')
    assert.equal(peerStatus.settings.k, 3, 'joiners learn k from the supernode')

    const lookup = await procs.cli(['lookup', 'notes.pdf', '--json', '--data-dir', peers[1].dataDir])
    assert.equal(lookup.code, 0, lookup.stderr)
    const found = JSON.parse(lookup.stdout) as LookupJson
    const ring = JSON.parse((await procs.cli(['ring', '--json', '--data-dir', boot.dataDir])).stdout) as RingJson
    const ids = ring.members.map(m => BigInt('0x' + m.id)).sort((a, b) => (a < b ? -1 : 1))
    const key = BigInt('0x' + found.key)
    const owner = ids.find(id => id >= key) ?? ids[0]
    assert.equal(BigInt('0x' + found.owner.id), owner, 'lookup names the true owner')

    // Files through the CLI: put on one node, get on another, ls, locate, rm.
    const dir = await mkdtemp(join(tmpdir(), 'chord-peer-files-'))
    try {
      const src = join(dir, 'report.bin')
      await writeFile(src, randomBytes(3 * 1024 * 1024 + 11))
      const put = await procs.cli(['put', src, '--name', 'reports/q3 report.bin', '--json', '--data-dir', peers[2].dataDir])
      assert.equal(put.code, 0, put.stderr)
      const putJson = JSON.parse(put.stdout) as PutJson
      assert.equal(putJson.holders.length, 3)
      const out = join(dir, 'copy.bin')
      const get = await procs.cli(['get', 'reports/q3 report.bin', '-o', out, '--data-dir', peers[4].dataDir])
      assert.equal(get.code, 0, get.stderr)
      assert.deepEqual(await readFile(out), await readFile(src))
      const ls = await procs.cli(['ls', '--json', '--all', '--data-dir', boot.dataDir])
      assert.ok((JSON.parse(ls.stdout) as ListJson).files.some(f => f.name === 'reports/q3 report.bin' && f.hash === putJson.file.hash))
      const locate = JSON.parse(
        (await procs.cli(['locate', 'reports/q3 report.bin', '--json', '--data-dir', peers[0].dataDir])).stdout
      ) as LocateJson
      assert.equal(locate.holders.filter(h => h.has).length, 3)
      // A name belongs to its writer: another node's rm is refused, naming the owner; the writer's goes through.
      const notOwner = await procs.cli(['rm', 'reports/q3 report.bin', '--data-dir', peers[1].dataDir])
      assert.equal(notOwner.code, 1)
      assert.match(notOwner.stderr, new RegExp(`belongs to ${peers[2].peerId}`))
      assert.equal((await procs.cli(['rm', 'reports/q3 report.bin', '--data-dir', peers[2].dataDir])).code, 0)
      const gone = await procs.cli(['get', 'reports/q3 report.bin', '-o', join(dir, 'gone.bin'), '--data-dir', peers[3].dataDir])
      assert.equal(gone.code, 1)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }

    await procs.kill(peers[0], 'SIGKILL')
    await procs.kill(peers[3], 'SIGKILL')
    await waitFor(async () => ringOk(boot, 4), { timeoutMs: 60_000, intervalMs: 500, what: 'the ring to heal to 4 members' })

    const code = await procs.kill(peers[1], 'SIGTERM')
    assert.equal(code, 0, peers[1].output())
    assert.match(peers[1].output(), /left the ring/)
    await waitFor(async () => ringOk(peers[4], 3), { timeoutMs: 30_000, intervalMs: 500, what: 'a 3-member ring after the leave' })
  })

  it('bad flags exit 2 with a message; an unreachable supernode exits 1', async () => {
    const bad = await procs.cli(['--connect', 'not-a-multiaddr'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /multiaddr/i)
    const k = await procs.cli(['--bootstrap', '--k', 'zero'])
    assert.equal(k.code, 2)
    const gone = await procs.daemon(['--bootstrap'])
    await procs.kill(gone, 'SIGKILL')
    const unreachable = await procs.cli(['--connect', gone.multiaddr, '--listen', '/ip4/127.0.0.1/tcp/0', '--join-timeout', '2'], 30_000)
    assert.equal(unreachable.code, 1, unreachable.stdout + unreachable.stderr)
    assert.match(unreachable.stderr + unreachable.stdout, /no supernode answered/)
  })
})
