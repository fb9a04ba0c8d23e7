// After an attack, the ring still works: what every hostile-peer test under test/security/ checks last.
import assert from 'node:assert/strict'
import { collect } from '../../harness/bytes.js'
import { waitFor } from './wait.js'
import type { Peer } from '../../src/peer.js'
import type { Testnet } from '../../src/testnet.js'

const supernodesOf = (net: Testnet): Peer[] => net.nodes.filter(p => p.role === 'supernode')
const acting = (net: Testnet): Peer[] => supernodesOf(net).filter(p => p.election!.acting())

/** The ring's settings as founded, to hand to stillWorks after the attack (a copy: later changes do not show). */
export function settingsOf (net: Testnet): Peer['settings'] {
  return structuredClone(net.nodes[0].settings)
}

/**
 * The ring still works: the ring invariants hold over every node (what `ring --check` checks), one acting leader
 * that every supernode follows, every node's settings as founded, and a put through the last node reads back
 * through the first.
 */
export async function stillWorks (net: Testnet, settings: Peer['settings']): Promise<void> {
  await net.waitForRing({ timeoutMs: 20_000 })
  await waitFor(() => acting(net).length === 1 && supernodesOf(net).every(p => p.election!.leader()?.address === acting(net)[0].peerId),
    { timeoutMs: 10_000, what: 'one acting leader' })
  for (const p of net.nodes) assert.deepEqual(p.settings, settings)
  for (const p of supernodesOf(net)) assert.deepEqual(p.membership!.current.settings, settings)
  const name = `still-works-${Math.random()}`
  await net.nodes[net.nodes.length - 1].files.put(name, (async function * () { yield Buffer.from('still here') })())
  assert.equal((await collect((await net.nodes[0].files.read(name)).body)).toString(), 'still here')
}
