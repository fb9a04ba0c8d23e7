// The client of GET /api/events (ApiClient.events) and `chord-peer events [--json]`, against a stub daemon that
// speaks server-sent events as the test scripts it: events parsed and yielded in order, traffic samples aside; a
// dropped stream connected again with Last-Event-ID (nothing missed or repeated) and a note on stderr; a first
// connection that fails, or a refusal, thrown; the human and JSON lines; Ctrl-C exits 130. And the storage and S3
// lines of `chord-peer status`.
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { ApiClient } from '../../src/client/index.js'
import { main } from '../../src/cli/index.js'
import { formatEventLine } from '../../src/cli/events.js'
import { formatStatus } from '../../src/cli/status.js'
import { Capture, closedPort } from '../utils/cli.js'
import { PEER_B, STATUS } from '../utils/cli-fixtures.js'
import type { AddressInfo } from 'node:net'
import type { NodeEventJson } from '../../src/api/types.js'

const TOKEN = 'stub-token'

function event (seq: number, message = `event ${seq}`): NodeEventJson {
  return {
    type: 'member.joined',
    node: { id: 'ab'.repeat(32), peerId: PEER_B },
    role: 'peer',
    level: 'info',
    message,
    seq,
    time: Date.UTC(2026, 11, 2, 12, 0, seq)
  }
}

