// The daemon's log (src/log.ts) and the reporting helpers of src/events.ts: the text and JSON lines, the level
// filter, the start-up events printed from the bus's history, escaped messages, the rate bound of noisy reports;
// and the daemon's --log-level / --log-format flags (validated, exit 2; stored in config.json; applied to stderr),
// with a stub createPeer whose events the test drives.
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { andMore, errorText, NodeEvents, Throttle } from '../../src/events.js'
import { formatLogLine, startLog } from '../../src/log.js'
import { main } from '../../src/cli/index.js'
import { Capture, runCli } from '../utils/cli.js'
import { PEER_A, PEER_B } from '../utils/cli-fixtures.js'
import type { NodeEventJson } from '../../src/api/types.js'
import type { CreatePeer, DaemonPeer } from '../../src/cli/peer-contract.js'

const NODE = { id: 'ab'.repeat(32), peerId: PEER_B }
const TEXT_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (ERROR|WARN |INFO |DEBUG) (\S+) +(.*)$/

function lines (capture: Capture): string[] {
  return capture.text.split('\n').filter(l => l !== '')
}

describe('events: the daemon log', () => {
  it('a text line: ISO time, level, type, message in one column', () => {
    const events = new NodeEvents(() => Date.UTC(2026, 11, 2, 12, 0, 0))
    const e = events.emit({ type: 'member.joined', node: NODE, role: 'peer', level: 'info', message: `peer ${PEER_B} joined` })
    const line = formatLogLine(e)
    assert.equal(line, `2026-12-02T12:00:00.000Z INFO  member.joined   peer ${PEER_B} joined`)
    const left = formatLogLine(events.emit({
      type: 'repair.finished', reason: 'r', files: 1, bytes: 2, ms: 3, failed: 0, level: 'warn', message: 'm'
    }))
    const column = line.indexOf('peer ')
    assert.equal(left.slice(column), 'm', 'messages start in one column, whatever the type')
  })

  it('a message cannot forge a line: control characters are escaped in text', () => {
    const events = new NodeEvents()
    const e = events.emit({ type: 'refused', what: 'x', level: 'warn', message: 'a\nFAKE INFO line\x1b[2J' })
    const line = formatLogLine(e)
    assert.ok(!line.includes('\n') && !line.includes('\x1b'), line)
    assert.match(line, /a\\nFAKE INFO line\\x1b\[2J$/)
    // JSON keeps the message as it is, escaped by JSON itself.
    assert.equal((JSON.parse(formatLogLine(e, 'json')) as NodeEventJson).message, 'a\nFAKE INFO line\x1b[2J')
  })

  it('prints the events from before it started first, then each new one; stop() ends it', () => {
    const events = new NodeEvents()
    events.emit({ type: 'member.joined', node: NODE, role: 'supernode', level: 'info', message: 'this node started a new ring' })
    const out = new Capture()
    const stop = startLog(events, { stream: out })
    assert.equal(lines(out).length, 1)
    assert.match(lines(out)[0], /INFO {2}member\.joined +this node started a new ring$/)
    events.emit({ type: 'leader.changed', epoch: 2, level: 'warn', message: 'no leader: electing' })
    assert.equal(lines(out).length, 2)
    const [, , level, type, message] = TEXT_LINE.exec(lines(out)[1]) ?? []
    assert.deepEqual([level, type, message], ['WARN ', 'leader.changed', 'no leader: electing'])
    stop()
    events.emit({ type: 'leader.changed', epoch: 3, level: 'info', message: 'after stop' })
    assert.equal(lines(out).length, 2)
  })

  it('--log-level warn hides info and debug lines and keeps warn and error; debug shows all', () => {
    const events = new NodeEvents()
    const warn = new Capture()
    const debug = new Capture()
    startLog(events, { level: 'warn', stream: warn })
    startLog(events, { level: 'debug', stream: debug })
    events.emit({ type: 'member.joined', node: NODE, role: 'peer', level: 'info', message: 'joined' })
    events.emit({ type: 'gc.finished', blobs: 1, removed: 0, bytes: 0, ms: 1, level: 'debug', message: 'nothing to collect' })
    events.emit({ type: 'member.left', node: NODE, how: 'failed', level: 'warn', message: 'failed' })
    events.emit({ type: 's3.failed', error: 'e', queue: 0, level: 'error', message: 'S3 down' })
    assert.deepEqual(lines(warn).map(l => TEXT_LINE.exec(l)?.[3]), ['member.left', 's3.failed'])
    assert.equal(lines(debug).length, 4)
  })

  it('--log-format json: one parseable object a line, the event itself', () => {
    const events = new NodeEvents()
    const out = new Capture()
    startLog(events, { format: 'json', stream: out })
    const a = events.emit({ type: 'member.joined', node: NODE, role: 'peer', level: 'info', message: 'one' })
    const b = events.emit({ type: 'scrub.finished', blobs: 2, bytes: 10, bad: 0, ms: 5, level: 'info', message: 'two' })
    assert.deepEqual(lines(out).map(l => JSON.parse(l) as unknown), [a, b])
  })

  it('a stream that throws (a closed pipe) does not break the node', () => {
    const events = new NodeEvents()
    startLog(events, { stream: { write: () => { throw new Error('EPIPE') } } })
    const heard: number[] = []
    events.on(e => { heard.push(e.seq) })
    events.emit({ type: 'refused', what: 'x', level: 'warn', message: 'still told' })
    assert.deepEqual(heard, [1])
  })
})

describe('events: rate-bound reports', () => {
  it('one report per key per interval; the held-back ones are counted into the next', () => {
    let clock = 0
    const t = new Throttle(1_000, () => clock, 2)
    assert.equal(t.take('a'), 0)
    assert.equal(t.take('a'), undefined)
    assert.equal(t.take('a'), undefined)
    assert.equal(t.take('b'), 0, 'another key is not held back')
    clock = 999
    assert.equal(t.take('a'), undefined)
    clock = 1_000
    assert.equal(t.take('a'), 3)
    assert.equal(andMore('refused x', 3), 'refused x (and 3 more)')
    assert.equal(andMore('refused x', 0), 'refused x')
    // At most maxKeys remembered: a third key pushes out the least recently reported (b), which starts afresh.
    assert.equal(t.take('c'), 0)
    assert.equal(t.take('b'), 0)
  })

  it('errorText says what failed even when the error has no message of its own', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })
    assert.equal(errorText(new AggregateError([refused], '')), 'connect ECONNREFUSED 127.0.0.1:9')
    assert.equal(errorText(new Error('', { cause: new Error('deep\n cause') })), 'deep cause')
    assert.equal(errorText(Object.assign(new Error(''), { code: 'ETIMEDOUT' })), 'ETIMEDOUT')
  })
})

