// The daemon's config.json with a stub createPeer: written after a start, resumed by `--data-dir` alone, flags
// over it (and stored in turn), S3 settings under the environment, older data dirs recognised by their files,
// and a malformed file refused naming it. `chord-peer config` prints it.
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/index.js'
import { pinPorts } from '../../src/cli/daemon-config.js'
import { Capture, runCli } from '../utils/cli.js'
import { PEER_A, PEER_B } from '../utils/cli-fixtures.js'
import type { CreatePeer, PeerOptions } from '../../src/cli/peer-contract.js'

const SUPERNODE = `/ip4/127.0.0.1/tcp/4001/p2p/${PEER_B}`

describe('cli: resume from config.json', () => {
  let root: string
  let dir: string
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'chord-peer-resume-'))
    dir = join(root, 'node')
  })
  afterEach(async () => { await rm(root, { recursive: true, force: true }) })

  /** Start the daemon in-process with `argv` (and env), stop it with SIGTERM; the options createPeer got. */
  async function runOnce (argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ options: PeerOptions, stdout: string, stderr: string }> {
    const calls: PeerOptions[] = []
    const createPeer: CreatePeer = async options => {
      calls.push(options)
      if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true })
      return { peerId: PEER_A, multiaddrs: [`/ip4/127.0.0.1/tcp/4555/p2p/${PEER_A}`], apiUrl: 'http://127.0.0.1:4102', stop: async () => {} }
    }
    const stdout = new Capture()
    const stderr = new Capture()
    const signals = new EventEmitter()
    const done = main(argv, { stdout, stderr, signals, createPeer, env, cwd: root, home: root })
    await Promise.race([
      stdout.waitFor('press Ctrl-C to leave the ring'),
      done.then(code => { throw new Error(`exited ${code}: ${stderr.text}`) })
    ])
    signals.emit('SIGTERM')
    assert.equal(await done, 0, stderr.text)
    return { options: calls[0], stdout: stdout.text, stderr: stderr.text }
  }

  const stored = async (): Promise<Record<string, unknown>> => JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'))

  it('a supernode resumes with --data-dir alone: role, k, API, and its port-0 listen pinned to the port it got', async () => {
    const first = await runOnce(['--bootstrap', '--k', '2', '--api', '127.0.0.1:4107', '--data-dir', dir])
    assert.match(first.stdout, new RegExp(`^restart with: chord-peer --data-dir ${dir}$`, 'm'))
    assert.deepEqual(await stored(), { version: 1, role: 'supernode', listen: ['/ip4/0.0.0.0/tcp/4555'], api: '127.0.0.1:4107', k: '2' })
    const again = await runOnce(['--data-dir', dir])
    assert.equal(again.options.bootstrap, true)
    assert.equal(again.options.k, 2)
    assert.equal(again.options.api, '127.0.0.1:4107')
    assert.deepEqual(again.options.listen, ['/ip4/0.0.0.0/tcp/4555'])
    assert.match(again.stdout, /^role +supernode$/m)
  })

  it('flags given at a start override the stored ones and are stored', async () => {
    await runOnce(['--connect', SUPERNODE, '--scrub-rate', '1MiB', '--data-dir', dir])
    const changed = await runOnce(['--scrub-rate', '2MiB', '--max-storage', '1GiB', '--data-dir', dir])
    assert.equal(changed.options.scrubRate, 2 * 2 ** 20)
    assert.deepEqual(changed.options.connect, [SUPERNODE])
    assert.equal(changed.options.bootstrap, false)
    assert.deepEqual(await stored(), { version: 1, role: 'peer', connect: [SUPERNODE], scrubRate: '2MiB', maxStorage: '1GiB' })
    const later = await runOnce(['--data-dir', dir])
    assert.equal(later.options.scrubRate, 2 * 2 ** 20)
    assert.equal(later.options.maxStorage, 2 ** 30)
  })

  it('a founder\'s k and admission are not carried to a start that joins another ring with --connect', async () => {
    await runOnce(['--bootstrap', '--k', '2', '--admission', 'invite', '--data-dir', dir])
    const joined = await runOnce(['--connect', SUPERNODE, '--bootstrap', '--data-dir', dir])
    assert.equal(joined.options.k, undefined)
    assert.equal(joined.options.admission, undefined)
    assert.deepEqual(joined.options.connect, [SUPERNODE])
  })

  it('S3: flags over the environment over the stored settings; credentials are never stored', async () => {
    const secrets = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-stored-secret' }
    await runOnce(['--bootstrap', '--s3-bucket', 'stored-bucket', '--s3-endpoint', 'http://127.0.0.1:9000', '--data-dir', dir], secrets)
    const text = await readFile(join(dir, 'config.json'), 'utf8')
    assert.ok(!text.includes('not-stored-secret') && !text.includes('AKIDEXAMPLE'), text)
    assert.equal((await runOnce(['--data-dir', dir])).options.s3?.bucket, 'stored-bucket')
    assert.equal((await runOnce(['--data-dir', dir], { CHORD_PEER_S3_BUCKET: 'env-bucket' })).options.s3?.bucket, 'env-bucket')
    assert.equal((await stored()).s3Bucket, 'env-bucket', 'the bucket in effect is stored')
    const flagged = await runOnce(['--s3-bucket', 'flag-bucket', '--data-dir', dir], { CHORD_PEER_S3_BUCKET: 'env-bucket' })
    assert.equal(flagged.options.s3?.bucket, 'flag-bucket')
  })

  it('a data dir from before config.json resumes by its files: view.json a supernode, supernodes.json a peer', async () => {
    await mkdir(dir)
    await writeFile(join(dir, 'supernodes.json'), '{"supernodes":[]}\n')
    const peer = await runOnce(['--data-dir', dir])
    assert.equal(peer.options.bootstrap, false)
    assert.equal(peer.options.connect, undefined, 'the peer joins through the supernodes it stored')
    const other = join(root, 'super')
    await mkdir(other)
    await writeFile(join(other, 'view.json'), '{}\n')
    assert.equal((await runOnce(['--data-dir', other])).options.bootstrap, true)
  })

  it('a malformed config.json exits 2 naming the file and what is wrong, starting nothing', async () => {
    await mkdir(dir)
    for (const [text, problem] of [
      ['{"version":1,"role":"king"}', /role must be "supernode" or "peer"/],
      ['{"version":1,"role":"peer","connect":"x"}', /connect must be a list of strings/],
      ['{"version":7,"role":"peer"}', /version must be 1/],
      ['not json', /is not JSON/]
    ] as const) {
      await writeFile(join(dir, 'config.json'), text)
      let started = false
      const r = await runCli(['--data-dir', dir], { createPeer: async () => { started = true; throw new Error('must not start') } })
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, new RegExp(`${join(dir, 'config.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`))
      assert.match(r.stderr, problem)
      assert.equal(started, false)
    }
  })

  it('`chord-peer config` prints the stored config, as text or JSON; none exits 1', async () => {
    await runOnce(['--connect', SUPERNODE, '--join-timeout', '5', '--data-dir', dir])
    const text = await runCli(['config', '--data-dir', dir])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /^role +peer$/m)
    assert.match(text.stdout, new RegExp(`^connect +${SUPERNODE}$`, 'm'))
    assert.match(text.stdout, /^join timeout +5 s$/m)
    const json = await runCli(['config', '--data-dir', dir, '--json'])
    assert.deepEqual(JSON.parse(json.stdout), await stored())
    const none = await runCli(['config', '--data-dir', join(root, 'empty')])
    assert.equal(none.code, 1)
    assert.match(none.stderr, /no config\.json in/)
  })

  it('pins port 0 by family and host; fixed ports and other hosts stay', () => {
    const bound = ['/ip4/127.0.0.1/tcp/4001/p2p/x', '/ip4/10.0.0.5/tcp/4001/p2p/x', '/ip6/::1/tcp/4002/p2p/x']
    assert.deepEqual(pinPorts(['/ip4/0.0.0.0/tcp/0', '/ip6/::/tcp/0', '/ip4/127.0.0.1/tcp/9'], bound),
      ['/ip4/0.0.0.0/tcp/4001', '/ip6/::/tcp/4002', '/ip4/127.0.0.1/tcp/9'])
    assert.deepEqual(pinPorts(['/ip4/192.0.2.1/tcp/0'], bound), ['/ip4/192.0.2.1/tcp/0'], 'no bound address of that host')
  })
})