const frame = (e: NodeEventJson): string => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`

/** A stub daemon: each connection to /api/events is handed to `script(n, req, res)` (n from 0); requests are kept. */
async function stubEvents (script: (n: number, req: IncomingMessage, res: ServerResponse) => void) {
  const requests: IncomingMessage[] = []
  const server: Server = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: 'the API token is wrong', code: 'ERR_UNAUTHORIZED' }))
      return
    }
    requests.push(req)
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    script(requests.length - 1, req, res)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    requests,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}

describe('events: the client and `chord-peer events`', function () {
  this.timeout(20_000)
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
  })

  /** Connection 0 sends 1–3 and drops; connection 1 (it must ask for what follows 3) sends 4–5 and stays open. */
  const dropOnce = (n: number, req: IncomingMessage, res: ServerResponse): void => {
    if (n === 0) {
      res.write('retry: 10\n\n')
      res.write(frame(event(1)) + `event: traffic\ndata: ${JSON.stringify({ time: 1 })}\n\n` + frame(event(2)) + ': ping\n\n')
      res.end(frame(event(3)))
      return
    }
    const after = Number(req.headers['last-event-id'])
    for (let seq = after + 1; seq <= 5; seq++) res.write(frame(event(seq)))
  }

  it('yields the events in order, resumes after a drop with Last-Event-ID: no gap, no repeat', async () => {
    const stub = await stubEvents(dropOnce)
    closers.push(stub.close)
    const client = new ApiClient({ url: stub.url, token: TOKEN })
    const controller = new AbortController()
    const seqs: number[] = []
    const states: Array<{ error?: string, attempt: number }> = []
    const samples: unknown[] = []
    await assert.rejects((async () => {
      for await (const e of client.events({
        signal: controller.signal,
        onTraffic: t => { samples.push(t) },
        onReconnect: s => { states.push({ ...(s.error !== undefined ? { error: s.error.message } : {}), attempt: s.attempt }) }
      })) {
        seqs.push(e.seq)
        if (e.seq === 5) controller.abort(new Error('enough'))
      }
    })(), /enough/)
    assert.deepEqual(seqs, [1, 2, 3, 4, 5])
    assert.equal(stub.requests.length, 2)
    assert.equal(stub.requests[0].headers['last-event-id'], undefined)
    assert.equal(stub.requests[1].headers['last-event-id'], '3')
    assert.equal(stub.requests[1].headers.accept, 'text/event-stream')
    assert.deepEqual(samples, [{ time: 1 }])
    assert.equal(states.length, 2)
    assert.match(states[0].error ?? '', /ended the event stream/)
    assert.deepEqual(states[1], { attempt: 1 })
  })

  it('a first connection that fails is thrown, not retried; so is a refusal', async () => {
    const port = await closedPort()
    const gone = new ApiClient({ url: `http://127.0.0.1:${port}`, token: TOKEN })
    await assert.rejects(gone.events().next(), (err: Error & { code?: string }) => err.code === 'ERR_DAEMON_UNREACHABLE')
    const stub = await stubEvents(() => {})
    closers.push(stub.close)
    const wrong = new ApiClient({ url: stub.url, token: 'wrong' })
    await assert.rejects(wrong.events().next(), (err: Error & { status?: number }) => err.status === 401)
  })

  it('a stream silent beyond the idle bound counts as dropped and is connected again', async () => {
    const stub = await stubEvents((n, _req, res) => { res.write('retry: 10\n\n' + frame(event(n + 1))) }) // then silence
    closers.push(stub.close)
    const client = new ApiClient({ url: stub.url, token: TOKEN })
    const controller = new AbortController()
    const seqs: number[] = []
    await assert.rejects((async () => {
      for await (const e of client.events({ signal: controller.signal, idleMs: 200 })) {
        seqs.push(e.seq)
        if (seqs.length === 2) controller.abort(new Error('enough'))
      }
    })(), /enough/)
    assert.deepEqual(seqs, [1, 2])
    assert.equal(stub.requests[1].headers['last-event-id'], '1')
  })

  it('the human line: local time, type, message (escaped); another day shows its date', () => {
    const e = { ...event(1, 'joined\nFAKE'), time: new Date(2026, 11, 2, 9, 5, 7).getTime() }
    assert.equal(formatEventLine(e, new Date(2026, 11, 2, 23, 0, 0)), '09:05:07  member.joined    joined\\nFAKE')
    assert.equal(formatEventLine(e, new Date(2026, 11, 3, 1, 0, 0)), '2026-12-02 09:05:07  member.joined    joined\\nFAKE')
  })

  /** `chord-peer events …` in-process until it printed `until`, then Ctrl-C. */
  async function follow (args: string[], url: string, until: string) {
    const stdout = new Capture()
    const stderr = new Capture()
    const signals = new EventEmitter()
    const done = main(['events', '--api', url, '--api-token', TOKEN, ...args], {
      stdout, stderr, signals, cwd: '/nonexistent-cwd', home: '/nonexistent-home', env: {}
    })
    await Promise.race([stdout.waitFor(until), done.then(code => { throw new Error(`exited ${code}: ${stderr.text}`) })])
    signals.emit('SIGINT')
    return { code: await done, stdout: stdout.text, stderr: stderr.text }
  }

  it('`chord-peer events --json` prints one event per line across a drop, notes the drop, and exits 130 on Ctrl-C', async () => {
    const stub = await stubEvents(dropOnce)
    closers.push(stub.close)
    const run = await follow(['--json'], stub.url, '"seq":5')
    assert.equal(run.code, 130, run.stderr)
    const printed = run.stdout.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as NodeEventJson)
    assert.deepEqual(printed, [1, 2, 3, 4, 5].map(seq => event(seq)))
    assert.match(run.stderr, /note: the event stream dropped .*; connecting again/)
    assert.match(run.stderr, /note: connected again/)
  })

  it('`chord-peer events` prints text lines', async () => {
    const stub = await stubEvents((_n, _req, res) => { res.write(frame(event(1, `peer ${PEER_B} joined`))) })
    closers.push(stub.close)
    const run = await follow([], stub.url, 'joined')
    assert.equal(run.code, 130)
    assert.match(run.stdout, new RegExp(`^(\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d:\\d\\d  member\\.joined    peer ${PEER_B} joined\\n$`))
  })

  it('`chord-peer status` shows the storage and the S3 tier: failing since when, the queue, the last error', () => {
    const failingSince = new Date(2026, 11, 2, 11, 58).getTime()
    const text = formatStatus({
      ...STATUS,
      storage: {
        time: 1,
        files: 12,
        bytes: 3 * 1024 * 1024,
        tombstones: 2,
        disk: { free: 10 * 1024 ** 3, total: 20 * 1024 ** 3 },
        quota: { max: 1024 ** 3, used: 3 * 1024 * 1024 }
      },
      s3: {
        state: 'failing',
        bucket: 'b',
        endpoint: 'http://127.0.0.1:9',
        queue: 7,
        failingSince,
        lastError: 'connect ECONNREFUSED\n127.0.0.1:9',
        lastErrorAt: failingSince + 60_000,
        uploaded: 3,
        failures: 9
      }
    })
    assert.match(text, /^storage +12 files, 3\.0 MiB \(and 2 deleted names\)$/m)
    assert.match(text, /^ +disk: 10\.0 GiB free of 20\.0 GiB$/m)
    assert.match(text, /^ +quota: 3\.0 MiB of 1\.0 GiB used/m)
    assert.match(text, /^s3 +FAILING since 2026-12-02 11:58: bucket b at http:\/\/127\.0\.0\.1:9$/m)
    assert.match(text, /^ +7 versions queued, 3 uploaded, 9 failed attempts since start$/m)
    assert.match(text, /^ +last error 2026-12-02 11:59: connect ECONNREFUSED\\n127\.0\.0\.1:9$/m)
  })
})
