// The members-only gate: the one check every ring protocol's inbound streams pass (chord, store, fetch, index,
// election; src/net/rpc.ts calls it before reading a request). The peer at the other end of the connection must
// be a member: this node holds a valid certificate of it, or fetches one from it (/chord-peer/cert/1.0.0, on the
// connection already open) and verifies it. Anyone else's stream is reset before a byte of it is read. The gate
// also serves this node's own certificate, and refreshes the certificates of the nodes it dials when they are
// past half their life. It tells the bans of each refusal, so a peer refused again and again is disconnected
// (./bans.ts: NOT_MEMBER_STRIKES).
import { logger, type Logger } from '@libp2p/logger'
import { CertReply, CertRequest } from '../../protocols/trust.js'
import { NotMemberError } from '../errors.js'
import { TaskSet, type Service } from '../lifecycle.js'
import { RpcClient, serveRpc, type Target } from '../net/rpc.js'
import { MAX_CERT_BYTES, type Cert } from './certs.js'
import type { Bans } from './bans.js'
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'

export const CERT_PROTOCOL = '/chord-peer/cert/1.0.0'
const CERT_LIMITS = { maxMessageBytes: MAX_CERT_BYTES + 64, timeoutMs: 2_000 }
/** After a failed fetch, the same peer's next fetch waits this long (a stranger cannot make us ask it often). */
const REFUSED_MS = 5_000
/** Most peers remembered as refused, and as refreshed. */
const MAX_REFUSED = 4096
/**
 * A certificate past half its life is fetched again at most this often: its holder renews it then, and until the
 * renewal has reached it (or while its renewals fail) every dial would otherwise ask again.
 */
export const REFRESH_MS = 30_000

/** What the gate needs of the node's directory of members (src/chord/wire.ts: PeerDirectory). */
export interface Members {
  learnCert: (bytes: Uint8Array, subject?: string) => Cert | undefined
  cert: (address: string) => Cert | undefined
  dialTarget: (node: { id: bigint, address: string }) => Target
  onAging?: (node: { id: bigint, address: string }) => void
}

export interface GateInit {
  host: Libp2p
  members: Members
  /** Told of every refused peer: it closes the connections of one refused repeatedly. */
  bans?: Pick<Bans, 'notMember'>
  log?: Logger
}

export class MemberGate implements Service {
  private own?: Uint8Array<ArrayBuffer>
  private readonly client: RpcClient<CertRequest, CertReply>
  private readonly tasks: TaskSet
  private readonly log: Logger
  /** Peers whose certificate could not be had lately, and until when not to ask again. */
  private readonly refused = new Map<string, number>()
  /** Fetches in flight, so concurrent streams of one peer share one. */
  private readonly fetching = new Map<string, Promise<Cert | undefined>>()
  /** Connections whose peer's current certificate was asked for once already. */
  private readonly asked = new WeakSet<Connection>()
  /** Peers whose ageing certificate was last fetched again, and when (oldest first). */
  private readonly refreshed = new Map<string, number>()

  constructor (private readonly init: GateInit) {
    this.log = init.log ?? logger('chord-peer:gate')
    this.tasks = new TaskSet(this.log)
    this.client = new RpcClient<CertRequest, CertReply>({
      host: init.host, protocol: CERT_PROTOCOL, request: CertRequest, response: CertReply, limits: CERT_LIMITS, maxIdlePerPeer: 0
    })
    init.members.onAging = node => {
      // Marked before the task starts: the task's own dialTarget sees the ageing certificate and calls back here.
      const now = Date.now()
      const last = this.refreshed.get(node.address)
      if ((last !== undefined && now - last < REFRESH_MS) || this.fetching.has(node.address)) return
      this.refreshed.delete(node.address)
      if (this.refreshed.size >= MAX_REFUSED) this.refreshed.delete(this.refreshed.keys().next().value!)
      this.refreshed.set(node.address, now)
      this.tasks.run(`refreshing the certificate of ${node.address}`, async signal => {
        await this.fetch(init.members.dialTarget(node), node.address, signal)
      })
    }
  }

  /** This node's own certificate (from its admission or a renewal), served to whoever asks. */
  setOwn (bytes: Uint8Array<ArrayBuffer>): void {
    this.own = bytes
    this.init.members.learnCert(bytes)
  }

  async start (): Promise<void> {
    await serveRpc<CertRequest, CertReply>(this.init.host, {
      protocol: CERT_PROTOCOL,
      request: CertRequest,
      response: CertReply,
      ...CERT_LIMITS,
      log: this.log,
      maxInboundStreams: 8,
      handler: async () => ({ cert: this.own ?? new Uint8Array(0) })
    })
  }

  async stop (): Promise<void> {
    await this.init.host.unhandle(CERT_PROTOCOL).catch(() => {})
    await this.tasks.stop()
    this.client.close()
  }

  /**
   * Resolves when the connection's peer is a member; NotMemberError otherwise. A peer this node holds a valid
   * certificate of is let in at once, and on each new connection its current certificate is fetched in the
   * background: a node that restarted keeps its PeerId but may listen elsewhere, and its new certificate
   * (which replaces the old one, as it expires later) is what tells everyone its new addresses.
   */
  readonly check = async (connection: Connection): Promise<void> => {
    const peer = connection.remotePeer
    const address = peer.toString()
    const firstAsk = !this.asked.has(connection)
    this.asked.add(connection)
    if (this.init.members.cert(address) !== undefined) {
      if (firstAsk && !this.fetching.has(address)) {
        this.tasks.run(`fetching the current certificate of ${address}`, async signal => { await this.fetch(peer, address, signal) })
      }
      return
    }
    const cert = await this.fetch(peer, address, AbortSignal.timeout(CERT_LIMITS.timeoutMs))
    if (cert === undefined) {
      this.init.bans?.notMember(peer)
      throw new NotMemberError(`${address} holds no valid membership certificate`)
    }
  }

  /** Ask the peer at `target` for its certificate and take it in when it is valid and its own. */
  private async fetch (target: Target | PeerId, address: string, signal: AbortSignal): Promise<Cert | undefined> {
    const until = this.refused.get(address)
    if (until !== undefined && until > Date.now()) return undefined
    const inFlight = this.fetching.get(address)
    if (inFlight !== undefined) return await inFlight
    const fetching = (async (): Promise<Cert | undefined> => {
      try {
        const reply = await this.client.request(target, {}, { signal })
        const cert = reply.cert.byteLength > 0 ? this.init.members.learnCert(reply.cert, address) : undefined
        if (cert?.address === address) return cert
      } catch (err) {
        this.log.trace('cannot fetch the certificate of %s: %e', address, err)
      }
      if (this.refused.size >= MAX_REFUSED) this.refused.delete(this.refused.keys().next().value!)
      this.refused.set(address, Date.now() + REFUSED_MS)
      return undefined
    })()
    this.fetching.set(address, fetching)
    try {
      return await fetching
    } finally {
      this.fetching.delete(address)
    }
  }
}
