// The daemon command with a stub createPeer: flag validation (exit 2, nothing started), the start banner,
// graceful leave on SIGINT/SIGTERM, a second signal, and a failed join (exit 1).
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JoinFailedError } from '../../src/errors.js'
import { main } from '../../src/cli/index.js'
import { Capture, runCli } from '../utils/cli.js'
import { PEER_A, PEER_B } from '../utils/cli-fixtures.js'
import type { CreatePeer, DaemonPeer, PeerOptions } from '../../src/cli/peer-contract.js'

const SUPERNODE = `/ip4/127.0.0.1/tcp/4001/p2p/${PEER_B}`

/** A createPeer that records its options and hands out a peer whose stop() the test controls. */
function stubPeer (stop: () => Promise<void> = async () => {}): { createPeer: CreatePeer, calls: PeerOptions[], stops: number[] } {
  const calls: PeerOptions[] = []
  const stops: number[] = []
  const createPeer: CreatePeer = async options => {
    calls.push(options)
    // The real createPeer makes the data dir; the daemon then writes its config.json there.
    if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true })
    const peer: DaemonPeer = {
      peerId: PEER_A,
      multiaddrs: [`/ip4/127.0.0.1/tcp/4002/p2p/${PEER_A}`, `/ip4/10.0.0.5/tcp/4002/p2p/${PEER_A}`],
      apiUrl: 'http://127.0.0.1:4102',
      stop: async () => { stops.push(Date.now()); await stop() }
    }
    return peer
  }
  return { createPeer, calls, stops }
}

/** Temp dirs standing for the daemon's cwd and home, one pair per started daemon; removed after each test. */
const roots: string[] = []
let root = ''
afterEach(async () => {
  for (const dir of roots.splice(0)) await rm(dir, { recursive: true, force: true })
})

/** Start the daemon in-process (cwd `<root>/cwd`, home `<root>/home`); resolves once it printed its banner. */
async function startDaemon (argv: string[], createPeer: CreatePeer) {
  root = await mkdtemp(join(tmpdir(), 'chord-peer-daemon-'))
  roots.push(root)
  await mkdir(join(root, 'cwd'))
  const stdout = new Capture()
  const stderr = new Capture()
  const signals = new EventEmitter()
  const exits: number[] = []
  const done = main(argv, {
    stdout, stderr, signals, createPeer, exit: code => { exits.push(code) }, cwd: join(root, 'cwd'), home: join(root, 'home')
  })
  await Promise.race([
    stdout.waitFor('press Ctrl-C to leave the ring'),
    done.then(code => { throw new Error(`exited ${code}: ${stderr.text}`) })
  ])
  return { stdout, stderr, signals, exits, done }
}

