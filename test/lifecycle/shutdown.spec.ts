// Proven shutdown: a node that was started, used and stopped leaves no handle behind — no socket, server, file
// handle or ref'd timer of its own — so a process that stops its nodes exits by itself (mocha runs without
// `exit`). Also the lifecycle helpers: services stop in reverse order, after a failed start too; a task set
// waits for its tasks; sleep and backoff.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { backoff, Services, sleep, TaskSet, type Service } from '../../src/lifecycle.js'
import { createPeer } from '../../src/peer.js'
import { createTestnet } from '../../src/testnet.js'
import { collect } from '../../harness/bytes.js'
import { waitFor } from '../utils/wait.js'
import { logger } from '@libp2p/logger'
import { apiFetch } from '../utils/api.js'

/** How many active resources of each kind (TCPServerWrap, TCPSocketWrap, Timeout, FSReqCallback…). */
function resources (): Map<string, number> {
  const counts = new Map<string, number>()
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1)
  return counts
}

/** The kinds with more active resources now than in `before`, and how many more. */
function leaked (before: Map<string, number>): string[] {
  return [...resources()].filter(([kind, n]) => n > (before.get(kind) ?? 0)).map(([kind, n]) => `${kind} +${n - (before.get(kind) ?? 0)}`)
}

describe('shutdown', function () {
  this.timeout(60_000)

  it('a supernode and a peer that stored and read a file leave no active handles or timers once stopped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chord-peer-shutdown-'))
    const before = resources()
    try {
      const net = await createTestnet({ supernodes: 1, peers: 1, api: true })
      try {
        await net.waitForRing()
        const [boot, peer] = net.nodes
        await peer.files.put('handles.txt', (async function * () { yield Buffer.from('nothing left behind') })())
        assert.equal((await collect((await boot.files.read('handles.txt')).body)).toString(), 'nothing left behind')
        // The HTTP API is part of the node: ask it something too.
        assert.equal((await apiFetch(boot, '/api/status')).status, 200)
        assert.ok(leaked(before).length > 0, 'a running ring holds sockets and servers (else this test proves nothing)')
      } finally {
        await net.stop()
      }
      await waitFor(() => leaked(before).length === 0, { timeoutMs: 10_000, what: `no leaked resources (${leaked(before).join(', ')})` })
      // A node with a data dir, stopped gracefully (the leave path), cleans up as well.
      const alone = await createPeer({ bootstrap: true, listen: ['/ip4/127.0.0.1/tcp/0'], dataDir: dir })
      await alone.stop()
      await waitFor(() => leaked(before).length === 0, { timeoutMs: 10_000, what: `no leaked resources (${leaked(before).join(', ')})` })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('lifecycle', () => {
  const log = logger('chord-peer:test')

  it('Services stops what it started in reverse order, and only that, after a failed start too', async () => {
    const events: string[] = []
    const service = (name: string, fails = false): Service => ({
      start: async () => { if (fails) throw new Error(`${name} failed`); events.push(`start ${name}`) },
      stop: async options => { events.push(`stop ${name}${options?.leave === true ? ' (leave)' : ''}`) }
    })
    const services = new Services()
    await services.start(service('a'))
    await services.start(service('b'))
    await assert.rejects(services.start(service('c', true)), /c failed/)
    await services.stop({ leave: true }, log)
    assert.deepEqual(events, ['start a', 'start b', 'stop b (leave)', 'stop a (leave)'])
    await services.stop({}, log)
    assert.equal(events.length, 4, 'a second stop stops nothing again')
  })

  it('a failing stop does not keep the others from stopping', async () => {
    const stopped: string[] = []
    const services = new Services()
    await services.start({ start: () => {}, stop: () => { stopped.push('first') } })
    await services.start({ start: () => {}, stop: () => { throw new Error('cannot stop') } })
    await services.stop({}, log)
    assert.deepEqual(stopped, ['first'])
  })

  it('TaskSet.stop aborts its tasks and resolves only once they have all settled', async () => {
    const tasks = new TaskSet(log)
    let settled = 0
    for (let i = 0; i < 3; i++) {
      tasks.run('a long wait', async signal => {
        try { await sleep(60_000, signal) } finally { settled++ }
      })
    }
    tasks.run('a failure', async () => { throw new Error('logged, not thrown') })
    await tasks.stop()
    assert.equal(settled, 3)
    let ran = false
    await tasks.run('after stop', async () => { ran = true })
    assert.equal(ran, false, 'a stopped set starts nothing')
  })

  it('sleep resolves after its time and rejects at once with the abort reason', async () => {
    const t0 = performance.now()
    await sleep(20)
    assert.ok(performance.now() - t0 >= 15)
    const controller = new AbortController()
    const waiting = sleep(60_000, controller.signal)
    controller.abort(new Error('stop'))
    await assert.rejects(waiting, /stop/)
    await assert.rejects(sleep(10, AbortSignal.abort(new Error('already'))), /already/)
  })

  it('backoff doubles from minMs to maxMs; jitter stays within (1 ± jitter) and the bounds', () => {
    const init = { minMs: 250, maxMs: 2_000 }
    assert.deepEqual([1, 2, 3, 4, 5, 100].map(a => backoff(init, a)), [250, 500, 1_000, 2_000, 2_000, 2_000])
    for (let attempt = 1; attempt < 8; attempt++) {
      for (let i = 0; i < 50; i++) {
        const exact = backoff(init, attempt)
        const w = backoff({ ...init, jitter: 0.25 }, attempt)
        assert.ok(w >= Math.max(init.minMs, exact * 0.75) - 1 && w <= Math.min(init.maxMs, exact * 1.25) + 1, `${w} for attempt ${attempt}`)
      }
    }
  })
})
