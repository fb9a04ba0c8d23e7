// Canned daemon answers in the shapes of src/api/types.ts, for the CLI tests.
import type { LookupJson, NodeJson, RingJson, RingMemberJson, StatusJson } from '../../src/api/types.js'

/** A 64-hex-digit id starting with `prefix`. */
export function hexId (prefix: string): string {
  return prefix.padEnd(64, '0')
}

export const PEER_A = '12D3KooWGzh8TmnAVG2ePq9mrWR8GAXxTvyPdmXcKEESKfsXMB8x'
export const PEER_B = '12D3KooWBxAXaKoVC4HF2uxjKMHBnrCZbdUnmd6rYThPNVvqJ8jw'
export const PEER_C = '12D3KooWNvSZnPi3RrhrTwEY4LuuBeB6K6facKUCJcyWG1aoDd2p'

export const NODE_A: NodeJson = {
  id: hexId('3f2a9c1b'),
  peerId: PEER_A,
  addrs: [`/ip4/127.0.0.1/tcp/4001/p2p/${PEER_A}`, `/ip4/10.0.0.5/tcp/4001/p2p/${PEER_A}`]
}
export const NODE_B: NodeJson = { id: hexId('7c00aa01'), peerId: PEER_B }
export const NODE_C: NodeJson = { id: hexId('c1d2e3f4'), peerId: PEER_C }

export const STATUS: StatusJson = {
  node: NODE_A,
  role: 'supernode',
  apiUrl: 'http://127.0.0.1:4101',
  settings: { k: 3, r: 8, stabilizeIntervalMs: 1000, fixFingersIntervalMs: 500, checkPredecessorIntervalMs: 2000 },
  joined: true,
  predecessor: NODE_C,
  successors: [NODE_B, NODE_C, NODE_A],
  fingers: [
    { from: 0, to: 253, start: hexId('3f2a9c1c'), node: NODE_B },
    { from: 254, to: 255, start: hexId('bf2a9c1b'), node: NODE_C }
  ],
  connections: 5,
  uptimeMs: 3_723_000
}

function member (node: NodeJson, predecessor: NodeJson, successors: NodeJson[]): RingMemberJson {
  return { ...node, predecessor, successors }
}

export const RING_OK: RingJson = {
  members: [
    member(NODE_A, NODE_C, [NODE_B, NODE_C, NODE_A]),
    member(NODE_B, NODE_A, [NODE_C, NODE_A, NODE_B]),
    member(NODE_C, NODE_B, [NODE_A])
  ],
  closed: true,
  check: { ok: true, problems: [] }
}

export const RING_BROKEN: RingJson = {
  members: [member(NODE_A, NODE_C, [NODE_B]), member(NODE_B, NODE_A, [])],
  closed: false,
  check: { ok: false, problems: [`${NODE_B.id} has an empty successor list`, 'the walk did not close'] }
}

export const LOOKUP: LookupJson = {
  key: hexId('9b1e'),
  name: 'notes.pdf',
  owner: NODE_C,
  successors: [NODE_C, NODE_A, NODE_B],
  hops: 2,
  path: [NODE_A, NODE_B],
  ms: 14
}
