// Peers this node turns away for a while (protocols/README.md §15.4). A member that keeps sending index requests
// over their rates (src/files/index-protocol.ts refuses each with RateLimitError) is misbehaving: honest nodes
// pace themselves to half the rates and never meet them. After OVER_RATE_STRIKES refusals within
// STRIKE_WINDOW_MS the node closes every connection with it and refuses its connections, inbound and outbound,
// for BAN_MS, through the host's connection gater (`gater`, given to createHost).
// Two kinds of peer are only disconnected, not banned, so that a flooder pays a new TCP and noise handshake for
// every few streams instead of opening streams on one connection: a peer whose streams the members-only gate
// refuses (it holds no valid certificate), after NOT_MEMBER_STRIKES, and one that keeps sending JOINs over its
// address's join rate (src/membership/server.ts), after OVER_JOIN_RATE_STRIKES. Neither is banned: a node
// admitted a moment ago may be refused by one that has not seen its certificate yet, and a joiner may share its
// address with others; both must be able to connect again.
// Why bother, when every refusal is cheap? Each refused stream still costs the node a libp2p stream (about
// 80 KiB of garbage: multistream-select, a logger, buffers), so a flood of them grows the heap long before
// anything is retained; cutting the flooder off bounds that.
// Both maps are bounded (MAX_TRACKED_PEERS, the least recently seen go first) against a peer with many identities.
// Every refusal is told in the node's events (`refused`, src/events.ts), rate-bound: at most one per peer and kind
// every REFUSED_REPORT_MS and one per kind a second, the rest counted into the next ("… and 37 more").
import { logger, type Logger } from '@libp2p/logger'
import { andMore, Throttle, type NodeEvents } from '../events.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'

/**
 * Index requests refused over their rates, within STRIKE_WINDOW_MS, that get a member banned. An honest node is
 * never refused (it keeps to half the rates); 16 leaves room for one whose pacing started afresh (a restart with
 * the same key) while a flood, which sends hundreds a second, reaches it within its first wave of requests.
 */
export const OVER_RATE_STRIKES = 16
/**
 * JOINs over the join rate of the sender's address (each answered "retry later, in a second"), within
 * STRIKE_WINDOW_MS, after which the sender's connections are closed: an honest joiner waits between tries, so it
 * sends at most 10 in the window.
 */
export const OVER_JOIN_RATE_STRIKES = 16
/**
 * Streams refused at the members-only gate, within STRIKE_WINDOW_MS, after which the peer's connections are
 * closed. A member is refused only while no node it asks knows its certificate (right after its admission), for
 * a few requests; an outsider flooding chord or file streams gets 8 per connection.
 */
export const NOT_MEMBER_STRIKES = 8
/** The window strikes are counted in: 10 s, long enough that a slow flood still adds up. */
export const STRIKE_WINDOW_MS = 10_000
/** How long a banned peer is turned away: a minute, then it starts afresh (and is banned again if it floods). */
export const BAN_MS = 60_000
/** Most peers banned, and most peers whose strikes are counted, at once; the oldest go first beyond it. */
export const MAX_TRACKED_PEERS = 4096
/** A peer refused again and again is told of in the node's events once per this long (per kind of refusal). */
export const REFUSED_REPORT_MS = 30_000

export interface BansInit {
  /** How long a ban lasts, ms (default BAN_MS; tests shorten it). */
  banMs?: number
  /** Most peers banned or with strikes at once (default MAX_TRACKED_PEERS). */
  maxPeers?: number
  /** The clock, ms (default Date.now). */
  now?: () => number
  /** Where refusals are told (`refused`, rate-bound). Default: nowhere. */
  events?: NodeEvents
  log?: Logger
}

/** What the bans need of the host: its connections with a peer, to close them. */
export interface Connections {
  getConnections: (peer?: PeerId) => Array<{ abort: (err: Error) => void }>
}

type Offence = 'over-rate' | 'not-member' | 'over-join-rate'
interface Strikes { count: number, since: number }

export class Bans {
  /** Banned peers and until when, oldest ban first (every ban lasts banMs, so that is also the first to end). */
  private readonly banned = new Map<string, number>()
  /** Strikes per offence and peer in the current window, least recently struck first. */
  private readonly strikes = new Map<string, Strikes>()
  private host?: Connections
  private readonly log: Logger
  private readonly banMs: number
  private readonly maxPeers: number
  private readonly now: () => number
  private readonly events?: NodeEvents
  /** Reports per peer and kind, and per kind: what keeps a flood from flooding the log too. */
  private readonly perPeer: Throttle
  private readonly perKind: Throttle

  /**
   * The connection gater of a host that turns the banned peers away: their inbound connections are closed
   * right after the noise handshake (the first moment their PeerId is known), and this node dials none of them.
   */
  readonly gater: ConnectionGater = {
    denyDialPeer: peer => this.isBanned(peer),
    denyInboundEncryptedConnection: peer => this.isBanned(peer),
    denyOutboundEncryptedConnection: peer => this.isBanned(peer)
  }

