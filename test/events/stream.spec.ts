// GET /api/events (src/api/event-stream.ts) on a real ApiServer over a stub DaemonApi whose events the test emits,
// read with a raw socket or fetch and parsed with the client's SSE parser (src/client/sse.ts): the token, the
// `retry:` line, the backlog (the last ones, or those after Last-Event-ID: no gap, no repeat), live events,
// `traffic` samples and heartbeats, the cap on streams (503 ERR_BUSY), a slow reader cut off with bounded memory,
// and listeners removed when a reader goes. Then the parser itself.
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { ApiServer, type DaemonApi } from '../../src/api/server.js'
import { NodeEvents } from '../../src/events.js'
import { SseParser, type SseMessage } from '../../src/client/sse.js'
import { waitFor } from '../utils/wait.js'
import type { EventStreamOptions } from '../../src/api/event-stream.js'
import type { NodeEventJson, TrafficJson } from '../../src/api/types.js'

/** NodeEvents that counts its live listeners (each open stream holds one). */
class CountedEvents extends NodeEvents {
  listening = 0
  override on (listener: (event: NodeEventJson) => void): () => void {
    const off = super.on(listener)
    this.listening++
    let done = false
    return () => { if (!done) { done = true; this.listening--; off() } }
  }
}

const TRAFFIC: TrafficJson = {
  time: 1, bytesIn: 10, bytesOut: 20, lookups: 3, lookupsFailed: 0, lookupMs: 6, puts: 1, gets: 2, putBytes: 5, getBytes: 7
}

function emitMany (events: NodeEvents, n: number, message = 'event'): NodeEventJson[] {
  return Array.from({ length: n }, (_, i) => events.emit({ type: 'refused', what: 'test', level: 'info', message: `${message} ${i}` }))
}

/** An SSE reader over fetch: every message so far, parsed; `close()` ends it. */
function reader (url: string, token: string, headers: Record<string, string> = {}) {
  const parser = new SseParser()
  const messages: SseMessage[] = []
  const comments: string[] = []
  const controller = new AbortController()
  let status = 0
  let finished = false
  const done = (async () => {
    const res = await fetch(`${url}/api/events`, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: controller.signal })
    status = res.status
    if (!res.ok || res.body === null) return
    const decoder = new TextDecoder()
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const text = decoder.decode(chunk, { stream: true })
      for (const line of text.split('\n')) if (line.startsWith(':')) comments.push(line)
      messages.push(...parser.push(chunk))
    }
  })().catch(() => {}).finally(() => { finished = true })
  return {
    parser,
    messages,
    comments,
    get status () { return status },
    /** The response ended or broke. */
    get finished () { return finished },
    events: () => messages.filter(m => m.event !== 'traffic').map(m => JSON.parse(m.data) as NodeEventJson),
    close: async () => { controller.abort(); await done }
  }
}

