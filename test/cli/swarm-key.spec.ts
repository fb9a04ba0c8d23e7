// `chord-peer swarm-key` and the daemon's `--swarm-key`: the command writes a valid key (mode 0600, a new one
// each time), refuses to replace a file without --force, prints the key with `-`, and needs no daemon; the
// daemon reads the key before it starts anything and exits 2 when the file is missing or not a swarm key.
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseSwarmKey, readSwarmKey } from '../../src/config.js'
import { main } from '../../src/cli/index.js'
import { Capture, runCli } from '../utils/cli.js'
import { PEER_A } from '../utils/cli-fixtures.js'
import type { CreatePeer, PeerOptions } from '../../src/cli/peer-contract.js'

/** A createPeer that records its options and fails, so that the daemon exits at once after validation. */
function recordingPeer (): { createPeer: CreatePeer, calls: PeerOptions[] } {
  const calls: PeerOptions[] = []
  return {
    calls,
    createPeer: async options => {
      calls.push(options)
      throw Object.assign(new Error('stub: not starting'), { name: 'JoinFailedError', code: 'ERR_JOIN_FAILED' })
    }
  }
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777

describe('cli: swarm-key', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'chord-peer-swarm-key-cli-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('writes a valid key, mode 0600, and says where; a second key differs', async () => {
    const file = join(dir, 'a.key')
    const { code, stdout, stderr } = await runCli(['swarm-key', file])
    assert.equal(code, 0, stderr)
    assert.match(stdout, new RegExp(`wrote a new swarm key to ${file.replaceAll('.', '\\.')}`))
    assert.equal(await mode(file), 0o600)
    const key = readSwarmKey(file)
    assert.match(new TextDecoder().decode(key), /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/)
    assert.equal(await readFile(file, 'utf8'), `${new TextDecoder().decode(key)}\n`)
    assert.equal((await runCli(['swarm-key', join(dir, 'b.key')])).code, 0)
    assert.notDeepEqual(readSwarmKey(join(dir, 'b.key')), key)
    assert.deepEqual((await readdir(dir)).sort(), ['a.key', 'b.key'], 'no temp file is left behind')
  })

  it('writes ./swarm.key by default, relative to the working directory, and into a directory given', async () => {
    assert.equal((await runCli(['swarm-key'], { cwd: dir })).code, 0)
    readSwarmKey(join(dir, 'swarm.key'))
    await mkdir(join(dir, 'net'))
    assert.equal((await runCli(['swarm-key', 'net'], { cwd: dir })).code, 0)
    readSwarmKey(join(dir, 'net', 'swarm.key'))
  })

  it('refuses to replace an existing file (exit 1, file kept) unless --force, which writes a new key, mode 0600', async () => {
    const file = join(dir, 'swarm.key')
    await writeFile(file, 'precious')
    await chmod(file, 0o644)
    const refused = await runCli(['swarm-key', file])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /already exists: pass --force/)
    assert.equal(refused.stdout, '')
    assert.equal(await readFile(file, 'utf8'), 'precious')
    assert.deepEqual(await readdir(dir), ['swarm.key'], 'no temp file is left behind')

    const forced = await runCli(['swarm-key', file, '--force'])
    assert.equal(forced.code, 0, forced.stderr)
    readSwarmKey(file)
    assert.equal(await mode(file), 0o600)
  })

  it('- prints the key to stdout and writes no file', async () => {
    const { code, stdout } = await runCli(['swarm-key', '-'], { cwd: dir })
    assert.equal(code, 0)
    assert.match(stdout, /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
    parseSwarmKey(new TextEncoder().encode(stdout))
    assert.deepEqual(await readdir(dir), [])
  })

  it('is listed in --help and has its own', async () => {
    assert.match((await runCli(['--help'])).stdout, /swarm-key/)
    const help = await runCli(['swarm-key', '--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /^Usage: chord-peer swarm-key/m)
    assert.match(help.stdout, /--force/)
  })
})

describe('cli: daemon --swarm-key', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'chord-peer-swarm-key-flag-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  const bad: Array<[string, () => Promise<string>, RegExp]> = [
    ['a missing file', async () => join(dir, 'nope.key'), /--swarm-key: swarm key file .*nope\.key does not exist/],
    ['a malformed file', async () => {
      const file = join(dir, 'bad.key')
      await writeFile(file, '/key/swarm/psk/1.0.0/\n/base16/\nnot-hex\n')
      return file
    }, /--swarm-key: .*bad\.key is not a swarm key: its third line is not a key of 64 hex digits/],
    ['a directory', async () => dir, /--swarm-key: /]
  ]
  for (const [what, fileOf, message] of bad) {
    it(`${what} exits 2 and starts nothing`, async () => {
      const { createPeer, calls } = recordingPeer()
      const { code, stdout, stderr } = await runCli(['--bootstrap', '--swarm-key', await fileOf()], { createPeer })
      assert.equal(code, 2)
      assert.match(stderr, message)
      assert.equal(stdout, '')
      assert.equal(calls.length, 0)
    })
  }

  it('a valid file (relative to the working directory) reaches createPeer as the key bytes', async () => {
    assert.equal((await runCli(['swarm-key', 'ring.key'], { cwd: dir })).code, 0)
    const { createPeer, calls } = recordingPeer()
    const { code } = await runCli(['--connect', `/ip4/127.0.0.1/tcp/4001/p2p/${PEER_A}`, '--swarm-key', 'ring.key'],
      { createPeer, cwd: dir })
    assert.equal(code, 1, 'the stub refuses to start')
    assert.equal(calls.length, 1)
    assert.deepEqual(calls[0].swarmKey, readSwarmKey(join(dir, 'ring.key')))
  })

  it('the start banner says the node is in a private network', async () => {
    assert.equal((await runCli(['swarm-key', 'banner.key'], { cwd: dir })).code, 0)
    const banner = async (argv: string[]): Promise<string> => {
      const stdout = new Capture()
      const signals = new EventEmitter()
      const createPeer: CreatePeer = async () => ({
        peerId: PEER_A, multiaddrs: [`/ip4/127.0.0.1/tcp/4002/p2p/${PEER_A}`], apiUrl: 'http://127.0.0.1:4102', stop: async () => {}
      })
      const done = main(argv, { stdout, stderr: new Capture(), signals, createPeer, cwd: dir, home: dir })
      await stdout.waitFor('press Ctrl-C to leave the ring')
      signals.emit('SIGINT')
      assert.equal(await done, 0)
      return stdout.text
    }
    assert.match(await banner(['--bootstrap', '--swarm-key', 'banner.key']), /private network: only nodes with the same swarm key/)
    assert.doesNotMatch(await banner(['--bootstrap']), /private network/)
  })

  it('without --swarm-key the node has no key', async () => {
    const { createPeer, calls } = recordingPeer()
    await runCli(['--bootstrap'], { createPeer, cwd: dir })
    assert.equal(calls.length, 1)
    assert.equal(calls[0].swarmKey, undefined)
  })
})