describe('events: the daemon\'s --log-level and --log-format', () => {
  const roots: string[] = []
  afterEach(async () => {
    for (const dir of roots.splice(0)) await rm(dir, { recursive: true, force: true })
  })

  for (const [flag, value, message] of [
    ['--log-level', 'loud', /--log-level must be one of error, warn, info, debug, got "loud"/],
    ['--log-format', 'yaml', /--log-format must be text or json, got "yaml"/]
  ] as const) {
    it(`${flag} ${value} exits 2 and starts nothing`, async () => {
      let started = false
      const createPeer: CreatePeer = async () => { started = true; throw new Error('must not start') }
      const res = await runCli(['--bootstrap', flag, value], { createPeer })
      assert.equal(res.code, 2, res.stderr)
      assert.match(res.stderr, message)
      assert.equal(started, false)
    })
  }

  /** Run the daemon in-process with a stub node whose events the test emits; resolves once the banner is out. */
  async function daemon (argv: string[], events: NodeEvents) {
    const root = await mkdtemp(join(tmpdir(), 'chord-peer-log-'))
    roots.push(root)
    await mkdir(join(root, 'cwd'))
    const createPeer: CreatePeer = async options => {
      if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true })
      // What createPeer's join emits before the daemon can subscribe.
      events.emit({ type: 'member.joined', node: NODE, role: 'supernode', level: 'info', message: 'this node started a new ring' })
      const peer: DaemonPeer = {
        peerId: PEER_A,
        multiaddrs: [`/ip4/127.0.0.1/tcp/4002/p2p/${PEER_A}`],
        apiUrl: 'http://127.0.0.1:4102',
        events,
        stop: async () => {
          events.emit({ type: 'member.left', node: NODE, how: 'left', level: 'info', message: 'leaving' })
        }
      }
      return peer
    }
    const stdout = new Capture()
    const stderr = new Capture()
    const signals = new EventEmitter()
    const done = main(argv, { stdout, stderr, signals, createPeer, exit: () => {}, cwd: join(root, 'cwd'), home: join(root, 'home') })
    await Promise.race([stdout.waitFor('press Ctrl-C'), done.then(code => { throw new Error(`exited ${code}: ${stderr.text}`) })])
    return { stderr, signals, done, dataDir: join(root, 'cwd', 'node') }
  }

  it('json at warn: the start-up join is filtered, a warn line is one JSON object, and both flags go into config.json', async () => {
    const events = new NodeEvents()
    const d = await daemon(['--bootstrap', '--data-dir', 'node', '--log-level', 'warn', '--log-format', 'json'], events)
    const failed = events.emit({ type: 'member.left', node: NODE, how: 'failed', level: 'warn', message: 'a neighbour failed' })
    events.emit({ type: 'repair.started', reason: 'r', level: 'info', message: 'repair started' })
    await d.stderr.waitFor('a neighbour failed')
    d.signals.emit('SIGINT')
    assert.equal(await d.done, 0)
    const logged = lines(d.stderr).filter(l => l.startsWith('{'))
    assert.deepEqual(logged.map(l => JSON.parse(l) as unknown), [failed], d.stderr.text)
    const config = JSON.parse(await readFile(join(d.dataDir, 'config.json'), 'utf8')) as Record<string, unknown>
    assert.equal(config.logLevel, 'warn')
    assert.equal(config.logFormat, 'json')
  })

  it('by default info text lines: the join from before the log began, then live ones, and the leave while stopping', async () => {
    const events = new NodeEvents()
    const d = await daemon(['--bootstrap', '--data-dir', 'node'], events)
    await d.stderr.waitFor('this node started a new ring')
    events.emit({ type: 'leader.changed', leader: NODE, epoch: 1, level: 'info', message: 'the leader is now this node' })
    await d.stderr.waitFor('the leader is now this node')
    d.signals.emit('SIGTERM')
    assert.equal(await d.done, 0)
    const logged = lines(d.stderr).filter(l => TEXT_LINE.test(l)).map(l => TEXT_LINE.exec(l)![3])
    assert.deepEqual(logged, ['member.joined', 'leader.changed', 'member.left'], d.stderr.text)
  })
})
