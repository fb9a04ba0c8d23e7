// Where names land on a test net, by the oracle (sim/oracle.ts): the peers that should hold a name, and names
// whose placement is what a test needs.
import { sha256Hex } from '../../src/files/hashing.js'
import { placementOf } from '../../sim/oracle.js'
import type { Peer } from '../../src/peer.js'
import type { Testnet } from '../../src/testnet.js'

/** The placement of `name` on `net` (k nodes) as Peers, primary first. */
export function holdersOf (net: Testnet, name: string, k: number): Peer[] {
  return placementOf(net.nodes.map(p => p.chord.self.id), sha256Hex(name), k).map(id => net.nodes.find(p => p.chord.self.id === id)!)
}

/** The first of `<prefix>-0`, `<prefix>-1`, … whose placement (k nodes) satisfies `fits`. */
export function nameWhere (net: Testnet, k: number, prefix: string, fits: (holders: Peer[]) => boolean): string {
  for (let i = 0; ; i++) if (fits(holdersOf(net, `${prefix}-${i}`, k))) return `${prefix}-${i}`
}
