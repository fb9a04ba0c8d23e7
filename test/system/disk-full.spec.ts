// System test: a node whose disk cannot take an upload (here a file size limit set with prlimit, which fails the
// blob write with EFBIG as a full disk fails it with ENOSPC) refuses it with a clear error, leaves no partial
// file, keeps what it had and goes on serving. Needs `npm run build` and util-linux's prlimit.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Processes } from '../../harness/processes.js'
import type { ErrorJson } from '../../src/api/types.js'
import { apiFetch } from '../utils/api.js'

const LIMIT = 8 * 1024 * 1024

describe('system: an upload larger than the disk allows', function () {
  this.timeout(120_000)
  const procs = new Processes()
  let dir: string | undefined
  after(async () => {
    await procs.stopAll()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('fails with 507 and a clear message, leaves nothing behind, loses nothing, and the node keeps serving', async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-full-'))
    const node = await procs.daemon(['--bootstrap', '--k', '1'], { wrap: ['prlimit', `--fsize=${LIMIT}`, '--'] })
    const small = randomBytes(1024 * 1024)
    const smallPath = join(dir, 'small.bin')
    await writeFile(smallPath, small)
    const bigPath = join(dir, 'big.bin')
    await writeFile(bigPath, randomBytes(LIMIT + 4 * 1024 * 1024))
    const cli = async (...args: string[]): ReturnType<Processes['cli']> => procs.cli([...args, '--data-dir', node.dataDir])

    assert.equal((await cli('put', smallPath)).code, 0)
    // Through the CLI: a non-zero exit that says why.
    const refused = await cli('put', bigPath)
    assert.equal(refused.code, 1, refused.stdout)
    assert.match(refused.stderr, /out of disk space.*EFBIG/)
    // Through the HTTP API: 507 with a code.
    const res = await apiFetch(node, `/api/files/again.bin`, { method: 'PUT', body: await readFile(bigPath) })
    assert.equal(res.status, 507)
    assert.equal((await res.json() as ErrorJson).code, 'ERR_NO_SPACE')

    assert.deepEqual(await readdir(join(node.dataDir, 'store', 'tmp')), [], 'no partial upload is left')
    for (const name of ['big.bin', 'again.bin']) {
      const get = await cli('get', name, '-o', '-')
      assert.equal(get.code, 1)
      assert.match(get.stderr, /no file named/)
    }
    const ls = await cli('ls', '--json')
    assert.deepEqual((JSON.parse(ls.stdout) as { files: Array<{ name: string }> }).files.map(f => f.name), ['small.bin'])
    const kept = await apiFetch(node, `/api/files/small.bin`)
    assert.equal(createHash('sha256').update(Buffer.from(await kept.arrayBuffer())).digest('hex'),
      createHash('sha256').update(small).digest('hex'))
    // Still serving: a file that fits goes in.
    const after = await cli('put', smallPath, '--name', 'after.bin')
    assert.equal(after.code, 0, after.stderr)
  })
})
