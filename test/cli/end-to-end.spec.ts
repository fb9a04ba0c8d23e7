// The CLI against a real daemon in-process (createPeer from src/peer.ts): start a supernode through main(),
// find it through its data dir, run the client commands, then leave on SIGINT.
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/index.js'
import { Capture, runCli } from '../utils/cli.js'

describe('cli: end to end with a real daemon', () => {
  let dir: string
  let signals: EventEmitter
  let done: Promise<number> | undefined

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-e2e-'))
    signals = new EventEmitter()
  })

  afterEach(async () => {
    if (done != null) {
      signals.emit('SIGINT')
      await done
      done = undefined
    }
    await rm(dir, { recursive: true, force: true })
  })

  it('status, ring --check and lookup talk to a supernode found through --data-dir', async () => {
    const stdout = new Capture()
    const stderr = new Capture()
    done = main(['--bootstrap', '--k', '2', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--data-dir', dir],
      { stdout, stderr, signals, exit: () => { throw new Error('unexpected second signal') } })
    await Promise.race([
      stdout.waitFor('press Ctrl-C', 20_000),
      done.then(code => { throw new Error(`daemon exited ${code}: ${stderr.text}`) })
    ])
    assert.ok(existsSync(join(dir, 'api')), 'the daemon records its API URL')

    const status = await runCli(['status', '--json', '--data-dir', dir])
    assert.equal(status.code, 0, status.stderr)
    const json = JSON.parse(status.stdout) as { role: string, settings: { k: number }, node: { peerId: string } }
    assert.equal(json.role, 'supernode')
    assert.equal(json.settings.k, 2)
    assert.ok(stdout.text.includes(json.node.peerId))

    const ring = await runCli(['ring', '--check', '--data-dir', dir])
    assert.equal(ring.code, 0, ring.stdout + ring.stderr)
    assert.match(ring.stdout, /^ring OK: 1 member, ordered, closed$/m)

    const lookup = await runCli(['lookup', 'notes.pdf', '--data-dir', dir])
    assert.equal(lookup.code, 0, lookup.stderr)
    assert.match(lookup.stdout, /^owner +[0-9a-f]{8} /m)

    signals.emit('SIGINT')
    assert.equal(await done, 0)
    done = undefined
    assert.match(stdout.text, /left the ring/)
    assert.ok(!existsSync(join(dir, 'api')), 'a stopped daemon withdraws its API URL')
  })
  it('put, ls, locate, get (verified) and rm a file through a supernode', async () => {
    const stdout = new Capture()
    const stderr = new Capture()
    done = main(['--bootstrap', '--k', '1', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--data-dir', join(dir, 'node')],
      { stdout, stderr, signals, exit: () => { throw new Error('unexpected second signal') } })
    await Promise.race([
      stdout.waitFor('press Ctrl-C', 20_000),
      done.then(code => { throw new Error(`daemon exited ${code}: ${stderr.text}`) })
    ])
    const cwd = join(dir, 'work')
    await mkdir(cwd)
    const content = randomBytes(3 * 1024 * 1024 + 17)
    await writeFile(join(cwd, 'big.bin'), content)
    const cli = async (argv: string[]): ReturnType<typeof runCli> =>
      runCli([...argv, '--data-dir', join(dir, 'node')], { cwd, isTTY: false })

    const put = await cli(['put', 'big.bin', '--name', 'dir/big.bin'])
    assert.equal(put.code, 0, put.stderr)
    assert.match(put.stdout, /^copies +1 of k=1$/m)

    const ls = await cli(['ls', '--all'])
    assert.equal(ls.code, 0, ls.stderr)
    assert.match(ls.stdout, /^dir\/big\.bin +3\.0 MiB /m)

    const locate = await cli(['locate', 'dir/big.bin'])
    assert.equal(locate.code, 0, locate.stderr)
    assert.match(locate.stdout, /^placement +1\. +[0-9a-f]{8} +\S+ +✓ +owner/m)

    // The default output name is the name's last part, big.bin, which is the source file: left alone.
    const refused = await cli(['get', 'dir/big.bin'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /big\.bin already exists/)
    const get = await cli(['get', 'dir/big.bin', '-o', 'fetched.bin'])
    assert.equal(get.code, 0, get.stderr)
    assert.match(get.stdout, /\(verified\)$/m)
    assert.ok((await readFile(join(cwd, 'fetched.bin'))).equals(content))

    const rmed = await cli(['rm', 'dir/big.bin'])
    assert.equal(rmed.code, 0, rmed.stderr)
    const gone = await cli(['get', 'dir/big.bin', '-o', 'again.bin'])
    assert.equal(gone.code, 1)
    assert.deepEqual((await readdir(cwd)).sort(), ['big.bin', 'fetched.bin'])
  })
})
