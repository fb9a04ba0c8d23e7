// createTestnet(): a ring of real libp2p peers in one process on 127.0.0.1, for tests, benchmarks and scripts
// (hyperdht's createTestnet). Intervals default to fast values so a ring converges in about a second.
import { sleep } from './lifecycle.js'
import { createPeer, type Peer, type PeerOptions } from './peer.js'

export interface TestnetOptions {
  /** Supernodes to start (the first starts the ring; default 1). */
  supernodes?: number
  /** Ordinary peers to join (default 0). */
  peers?: number
  k?: number
  r?: number
  stabilizeIntervalMs?: number
  fixFingersIntervalMs?: number
  checkPredecessorIntervalMs?: number
  /** Mean replica anti-entropy interval, ms (default 1000). */
  replicationIntervalMs?: number
  /** Serve the HTTP API on each node (default false). */
  api?: boolean
  /** Give every node this S3 durable tier. */
  s3?: PeerOptions['s3']
  /** Joins in flight at once (default 8). */
  concurrency?: number
  /** Election timers of every supernode (defaults: src/election/chang-roberts.ts). */
  election?: PeerOptions['election']
  /** A private network: every node gets this swarm key (PeerOptions.swarmKey; default none). */
  swarmKey?: Uint8Array
  /** Who may join as a peer (default open); with `invite`, `add` mints each peer an invite. */
  admission?: PeerOptions['admission']
  /** Lifetime of the membership certificates, ms (default: PeerOptions' default). */
  certTtlMs?: number
}

export interface Testnet {
  /** Every live node, supernodes first. */
  readonly nodes: Peer[]
  /**
   * Start one more node joining through the supernodes. A further supernode (`bootstrap: true`) gets an invite
   * from a running supernode, and so does a peer of an invite-only ring, unless `invite` is given.
   */
  add (options?: Partial<PeerOptions>): Promise<Peer>
  /**
   * Cut the network into `sides` (nodes listed on no side reach everyone): every connection between two sides
   * is closed and no new one opens (each node's connection gater), until `heal`. Nodes added meanwhile are on
   * no side.
   */
  partition (sides: ReadonlyArray<readonly Peer[]>): void
  /** End the partition: connections between the sides may open again. */
  heal (): void
  /** Stop one node: gracefully (leave) or as a crash. It is removed from `nodes`. */
  remove (peer: Peer, options?: { leave?: boolean }): Promise<void>
  /** Wait until every node's predecessor and successor list match the sorted-id ring. */
  waitForRing (options?: { timeoutMs?: number }): Promise<void>
  /** Are every node's predecessor and successor list right? */
  ringCorrect (): boolean
  stop (): Promise<void>
}