describe('events: GET /api/events', function () {
  this.timeout(30_000)
  let server: ApiServer | undefined
  const readers: Array<{ close: () => Promise<void> }> = []

  async function serve (events: NodeEvents, options: Partial<EventStreamOptions> = {}, traffic?: () => TrafficJson): Promise<ApiServer> {
    const api = { events, ...(traffic !== undefined ? { traffic } : {}) } as unknown as DaemonApi
    server = new ApiServer(api, { host: '127.0.0.1', port: 0, eventStreams: options })
    await server.start()
    return server
  }

  afterEach(async () => {
    for (const r of readers.splice(0)) await r.close()
    await server?.stop()
    server = undefined
  })

  it('needs the token', async () => {
    const s = await serve(new NodeEvents())
    const res = await fetch(`${s.url}/api/events`)
    assert.equal(res.status, 401)
    await res.body?.cancel()
  })

  it('sends retry:, the last `recent` events it holds, then live ones, in order and with ids', async () => {
    const events = new CountedEvents()
    emitMany(events, 60)
    const s = await serve(events, { recent: 50, retryMs: 1234 })
    const r = reader(s.url, s.token)
    readers.push(r)
    await waitFor(() => r.messages.length >= 50, { what: 'the backlog' })
    assert.equal(r.status, 200)
    assert.equal(r.parser.retry, 1234)
    const live = emitMany(events, 3, 'live')
    await waitFor(() => r.messages.length >= 53, { what: 'the live events' })
    assert.deepEqual(r.events().map(e => e.seq), Array.from({ length: 53 }, (_, i) => 11 + i))
    assert.deepEqual(r.events().slice(-3), live)
    assert.deepEqual(r.messages.slice(-3).map(m => [m.event, m.id]), live.map(e => [e.type, String(e.seq)]))
  })

  it('Last-Event-ID resumes right after the last event read: no gap, no repeat', async () => {
    const events = new CountedEvents()
    const s = await serve(events)
    const first = reader(s.url, s.token)
    readers.push(first)
    await waitFor(() => events.listening === 1, { what: 'the first reader' })
    emitMany(events, 5)
    await waitFor(() => first.messages.length === 5, { what: 'five events' })
    await first.close()
    await waitFor(() => events.listening === 0, { what: 'the first stream to end' })
    // Missed while away:
    emitMany(events, 4, 'missed')
    const again = reader(s.url, s.token, { 'last-event-id': first.parser.lastEventId })
    readers.push(again)
    await waitFor(() => again.messages.length >= 4, { what: 'the missed events' })
    emitMany(events, 2, 'after')
    await waitFor(() => again.messages.length >= 6, { what: 'the live events' })
    assert.deepEqual([...first.events(), ...again.events()].map(e => e.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
  })

  it('an id beyond the newest event (the node restarted) gets the recent ones', async () => {
    const events = new NodeEvents()
    emitMany(events, 3)
    const s = await serve(events)
    const r = reader(s.url, s.token, { 'last-event-id': '9999' })
    readers.push(r)
    await waitFor(() => r.messages.length >= 3, { what: 'the recent events' })
    assert.deepEqual(r.events().map(e => e.seq), [1, 2, 3])
  })

  it('a traffic sample every trafficMs when the node counts traffic, and a heartbeat comment', async () => {
    const s = await serve(new NodeEvents(), { trafficMs: 50, heartbeatMs: 100 }, () => TRAFFIC)
    const r = reader(s.url, s.token)
    readers.push(r)
    await waitFor(() => r.messages.filter(m => m.event === 'traffic').length >= 3 && r.comments.length >= 1, {
      what: 'traffic samples and a heartbeat'
    })
    const traffic = r.messages.filter(m => m.event === 'traffic')
    assert.deepEqual(JSON.parse(traffic[0].data), TRAFFIC)
    assert.ok(traffic.every(m => m.id === ''), 'samples carry no id: a reader never resumes after one')
    assert.equal(r.comments[0], ': ping')
  })

  it('no traffic events when the node has no traffic counter', async () => {
    const events = new NodeEvents()
    const s = await serve(events, { trafficMs: 20, heartbeatMs: 100 })
    const r = reader(s.url, s.token)
    readers.push(r)
    // Two heartbeats span ten sampling periods: a sampler would have sent its samples by then.
    await waitFor(() => r.comments.length >= 2, { what: 'two heartbeats' })
    events.emit({ type: 'refused', what: 'x', level: 'info', message: 'marker' })
    await waitFor(() => r.messages.length >= 1, { what: 'the marker' })
    assert.deepEqual(r.messages.map(m => m.event), ['refused'])
  })

  it('caps the open streams: one more is answered 503 ERR_BUSY with Retry-After, and a freed slot is taken again', async () => {
    const events = new CountedEvents()
    const s = await serve(events, { maxStreams: 2 })
    const a = reader(s.url, s.token)
    const b = reader(s.url, s.token)
    readers.push(a, b)
    await waitFor(() => events.listening === 2, { what: 'two streams' })
    const res = await fetch(`${s.url}/api/events`, { headers: { authorization: `Bearer ${s.token}` } })
    assert.equal(res.status, 503)
    assert.equal(res.headers.get('retry-after'), '2')
    assert.equal(((await res.json()) as { code: string }).code, 'ERR_BUSY')
    await a.close()
    await waitFor(() => events.listening === 1, { what: 'the closed stream\'s listener to go' })
    const c = reader(s.url, s.token)
    readers.push(c)
    await waitFor(() => events.listening === 2, { what: 'a new stream in the freed slot' })
  })

  it('a reader that stops reading is cut off once its backlog passes the bound; its listener goes', async () => {
    const events = new CountedEvents()
    const s = await serve(events, { maxBufferedBytes: 64 * 1024 })
    const { port } = new URL(s.url)
    const socket: Socket = connect(Number(port), '127.0.0.1')
    await new Promise<void>(resolve => socket.once('connect', resolve))
    const received: Buffer[] = []
    let closed = false
    socket.on('data', (d: Buffer) => { received.push(d) })
    socket.on('close', () => { closed = true })
    socket.on('error', () => {})
    socket.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${s.token}\r\n\r\n`)
    await waitFor(() => events.listening === 1, { what: 'the stream' })
    socket.pause() // a reader that reads nothing more
    const big = 'x'.repeat(64 * 1024)
    // 400 events of 64 KiB: 25 MiB, far beyond what the socket buffers of both ends hold.
    for (let i = 0; i < 400 && events.listening > 0; i++) {
      events.emit({ type: 'refused', what: 'flood', level: 'info', message: big })
      await new Promise<void>(resolve => { setImmediate(resolve) })
    }
    await waitFor(() => events.listening === 0, { what: 'the slow reader to be cut off' })
    socket.resume()
    await waitFor(() => closed, { what: 'the connection to end' })
    const text = Buffer.concat(received).toString('utf8')
    const parser = new SseParser()
    const got = parser.push(text.slice(text.indexOf('\r\n\r\n') + 4))
    assert.ok(got.length < 400, `the reader was cut off (it got ${got.length} of 400)`)
  })

  it('a reader that goes away removes its listener; stopping the server ends every stream', async () => {
    const events = new CountedEvents()
    const s = await serve(events)
    const a = reader(s.url, s.token)
    const b = reader(s.url, s.token)
    readers.push(a, b)
    await waitFor(() => events.listening === 2, { what: 'two streams' })
    await a.close()
    await waitFor(() => events.listening === 1, { what: 'the first listener to go' })
    await s.stop()
    server = undefined
    assert.equal(events.listening, 0)
    await waitFor(() => b.finished, { what: 'the second stream to end' })
  })
})

describe('events: the SSE parser', () => {
  it('multi-line data, named events, ids kept across events, comments, retry, and LF, CR or CRLF line ends', () => {
    const p = new SseParser()
    const got = p.push(': a comment\nretry: 1500\nid: 7\nevent: member.joined\ndata: {"a":\ndata:  1}\n\n' +
      'data: plain\r\n\r\nid: 8\rdata:x\r\r')
    assert.deepEqual(got, [
      { event: 'member.joined', data: '{"a":\n 1}', id: '7' },
      { event: 'message', data: 'plain', id: '7' },
      { event: 'message', data: 'x', id: '8' }
    ])
    assert.equal(p.retry, 1500)
  })

  it('fields split anywhere across chunks, a CRLF split between two, and UTF-8 split inside a character', () => {
    const whole = Buffer.from('id: 1\r\nevent: s3.failed\r\ndata: {"m":"é ✓"}\r\n\r\n')
    for (let cut = 1; cut < whole.length; cut++) {
      const p = new SseParser()
      const got = [...p.push(whole.subarray(0, cut)), ...p.push(whole.subarray(cut))]
      assert.deepEqual(got, [{ event: 's3.failed', data: '{"m":"é ✓"}', id: '1' }], `cut at ${cut}`)
    }
  })

  it('an event without data is not dispatched, and its name does not leak into the next', () => {
    const p = new SseParser()
    assert.deepEqual(p.push('event: traffic\nid: 3\n\ndata: d\n\n'), [{ event: 'message', data: 'd', id: '3' }])
  })

  it('refuses an endless line', () => {
    const p = new SseParser()
    assert.throws(() => { for (let i = 0; i < 40; i++) p.push('x'.repeat(64 * 1024)) },
      (err: Error & { code?: string }) => err.code === 'ERR_INVALID_MESSAGE')
  })
})