  constructor (init: BansInit = {}) {
    this.banMs = init.banMs ?? BAN_MS
    this.maxPeers = init.maxPeers ?? MAX_TRACKED_PEERS
    this.now = init.now ?? Date.now
    this.log = init.log ?? logger('chord-peer:bans')
    this.events = init.events
    this.perPeer = new Throttle(REFUSED_REPORT_MS, this.now, this.maxPeers)
    this.perKind = new Throttle(1_000, this.now)
  }

  /** The host whose connections with a peer turned away are closed (src/peer.ts, once the host exists). */
  attach (host: Connections): void {
    this.host = host
  }

  /** Peers banned now (expired bans included until they are looked at or pushed out). */
  get size (): number {
    return this.banned.size
  }

  /** Peers with strikes counted now. */
  get struck (): number {
    return this.strikes.size
  }

  /** Is `peer` banned now? */
  isBanned (peer: PeerId | string): boolean {
    const address = peer.toString()
    const until = this.banned.get(address)
    if (until === undefined) return false
    if (until > this.now()) return true
    this.banned.delete(address)
    return false
  }

  /** A request of `peer` was refused over its rate: the OVER_RATE_STRIKES-th in the window bans it (true). */
  overRate (peer: PeerId): boolean {
    if (this.isBanned(peer)) {
      // A connection that was being set up when the ban began got past the gater: close it too.
      this.disconnect(peer)
      return false
    }
    this.refused(peer, 'index requests over their rates', `refused index requests of ${peer.toString()}: over their rates`)
    if (!this.strike(peer, 'over-rate', OVER_RATE_STRIKES)) return false
    this.ban(peer)
    return true
  }

  /** A stream of `peer` was refused at the members-only gate: the NOT_MEMBER_STRIKES-th disconnects it (true). */
  notMember (peer: PeerId): boolean {
    this.refused(peer, 'a stream from a non-member',
      `refused a stream of ${peer.toString()}: it holds no valid membership certificate (not a member)`)
    if (!this.strike(peer, 'not-member', NOT_MEMBER_STRIKES)) return false
    this.log('closing the connections of %p: %d streams refused at the gate', peer, NOT_MEMBER_STRIKES)
    this.disconnect(peer)
    return true
  }

  /** `peer` sent a JOIN over its address's join rate: the OVER_JOIN_RATE_STRIKES-th disconnects it (true). */
  overJoinRate (peer: PeerId): boolean {
    this.refused(peer, 'JOINs over the join rate', `refused a JOIN of ${peer.toString()}: its address is over the join rate`)
    if (!this.strike(peer, 'over-join-rate', OVER_JOIN_RATE_STRIKES)) return false
    this.log('closing the connections of %p: %d JOINs over the join rate', peer, OVER_JOIN_RATE_STRIKES)
    this.disconnect(peer)
    return true
  }

  /** Turn `peer` away for banMs and close its connections. */
  ban (peer: PeerId): void {
    const address = peer.toString()
    this.banned.delete(address)
    while (this.banned.size >= this.maxPeers) this.banned.delete(this.banned.keys().next().value!)
    this.banned.set(address, this.now() + this.banMs)
    this.log('banning %p for %d ms: %d requests over its rates', peer, this.banMs, OVER_RATE_STRIKES)
    this.refused(peer, 'a ban', `banned ${address} for ${Math.round(this.banMs / 1000)} s: ${OVER_RATE_STRIKES} requests over its rates ` +
      `within ${STRIKE_WINDOW_MS / 1000} s`)
    this.disconnect(peer)
  }

  /**
   * Tell the node's events that `peer` was turned away (`what`: the kind of refusal, `message`: the line), at most
   * once per REFUSED_REPORT_MS per peer and kind, and once a second per kind; the ones held back are counted into
   * the next.
   */
  refused (peer: PeerId | string, what: string, message: string): void {
    if (this.events === undefined) return
    const peerId = peer.toString()
    const held = this.perPeer.take(`${what} ${peerId}`)
    if (held === undefined) return
    const others = this.perKind.take(what)
    if (others === undefined) return
    this.events.emit({ type: 'refused', what, peerId, level: 'warn', message: andMore(message, held + others) })
  }

  /** Count one `offence` of `peer`; true when that makes `limit` within the window (the count starts again). */
  private strike (peer: PeerId, offence: Offence, limit: number): boolean {
    const key = `${offence} ${peer.toString()}`
    const now = this.now()
    let s = this.strikes.get(key)
    this.strikes.delete(key) // re-inserted below: the most recently struck is last
    if (s === undefined || now - s.since > STRIKE_WINDOW_MS) s = { count: 0, since: now }
    s.count++
    if (s.count >= limit) return true
    while (this.strikes.size >= this.maxPeers) this.strikes.delete(this.strikes.keys().next().value!)
    this.strikes.set(key, s)
    return false
  }

  private disconnect (peer: PeerId): void {
    for (const connection of this.host?.getConnections(peer) ?? []) {
      connection.abort(new Error(`${peer.toString()} is turned away`))
    }
  }
}
