// Real processes restarted with nothing but `--data-dir`: a supernode comes back at the address it had (its
// port-0 listen pinned in config.json) with its ring settings, a peer rejoins through the supernodes it stored,
// and `chord-peer config` prints what they resume with.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Processes } from '../../harness/processes.js'
import { apiFetch } from '../utils/api.js'
import { waitFor } from '../../src/testnet.js'
import type { StatusJson } from '../../src/api/types.js'

describe('system: resume from the data dir', function () {
  this.timeout(120_000)
  const procs = new Processes()
  after(async () => { await procs.stopAll() })

  it('a supernode and a peer restarted with only --data-dir come back as the same nodes and serve their files', async () => {
    const supernode = await procs.daemon(['--bootstrap', '--k', '2', '--scrub-rate', '1MiB'])
    const peer = await procs.daemon(['--connect', supernode.multiaddr])
    const body = randomBytes(300_000)
    const put = await apiFetch(peer, '/api/files/kept.bin', { method: 'PUT', body })
    assert.equal(put.status, 201, await put.text())

    const saved = JSON.parse(await readFile(join(supernode.dataDir, 'config.json'), 'utf8')) as Record<string, unknown>
    const port = /\/tcp\/(\d+)\//.exec(supernode.multiaddr)![1]
    assert.deepEqual(saved, {
      version: 1, role: 'supernode', listen: [`/ip4/127.0.0.1/tcp/${port}`], k: '2', scrubRate: '1MiB'
    })
    assert.equal((await stat(join(supernode.dataDir, 'config.json'))).mode & 0o777, 0o600)
    const shown = await procs.cli(['config', '--data-dir', peer.dataDir, '--json'])
    assert.equal(shown.code, 0, shown.stderr)
    assert.deepEqual(JSON.parse(shown.stdout), {
      version: 1, role: 'peer', connect: [supernode.multiaddr], listen: ['/ip4/127.0.0.1/tcp/0']
    })

    assert.equal(await procs.kill(peer, 'SIGINT'), 0)
    assert.equal(await procs.kill(supernode, 'SIGINT'), 0)

    const supernode2 = await procs.daemon([], { dataDir: supernode.dataDir, resume: true })
    assert.equal(supernode2.multiaddr, supernode.multiaddr, 'same PeerId at the same address')
    assert.match(supernode2.output(), /^role +supernode$/m)
    const peer2 = await procs.daemon([], { dataDir: peer.dataDir, resume: true })
    assert.equal(peer2.peerId, peer.peerId)
    assert.match(peer2.output(), /^role +peer$/m)

    await waitFor(async () => {
      const res = await apiFetch(supernode2, '/api/status')
      const status = await res.json() as StatusJson
      return status.settings.k === 2 && status.successors[0]?.peerId === peer2.peerId
    }, { timeoutMs: 30_000, what: 'the restarted peer back in the ring of the restarted supernode, k still 2' })
    await waitFor(async () => {
      const get = await apiFetch(peer2, '/api/files/kept.bin')
      return get.status === 200 && Buffer.from(await get.arrayBuffer()).equals(body)
    }, { timeoutMs: 30_000, what: 'kept.bin readable through the restarted peer' })
  })

  it('a data dir that never ran a daemon has nothing to resume: exit 2, and `config` exits 1', async () => {
    const fresh = await procs.cli(['--data-dir', join(process.cwd(), 'no-such-node-dir')])
    assert.equal(fresh.code, 2)
    assert.match(fresh.stderr, /give --bootstrap to start a ring or --connect <multiaddr> to join one \(a node started before resumes from its --data-dir/)
    const config = await procs.cli(['config', '--data-dir', join(process.cwd(), 'no-such-node-dir')])
    assert.equal(config.code, 1)
    assert.match(config.stderr, /no config\.json in .*no-such-node-dir/)
  })
})