describe('cli: daemon', () => {
  describe('flag validation exits 2 and starts nothing', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['neither --bootstrap nor --connect', [], /give --bootstrap to start a ring or --connect <multiaddr> to join one/],
      ['--k 0', ['--bootstrap', '--k', '0'], /--k must be a whole number from 1 to 16/],
      ['--k 17', ['--bootstrap', '--k', '17'], /--k must be/],
      ['--k 2.5', ['--bootstrap', '--k', '2.5'], /--k must be/],
      ['--k abc', ['--bootstrap', '--k', 'abc'], /--k must be/],
      ['--k on a peer', ['--connect', SUPERNODE, '--k', '3'], /--k is a ring setting/],
      ['--k on a joining supernode', ['--bootstrap', '--connect', SUPERNODE, '--k', '3'], /--k is a ring setting: give it to the supernode that starts the ring/],
      ['--connect that is not a multiaddr', ['--connect', '127.0.0.1:4001'], /--connect "127\.0\.0\.1:4001" is not a multiaddr/],
      ['--connect without /p2p/', ['--connect', '/ip4/127.0.0.1/tcp/4001'], /needs the supernode's PeerId/],
      ['--connect with a bad PeerId', ['--connect', '/ip4/127.0.0.1/tcp/4001/p2p/xyz'], /valid PeerId/],
      ['--listen that is not a multiaddr', ['--bootstrap', '--listen', '/ip4/300.1.1.1/tcp/1'], /--listen .* is not a multiaddr/],
      ['--listen with /p2p/', ['--bootstrap', '--listen', SUPERNODE], /must not contain \/p2p\//],
      ['--api that is not host:port', ['--bootstrap', '--api', '4001'], /--api expected host:port/],
      ['--api with a port out of range', ['--bootstrap', '--api', '127.0.0.1:70000'], /--api port must be/],
      ['--join-timeout 0', ['--bootstrap', '--join-timeout', '0'], /--join-timeout must be/],
      ['--join-timeout 5s', ['--bootstrap', '--join-timeout', '5s'], /--join-timeout must be/],
      ['--max-storage 0', ['--bootstrap', '--max-storage', '0'], /--max-storage: a size must be a positive number of bytes/],
      ['--max-storage 10 GiBs', ['--bootstrap', '--max-storage', '10GiBs'], /--max-storage: a size must be/],
      ['--max-storage -5MB', ['--bootstrap', '--max-storage', '-5MB'], /--max-storage: a size must be/],
      ['--scrub-rate fast', ['--bootstrap', '--scrub-rate', 'fast'], /--scrub-rate: a size must be .*or 0 to turn scrubbing off/],
      ['--scrub-rate -1MB', ['--bootstrap', '--scrub-rate', '-1MB'], /--scrub-rate: a size must be/],
      ['--invite that is not a token', ['--bootstrap', '--connect', SUPERNODE, '--invite', 'not a token!'], /--invite must be a token/],
      ['--admission maybe', ['--bootstrap', '--admission', 'maybe'], /--admission must be open or invite, got "maybe"/],
      ['--admission on a peer', ['--connect', SUPERNODE, '--admission', 'invite'], /--admission is a ring setting/],
      ['an operand', ['--bootstrap', 'extra'], /unknown command 'extra'/]
    ]
    for (const [what, argv, message] of cases) {
      it(what, async () => {
        const { createPeer, calls } = stubPeer()
        const { code, stdout, stderr } = await runCli(argv, { createPeer })
        assert.equal(code, 2)
        assert.match(stderr, message)
        assert.equal(stdout, '')
        assert.equal(calls.length, 0)
      })
    }

    it('reports every bad flag at once', async () => {
      const { code, stderr } = await runCli(['--bootstrap', '--k', '0', '--listen', 'nope', '--api', 'x'],
        { createPeer: stubPeer().createPeer })
      assert.equal(code, 2)
      assert.equal(stderr.split('\n').filter(line => line.startsWith('error: ')).length, 3, stderr)
    })
  })

  it('starts a supernode with the parsed options, prints its identity, and leaves on SIGINT', async () => {
    const { createPeer, calls, stops } = stubPeer()
    const d = await startDaemon(['--bootstrap', '--k', '2', '--listen', '/ip4/127.0.0.1/tcp/4002', '--api', '127.0.0.1:0'], createPeer)
    const { onJoinRetry, ...options } = calls[0]
    assert.equal(calls.length, 1)
    assert.deepEqual(options, {
      bootstrap: true,
      k: 2,
      listen: ['/ip4/127.0.0.1/tcp/4002'],
      api: '127.0.0.1:0',
      dataDir: join(root, 'home', '.chord-peer'),
      libp2pMetrics: true
    })
    assert.equal(typeof onJoinRetry, 'function')
    const out = d.stdout.text
    // The join hint names another data dir: this one is locked while the daemon runs.
    const hint = `others join with: chord-peer --connect /ip4/127.0.0.1/tcp/4002/p2p/${PEER_A} --data-dir ./peer2`
    assert.ok(out.split('\n').includes(hint), out)
    assert.ok(out.includes(PEER_A))
    assert.ok(out.includes(`/ip4/127.0.0.1/tcp/4002/p2p/${PEER_A}`) && out.includes(`/ip4/10.0.0.5/tcp/4002/p2p/${PEER_A}`))
    assert.match(out, /^api +http:\/\/127\.0\.0\.1:4102$/m)
    assert.match(out, /^role +supernode$/m)
    assert.equal(d.stderr.text, '')
    assert.equal(stops.length, 0)

    d.signals.emit('SIGINT')
    assert.equal(await d.done, 0)
    assert.equal(stops.length, 1)
    assert.match(d.stdout.text, /left the ring/)
    assert.equal(d.signals.listenerCount('SIGINT') + d.signals.listenerCount('SIGTERM'), 0, 'signal handlers removed')
  })

  it('joins as a peer through --connect and leaves on SIGTERM', async () => {
    const { createPeer, calls, stops } = stubPeer()
    const argv = [
      '--connect', SUPERNODE, '--data-dir', 'peer-x', '--join-timeout', '2.5', '--max-storage', '10GiB', '--scrub-rate', '8MiB/s'
    ]
    const d = await startDaemon(argv, createPeer)
    assert.equal(calls[0].bootstrap, false)
    assert.equal(calls[0].joinTimeoutMs, 2500)
    assert.equal(calls[0].maxStorage, 10 * 2 ** 30)
    assert.equal(calls[0].scrubRate, 8 * 2 ** 20)
    assert.deepEqual(calls[0].connect, [SUPERNODE])
    assert.equal(calls[0].dataDir, join(root, 'cwd', 'peer-x')) // relative to the daemon's working directory
    assert.match(d.stdout.text, /^role +peer$/m)
    d.signals.emit('SIGTERM')
    assert.equal(await d.done, 0)
    assert.equal(stops.length, 1)
  })

  it('passes --admission to a ring\'s first supernode and --invite to a joiner', async () => {
    const first = stubPeer()
    const d = await startDaemon(['--bootstrap', '--admission', 'invite'], first.createPeer)
    assert.equal(first.calls[0].admission, 'invite')
    d.signals.emit('SIGTERM')
    assert.equal(await d.done, 0)
    const joiner = stubPeer()
    const token = 'CAESEJ2mF4v2u0kqgJY0y9lzV8gYgNDc9q8y'
    const j = await startDaemon(['--bootstrap', '--connect', SUPERNODE, '--invite', ` ${token} `], joiner.createPeer)
    assert.equal(joiner.calls[0].invite, token)
    assert.equal(joiner.calls[0].bootstrap, true)
    j.signals.emit('SIGTERM')
    assert.equal(await j.done, 0)
  })

  it('a second signal while leaving exits at once', async () => {
    let finishStop = (): void => {}
    const { createPeer } = stubPeer(async () => { await new Promise<void>(resolve => { finishStop = resolve }) })
    const d = await startDaemon(['--bootstrap'], createPeer)
    d.signals.emit('SIGINT')
    await d.stdout.waitFor('leaving the ring')
    assert.deepEqual(d.exits, [])
    d.signals.emit('SIGINT')
    assert.deepEqual(d.exits, [1])
    finishStop()
    await d.done
  })

  it('warns when the API is bound beyond loopback', async () => {
    const d = await startDaemon(['--bootstrap', '--api', '0.0.0.0:4101'], stubPeer().createPeer)
    assert.match(d.stderr.text, /^warning: the HTTP API is bound to 0\.0\.0\.0/m)
    d.signals.emit('SIGINT')
    assert.equal(await d.done, 0)
  })

  it('prints each failed join round on stderr', async () => {
    const createPeer: CreatePeer = async options => {
      options.onJoinRetry?.(new Error('connect ECONNREFUSED 127.0.0.1:4001'), 1)
      options.onJoinRetry?.(new Error('connect ECONNREFUSED 127.0.0.1:4001'), 2)
      throw new JoinFailedError('no supernode answered within 2 s: connect ECONNREFUSED 127.0.0.1:4001')
    }
    const { code, stderr } = await runCli(['--connect', SUPERNODE, '--join-timeout', '2'], { createPeer })
    assert.equal(code, 1)
    assert.match(stderr, /^join attempt 1 failed: connect ECONNREFUSED 127\.0\.0\.1:4001 \(retrying until --join-timeout\)$/m)
    assert.match(stderr, /^join attempt 2 failed: /m)
  })

  it('the join hint avoids the data dir the daemon uses', async () => {
    const { otherDataDir } = await import('../../src/cli/daemon.js')
    assert.equal(otherDataDir('/w/peer2', '/w'), './peer3')
    assert.equal(otherDataDir('/w/.chord-peer', '/w'), './peer2')
    assert.equal(otherDataDir(undefined, '/w'), './peer2')
  })

  it('a failed join prints the message and exits 1', async () => {
    const createPeer: CreatePeer = async () => { throw new JoinFailedError('no supernode answered within 30000 ms') }
    const { code, stderr } = await runCli(['--connect', SUPERNODE], { createPeer })
    assert.equal(code, 1)
    assert.match(stderr, /^error: no supernode answered within 30000 ms$/m)
  })
})

