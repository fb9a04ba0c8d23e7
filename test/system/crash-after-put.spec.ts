// System test: a put acknowledged by a lone supernode (k = 1), the node killed (SIGKILL) the moment the answer
// arrives, then started again on the same data dir: the file is served, byte for byte, because a record is on
// disk before its put is acknowledged. Needs `npm run build`.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { Processes } from '../../harness/processes.js'
import { apiFetch } from '../utils/api.js'

describe('system: a crash right after an acknowledged put', function () {
  this.timeout(120_000)
  const procs = new Processes()
  after(async () => { await procs.stopAll() })

  it('the restarted node serves every file it acknowledged', async () => {
    const first = await procs.daemon(['--bootstrap', '--k', '1'])
    const bodies = [randomBytes(1024 * 1024 + 3), randomBytes(10), randomBytes(3 * 1024 * 1024)]
    for (const [i, body] of bodies.entries()) {
      const put = await apiFetch(first, `/api/files/acked-${i}.bin`, { method: 'PUT', body })
      assert.equal(put.status, 201, await put.text())
    }
    await procs.kill(first, 'SIGKILL')
    const again = await procs.daemon(['--bootstrap', '--k', '1'], { dataDir: first.dataDir })
    for (const [i, body] of bodies.entries()) {
      const get = await apiFetch(again, `/api/files/acked-${i}.bin`)
      assert.equal(get.status, 200, `acked-${i}.bin: ${get.status}`)
      const bytes = Buffer.from(await get.arrayBuffer())
      assert.equal(createHash('sha256').update(bytes).digest('hex'), createHash('sha256').update(body).digest('hex'))
    }
  })
})
