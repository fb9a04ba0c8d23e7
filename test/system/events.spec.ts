// System test of the daemon's log and live events (issue 12), on real `chord-peer` processes: info lines on stderr
// for a ring started, a peer's join and its leave (on the supernode, which admits and removes it) and for the
// peer's own join; `chord-peer events --json` following a daemon until Ctrl-C (exit 130); --log-format json with
// --log-level warn (parseable lines, no info); a bad --log-level exits 2. Needs `npm run build`.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIN, Processes, type Daemon } from '../../harness/processes.js'
import { waitFor } from '../utils/wait.js'
import type { NodeEventJson } from '../../src/api/types.js'

/** A text log line: ISO time, level, type, message. */
const LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (ERROR|WARN |INFO |DEBUG) (\S+) +(.*)$/

function logLines (d: Daemon): Array<{ level: string, type: string, message: string }> {
  return d.output().split('\n').flatMap(line => {
    const m = LOG_LINE.exec(line)
    return m === null ? [] : [{ level: m[1].trim(), type: m[2], message: m[3] }]
  })
}

async function logged (d: Daemon, type: string, pattern: RegExp, what: string): Promise<{ level: string, message: string }> {
  const find = (): { level: string, message: string } | undefined => logLines(d).find(l => l.type === type && pattern.test(l.message))
  await waitFor(() => find() !== undefined, { timeoutMs: 30_000, what: `${what} in the log of ${d.peerId}:\n${d.output()}` })
  return find()!
}

describe('system: the daemon log and `chord-peer events`', function () {
  this.timeout(120_000)
  const procs = new Processes()
  let scratch: string

  beforeEach(async () => { scratch = await mkdtemp(join(tmpdir(), 'chord-peer-events-')) })
  afterEach(async () => {
    await procs.stopAll()
    await rm(scratch, { recursive: true, force: true })
  })

  it('info lines for the ring started, a join and a leave; the events command follows them until Ctrl-C', async () => {
    const supernode = await procs.daemon(['--bootstrap'])
    const started = await logged(supernode, 'member.joined', /started a new ring as its first supernode/, 'the ring started')
    assert.equal(started.level, 'INFO')
    assert.equal((await logged(supernode, 'leader.changed', /leader is now this node/, 'the leader')).level, 'INFO')

    // `chord-peer events --json`, following the supernode from before the join.
    const follower = spawn(process.execPath, [BIN, 'events', '--json', '--api', supernode.apiUrl, '--api-token', supernode.apiToken], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    let err = ''
    follower.stdout.on('data', (d: Buffer) => { out += d.toString() })
    follower.stderr.on('data', (d: Buffer) => { err += d.toString() })
    const exited = new Promise<number | null>(resolve => follower.once('exit', code => resolve(code)))
    try {
      await waitFor(() => out.includes('"type":"leader.changed"'),
        { timeoutMs: 20_000, what: `the backlog from chord-peer events:\n${err}` })

      const peer = await procs.daemon(['--connect', supernode.multiaddr])
      const joined = await logged(supernode, 'member.joined', new RegExp(`^peer ${peer.peerId} joined`), 'the join')
      assert.equal(joined.level, 'INFO')
      const own = await logged(peer, 'member.joined', /^this node .* joined the ring as a peer/, 'the peer\'s own join')
      assert.equal(own.level, 'INFO')
      const events = (): NodeEventJson[] => out.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as NodeEventJson)
      await waitFor(() => events().some(e => e.type === 'member.joined' && e.node.peerId === peer.peerId),
        { timeoutMs: 20_000, what: 'the join from chord-peer events' })

      assert.equal(await procs.kill(peer, 'SIGINT'), 0)
      const left = await logged(supernode, 'member.left', new RegExp(`^peer ${peer.peerId} left the ring`), 'the leave')
      assert.equal(left.level, 'INFO')
      await waitFor(() => events().some(e => e.type === 'member.left' && e.node.peerId === peer.peerId && e.how === 'left'),
        { timeoutMs: 20_000, what: 'the leave from chord-peer events' })
      const seqs = events().map(e => e.seq)
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in order')
      assert.equal(new Set(seqs).size, seqs.length, 'no repeats')

      follower.kill('SIGINT')
      assert.equal(await exited, 130, err)
    } finally {
      follower.kill('SIGKILL')
    }
  })

  it('--log-format json --log-level warn: every log line is an event object, none below warn', async () => {
    const supernode = await procs.daemon(['--bootstrap', '--log-format', 'json', '--log-level', 'warn'])
    // A peer that joins and crashes: the supernode's ring finds it dead (warn), its admission (info) is not logged.
    const peer = await procs.daemon(['--connect', supernode.multiaddr])
    await procs.kill(peer, 'SIGKILL')
    const objects = (): NodeEventJson[] =>
      supernode.output().split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as NodeEventJson)
    await waitFor(() => objects().some(e => e.type === 'member.left' && e.how === 'failed' && e.node.peerId === peer.peerId),
      { timeoutMs: 60_000, what: `the crash as a JSON line:\n${supernode.output()}` })
    assert.ok(objects().every(e => e.level === 'warn' || e.level === 'error'), supernode.output())
    assert.equal(logLines(supernode).length, 0, 'no text lines')
  })

  it('a bad --log-level exits 2 and starts nothing', async () => {
    const res = await procs.cli(['--bootstrap', '--log-level', 'verbose', '--data-dir', join(scratch, 'node')])
    assert.equal(res.code, 2, res.stderr)
    assert.match(res.stderr, /--log-level must be one of error, warn, info, debug, got "verbose"/)
  })
})