describe('cli: daemon S3 settings', () => {
  it('flags override the environment and reach createPeer; a half-configured S3 exits 2', async () => {
    const { planDaemon } = await import('../../src/cli/daemon-options.js')
    const vars = { CHORD_PEER_S3_BUCKET: 'from-env', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' }
    const plan = planDaemon({ bootstrap: true, s3Bucket: 'from-flag', s3Endpoint: 'http://127.0.0.1:9000' }, { vars })
    assert.equal(plan.options.s3?.bucket, 'from-flag')
    assert.equal(plan.options.s3?.region, 'eu-west-1')
    assert.equal(plan.options.s3?.endpoint, 'http://127.0.0.1:9000')
    assert.equal(plan.options.s3?.forcePathStyle, true)
    assert.equal(planDaemon({ bootstrap: true }, { vars: {} }).options.s3, undefined, 'S3 is off without a bucket')
    assert.throws(() => planDaemon({ bootstrap: true, s3Endpoint: 'http://127.0.0.1:9000' }, { vars: {} }), (err: Error) => err.name === 'InvalidInputError' && /--s3-bucket/.test(err.message))
    assert.throws(() => planDaemon({ bootstrap: true, s3Bucket: 'B' }, { vars: {} }), (err: Error) => err.name === 'InvalidInputError')
    assert.throws(() => planDaemon({ bootstrap: true, s3Bucket: 'ok-bucket' }, { vars: { AWS_ACCESS_KEY_ID: 'only-half' } }),
      (err: Error) => err.name === 'InvalidInputError')
  })
})
