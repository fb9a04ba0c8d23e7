// Rings of chord-peer nodes for the transfer benchmark, one child process each (lib/child.ts `peer`): starting
// one until its ring check passes, stopping it with its data dirs, and choosing a file name that the entry node
// does not hold, so that every byte of a put or get crosses the network.
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { placementOf } from '../../sim/oracle.js'
import { makeTempDir, message, removeTempDir, spawnChild, stopChild, type Child } from './children.js'
import { getJson, until } from './http.js'
import type { PeerArgs, PeerReady } from './child.js'
import type { LocateJson, RingJson } from '../../src/api/types.js'

export interface RingNode { child: Child, ready: PeerReady }
export interface Ring { nodes: RingNode[], dir: string }

/**
 * `n` nodes with replication factor `k`: node0 bootstraps the ring, the others join through it. With `swarmKey`
 * (a key file's bytes) every node is in that private network.
 */
export async function startRing (n: number, k: number, options: { swarmKey?: Uint8Array } = {}): Promise<Ring> {
  const dir = await makeTempDir(`chord-peer-bench-ring${n}-`)
  const key = options.swarmKey === undefined ? {} : { swarmKey: Buffer.from(options.swarmKey).toString('hex') }
  const nodes: RingNode[] = []
  const start = async (name: string, args: PeerArgs): Promise<RingNode> => {
    const child = spawnChild(name, ['peer', JSON.stringify(args)])
    return { child, ready: await message<PeerReady>(child, 'ready', 60_000) }
  }
  nodes.push(await start('node0', { bootstrap: true, k, dataDir: join(dir, 'node0'), ...key }))
  for (let i = 1; i < n; i++) {
    nodes.push(await start(`node${i}`, { connect: [nodes[0].ready.multiaddrs[0]], dataDir: join(dir, `node${i}`), ...key }))
  }
  await until(`a correct ring of ${n}`, 60_000, async () => {
    const ring = await getJson<RingJson>(nodes[0].ready, '/api/ring?check=1')
    return ring.closed && ring.check?.ok === true && ring.members.length === n
  })
  return { nodes, dir }
}

export async function stopRing (ring: Ring): Promise<void> {
  await Promise.all(ring.nodes.map(async n => stopChild(n.child)))
  await removeTempDir(ring.dir)
}

/**
 * A name whose k holders exclude `entry`, and those holders in placement order (primary first), confirmed by the
 * entry's own lookup (which waits for its successor lists).
 */
export async function farName (
  prefix: string, entry: RingNode, nodes: RingNode[], k: number
): Promise<{ name: string, holders: RingNode[] }> {
  const byId = new Map(nodes.map(n => [BigInt('0x' + n.ready.id), n]))
  for (let i = 0; ; i++) {
    const name = `${prefix}-${i}`
    const holders = placementOf([...byId.keys()], createHash('sha256').update(name).digest('hex'), k).map(id => byId.get(id)!)
    if (holders.includes(entry)) continue
    const want = holders.map(h => h.ready.id).join()
    await until(`the entry to see the placement of ${name}`, 60_000, async () => {
      const loc = await getJson<LocateJson>(entry.ready, `/api/locate/${encodeURIComponent(name)}`)
      return loc.placement.map(p => p.id).join() === want
    })
    return { name, holders }
  }
}

/** Why a transfer failed: the error and the nodes' last log lines that say "fail" or "error". */
export function failure (err: Error, nodes: RingNode[]): string {
  const logs = nodes.flatMap(nd => nd.child.stderr
    .filter(l => /fail|error/i.test(l))
    .slice(-2)
    .map(l => `${nd.child.name}: ${l.replace(/^\S+Z /, '')}`))
  return [err.message.replace(/\s+/g, ' '), ...logs].join(' / ').slice(0, 600)
}
