// StreamSlots: the store streams a node opens for its own writes, at most so many per peer and in all; the rest
// wait in line (first come, first served, skipping those whose peer is full) for a bounded time.
import assert from 'node:assert/strict'
import { StreamSlots } from '../../src/files/limits.js'
import { BusyError } from '../../src/errors.js'

const never = new AbortController().signal

describe('files: outbound store stream slots', () => {
  it('grants at most perPeer per peer and total in all; a release lets the next in line through', async () => {
    const slots = new StreamSlots(2, 3, 5_000)
    const a1 = await slots.acquire('a', never)
    const a2 = await slots.acquire('a', never)
    const waitingA = slots.acquire('a', never)
    const b1 = await slots.acquire('b', never) // b is not held back by a's line
    let cGranted = false
    const waitingC = slots.acquire('c', never).then(r => { cGranted = true; return r }) // total 3 reached
    await Promise.resolve()
    assert.deepEqual(slots.usage, { open: 3, waiting: 2 })
    a1()
    const a3 = await waitingA
    assert.equal(cGranted, false, 'the first in line got the slot')
    b1()
    const c1 = await waitingC
    assert.deepEqual(slots.usage, { open: 3, waiting: 0 })
    a1() // a second release changes nothing
    assert.deepEqual(slots.usage, { open: 3, waiting: 0 })
    a2(); a3(); c1()
    assert.deepEqual(slots.usage, { open: 0, waiting: 0 })
  })

  it('a waiter whose peer is full does not hold back one behind it whose peer has room', async () => {
    const slots = new StreamSlots(1, 2, 5_000)
    const a = await slots.acquire('a', never)
    const b = await slots.acquire('b', never)
    const order: string[] = []
    const forA = slots.acquire('a', never).then(r => { order.push('a'); return r })
    const forC = slots.acquire('c', never).then(r => { order.push('c'); return r })
    b() // room for one more in all: a's peer is still full, so c goes first
    ;(await forC)()
    a()
    ;(await forA)()
    assert.deepEqual(order, ['c', 'a'])
  })

  it('a wait longer than waitMs fails with BusyError; an abort fails with its reason; both leave the line', async () => {
    const slots = new StreamSlots(1, 1, 50)
    const held = await slots.acquire('a', never)
    await assert.rejects(slots.acquire('a', never), (err: Error) => err instanceof BusyError && /within 0\.05 s/.test(err.message))
    const controller = new AbortController()
    const waiting = slots.acquire('a', controller.signal)
    controller.abort(new Error('the client went away'))
    await assert.rejects(waiting, /the client went away/)
    assert.deepEqual(slots.usage, { open: 1, waiting: 0 })
    held()
    ;(await slots.acquire('a', never))()
  })

  it('refuses at once when the line is full', async () => {
    const slots = new StreamSlots(1, 1, 5_000, 1)
    const held = await slots.acquire('a', never)
    const controller = new AbortController()
    const first = slots.acquire('a', controller.signal)
    await assert.rejects(slots.acquire('a', never), (err: Error) => err instanceof BusyError && /waiting/.test(err.message))
    controller.abort(new Error('done'))
    await assert.rejects(first, /done/)
    held()
  })
})