export async function createTestnet (options: TestnetOptions = {}): Promise<Testnet> {
  const base: PeerOptions = {
    listen: ['/ip4/127.0.0.1/tcp/0'],
    api: options.api === true ? '127.0.0.1:0' : false,
    k: options.k,
    r: options.r,
    stabilizeIntervalMs: options.stabilizeIntervalMs ?? 250,
    fixFingersIntervalMs: options.fixFingersIntervalMs ?? 250,
    checkPredecessorIntervalMs: options.checkPredecessorIntervalMs ?? 500,
    replicationIntervalMs: options.replicationIntervalMs ?? 1_000,
    s3: options.s3,
    election: options.election,
    swarmKey: options.swarmKey,
    certTtlMs: options.certTtlMs,
    joinTimeoutMs: 10_000
  }
  const nodes: Peer[] = []
  // The side of each node's PeerId while the network is split (`partition`).
  let sides: Map<string, number> | undefined
  const cut = (a: string, b: string): boolean => {
    const x = sides?.get(a)
    const y = sides?.get(b)
    return x !== undefined && y !== undefined && x !== y
  }
  /** A node made with this options' gater refuses the other side's connections once `me.id` names it. */
  const splittable = (): { me: { id: string }, gater: NonNullable<PeerOptions['connectionGater']> } => {
    const me = { id: '' }
    const deny = (peer: { toString: () => string }): boolean => cut(me.id, peer.toString())
    return { me, gater: { denyDialPeer: deny, denyInboundEncryptedConnection: deny, denyOutboundEncryptedConnection: deny } }
  }
  const start = async (opts: PeerOptions): Promise<Peer> => {
    const { me, gater } = splittable()
    const peer = await createPeer({ connectionGater: gater, ...opts })
    me.id = peer.peerId
    return peer
  }
  // Join through every live supernode (any of them forwards to the leader).
  const entry = (): string[] => nodes.filter(p => p.role === 'supernode').map(p => p.multiaddrs[0])

  const testnet: Testnet = {
    nodes,
    add: async (extra = {}) => {
      const inviter = nodes.find(p => p.role === 'supernode')
      const needsInvite = extra.bootstrap === true || options.admission === 'invite'
      const minted = needsInvite && inviter !== undefined ? await inviter.invite({ supernode: extra.bootstrap === true }) : undefined
      const invite = extra.invite ?? minted?.token
      const peer = await start({ ...base, connect: entry(), ...extra, ...(invite !== undefined ? { invite } : {}) })
      nodes.push(peer)
      return peer
    },
    remove: async (peer, opts = {}) => {
      const i = nodes.indexOf(peer)
      if (i >= 0) nodes.splice(i, 1)
      await peer.stop(opts)
    },
    partition: groups => {
      sides = new Map(groups.flatMap((group, i) => group.map(p => [p.peerId, i] as const)))
      for (const node of nodes) {
        for (const connection of node.host.getConnections()) {
          if (cut(node.peerId, connection.remotePeer.toString())) connection.abort(new Error('the network is partitioned'))
        }
      }
    },
    heal: () => { sides = undefined },
    ringCorrect: () => ringCorrect(nodes),
    waitForRing: async (opts = {}) => {
      await waitFor(() => ringCorrect(nodes), { timeoutMs: opts.timeoutMs ?? 30_000, what: 'the ring to converge' })
    },
    stop: async () => {
      const all = nodes.splice(0)
      await Promise.all(all.map(async p => p.stop({ leave: false }).catch(() => {})))
    }
  }

  try {
    nodes.push(await start({ ...base, bootstrap: true, admission: options.admission }))
    for (let i = 1; i < (options.supernodes ?? 1); i++) await testnet.add({ bootstrap: true })
    const concurrency = options.concurrency ?? 8
    let left = options.peers ?? 0
    while (left > 0) {
      const batch = Math.min(left, concurrency)
      await Promise.all(Array.from({ length: batch }, async () => testnet.add()))
      left -= batch
    }
  } catch (err) {
    await testnet.stop()
    throw err
  }
  return testnet
}

/** True when every node's predecessor and whole successor list are its neighbours in id order. */
export function ringCorrect (nodes: readonly Peer[]): boolean {
  const sorted = [...nodes].sort((a, b) => (a.chord.self.id < b.chord.self.id ? -1 : 1))
  const n = sorted.length
  return sorted.every((p, i) => {
    const st = p.chord.snapshot()
    if (n === 1) return st.successors[0]?.id === p.chord.self.id
    const want = Array.from({ length: Math.min(p.chord.settings.r, n - 1) }, (_, j) => sorted[(i + 1 + j) % n].chord.self.id)
    return st.predecessor?.id === sorted[(i - 1 + n) % n].chord.self.id &&
      st.successors.length === want.length && st.successors.every((s, j) => s.id === want[j])
  })
}

/** Poll `predicate` until it holds or the deadline passes (then throw, naming `what`). */
export async function waitFor (
  predicate: () => boolean | Promise<boolean>, options: { timeoutMs?: number, intervalMs?: number, what?: string } = {}
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000)
  while (true) {
    if (await predicate()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'a condition'}`)
    await sleep(options.intervalMs ?? 50)
  }
}
