// Finding the daemon: --api, the <data-dir>/api file, and a clear exit 1 when nobody answers.
import assert from 'node:assert/strict'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closedPort, runCli, startStubDaemon } from '../utils/cli.js'
import { STATUS } from '../utils/cli-fixtures.js'
import type { StubDaemon } from '../utils/cli.js'

describe('cli: finding the daemon', () => {
  let daemon: StubDaemon
  let dir: string

  beforeEach(async () => {
    daemon = await startStubDaemon({ '/api/status': { body: STATUS } })
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-cli-'))
  })

  afterEach(async () => {
    await daemon.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('a refused connection exits 1 and names the URL and how to start a daemon', async () => {
    const port = await closedPort()
    const { code, stdout, stderr } = await runCli(['status', '--api', `127.0.0.1:${port}`])
    assert.equal(code, 1)
    assert.equal(stdout, '')
    assert.ok(stderr.includes(`http://127.0.0.1:${port}`), stderr)
    assert.match(stderr, /is the daemon running\?/)
    assert.match(stderr, /start it again with the flags and --data-dir it had/)
  })

  it('reads the API URL from <data-dir>/api', async () => {
    await writeFile(join(dir, 'api'), `${daemon.url}\n`)
    const { code, stdout, stderr } = await runCli(['status', '--json', '--data-dir', dir])
    assert.equal(code, 0, stderr)
    assert.equal(JSON.parse(stdout).node.id, STATUS.node.id)
    assert.equal(daemon.requests.length, 1)
  })

  it('--api wins over the data dir', async () => {
    await writeFile(join(dir, 'api'), `http://127.0.0.1:${await closedPort()}\n`)
    const { code } = await runCli(['status', '--data-dir', dir, '--api', daemon.url])
    assert.equal(code, 0)
  })

  it('uses ./.chord-peer when it exists, else ~/.chord-peer', async () => {
    const cwd = join(dir, 'project')
    const home = join(dir, 'home')
    await mkdir(join(home, '.chord-peer'), { recursive: true })
    await mkdir(cwd)
    await writeFile(join(home, '.chord-peer', 'api'), `127.0.0.1:${daemon.port}`)
    assert.equal((await runCli(['status'], { cwd, home })).code, 0)

    // A project-local data dir without an api file shadows the home one.
    await mkdir(join(cwd, '.chord-peer'))
    const local = await runCli(['status'], { cwd, home })
    assert.equal(local.code, 1)
    assert.ok(local.stderr.includes(join(cwd, '.chord-peer', 'api')), local.stderr)
  })

  it('a stale api file (its daemon gone) says to restart with the same --data-dir, not --bootstrap', async () => {
    const port = await closedPort()
    await writeFile(join(dir, 'api'), `http://127.0.0.1:${port}\n`)
    const { code, stdout, stderr } = await runCli(['status', '--data-dir', dir])
    assert.equal(code, 1)
    assert.equal(stdout, '')
    assert.ok(stderr.includes(`http://127.0.0.1:${port}`), stderr)
    assert.ok(stderr.includes(`--data-dir ${dir}`), stderr)
    assert.ok(stderr.includes(join(dir, 'api')), stderr)
    assert.doesNotMatch(stderr, /start one with `chord-peer --bootstrap`/)
  })

  it('no api file exits 1 naming the file and how to start a daemon', async () => {
    const { code, stderr } = await runCli(['status', '--data-dir', dir])
    assert.equal(code, 1)
    assert.ok(stderr.includes(join(dir, 'api')), stderr)
    assert.ok(stderr.includes(`start it again with the flags it had and --data-dir ${dir}`), stderr)
    assert.match(stderr, /`chord-peer --bootstrap` on a new data dir starts a new ring/)
    assert.equal(daemon.requests.length, 0)
  })
})
