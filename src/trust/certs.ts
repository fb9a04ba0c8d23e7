// Membership certificates (protocols/README.md §15): how a member proves to any other member that the supernodes
// admitted it, without every node holding the whole view. A supernode signs, with its libp2p key, a MemberCert
// naming the member, its role, the addresses the member announced itself and an expiry; members renew theirs
// while they are in the view, so a certificate lapses within CERT_TTL_MS once its node leaves or dies.
// A certificate is valid for a verifier when it decodes, is unexpired (allowing CLOCK_SKEW_MS), and is signed by
// one of the verifier's trust roots: the supernodes it knows (a supernode: its view's; a peer: those its admission
// named), plus the subjects of SUPERNODE certificates signed by a root, so peers learn new supernodes.
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { MemberCert, Role } from '../../protocols/trust.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export { Role }

/** How long a certificate is valid after it is issued: 10 minutes. Members renew at half of it. */
export const CERT_TTL_MS = 10 * 60_000
/** Clock differences between machines a verifier tolerates, ms. */
export const CLOCK_SKEW_MS = 60_000
/** Most addresses a certificate may carry (the wire's MAX_ADDRS). */
export const MAX_CERT_ADDRS = 16
/** Largest encoded certificate accepted: a PeerId, 16 addresses, an issuer and a signature fit easily. */
export const MAX_CERT_BYTES = 4096

/** A verified certificate. */
export interface Cert {
  peerId: PeerId
  /** The member's PeerId string (a NodeRef's address). */
  address: string
  role: Role
  /** The addresses the member announced, without /p2p. */
  addrs: Multiaddr[]
  epoch: number
  /** ms since the Unix epoch. */
  expires: number
  /** The signing supernode's PeerId string. */
  issuer: string
  /** The encoding as received, to pass on unchanged. */
  bytes: Uint8Array<ArrayBuffer>
}

export interface CertInit {
  subject: PeerId
  role: Role
  addrs: Multiaddr[]
  epoch: number
  expires: number
}

/** Sign a certificate for `init.subject` with a supernode's key; its encoding. */
export async function issueCert (key: PrivateKey, issuer: PeerId, init: CertInit): Promise<Uint8Array<ArrayBuffer>> {
  const unsigned: MemberCert = {
    peerId: init.subject.toMultihash().bytes as Uint8Array<ArrayBuffer>,
    role: init.role,
    addrs: init.addrs.slice(0, MAX_CERT_ADDRS).map(a => a.bytes as Uint8Array<ArrayBuffer>),
    epoch: BigInt(init.epoch),
    expires: BigInt(Math.round(init.expires)),
    issuer: issuer.toMultihash().bytes as Uint8Array<ArrayBuffer>,
    signature: new Uint8Array(0)
  }
  const signature = await key.sign(MemberCert.encode(unsigned))
  return MemberCert.encode({ ...unsigned, signature: signature as Uint8Array<ArrayBuffer> })
}

/**
 * Checks certificates against the trust roots. Verified certificates are remembered by their bytes, so a
 * certificate seen again (in every successor list, say) costs no second signature check.
 */
export class CertVerifier {
  private readonly roots = new Set<string>()
  /**
   * Supernodes trusted for a while beyond the roots: learnt from SUPERNODE certificates signed by a root (until
   * those expire), or just gone from the roots (for one certificate lifetime).
   */
  private readonly learnt = new Map<string, number>()
  private readonly seen = new Map<string, Cert>()

  /**
   * Told when a certificate shows that the supernodes changed since the roots were set: it names an issuer this
   * node does not trust (told before the signature is checked, so anyone can cause it), or it is a supernode's,
   * signed by a root, for a supernode that is not a root. A peer then asks a supernode for the current list.
   */
  onRootsStale?: () => void

  /**
   * `now`: the clock certificates' expiries are read against; `ttlMs`: the lifetime this ring gives certificates
   * (a certificate with less than half of it left is due for renewal, and none may live longer).
   */
  constructor (readonly now: () => number = Date.now, readonly ttlMs = CERT_TTL_MS) {}

  /**
   * The supernodes this node trusts to sign certificates (replaces the previous set). A supernode that leaves the
   * set stays trusted for one certificate lifetime more, so the certificates it issued while it was one (its
   * members', and the other supernodes') stay valid until they are renewed by another supernode.
   */
  setRoots (addresses: Iterable<string>): void {
    const next = new Set(addresses)
    for (const a of this.roots) if (!next.has(a)) this.learnt.set(a, Math.max(this.learnt.get(a) ?? 0, this.now() + this.ttlMs))
    this.roots.clear()
    for (const a of next) this.roots.add(a)
    this.seen.clear()
  }

  isRoot (address: string): boolean {
    if (this.roots.has(address)) return true
    const until = this.learnt.get(address)
    return until !== undefined && until + CLOCK_SKEW_MS > this.now()
  }

  /** Is `cert` past half its life, so that whoever uses it should fetch a newer one? */
  aging (cert: Cert): boolean {
    return cert.expires - this.now() < this.ttlMs / 2
  }

  /** Is `cert` unexpired now (allowing the clock skew)? */
  fresh (cert: Cert): boolean {
    return cert.expires + CLOCK_SKEW_MS > this.now()
  }

  /** The certificate in `bytes` if it is valid now, else undefined (never throws). */
  verify (bytes: Uint8Array): Cert | undefined {
    if (bytes.byteLength === 0 || bytes.byteLength > MAX_CERT_BYTES) return undefined
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
    const known = this.seen.get(key)
    if (known !== undefined) return this.fresh(known) && this.isRoot(known.issuer) ? known : undefined
    let cert: Cert
    try {
      const wire = MemberCert.decode(bytes)
      if (wire.addrs.length > MAX_CERT_ADDRS) return undefined
      const peerId = peerIdFromMultihash(Digest.decode(wire.peerId))
      const issuer = peerIdFromMultihash(Digest.decode(wire.issuer))
      if (issuer.publicKey === undefined) return undefined
      if (!this.isRoot(issuer.toString())) {
        this.onRootsStale?.()
        return undefined
      }
      const signed = MemberCert.encode({ ...wire, signature: new Uint8Array(0) })
      if (issuer.publicKey.verify(signed, wire.signature) !== true) return undefined
      cert = {
        peerId,
        address: peerId.toString(),
        role: wire.role,
        addrs: wire.addrs.map(a => multiaddr(a)),
        epoch: Number(wire.epoch),
        expires: Number(wire.expires),
        issuer: issuer.toString(),
        bytes: Uint8Array.from(bytes)
      }
    } catch {
      return undefined
    }
    // Expired, or living longer than any supernode issues them: a supernode on its way out of the roots could
    // otherwise sign itself a certificate that keeps it trusted for ever.
    if (!this.fresh(cert) || cert.expires > this.now() + this.ttlMs + CLOCK_SKEW_MS) return undefined
    // Only a current root makes another supernode a signer (never one trusted for a while, nor one itself).
    if (cert.role === Role.SUPERNODE && !this.roots.has(cert.address) && this.roots.has(cert.issuer) && cert.issuer !== cert.address) {
      if (!this.learnt.has(cert.address)) this.onRootsStale?.()
      this.learnt.set(cert.address, Math.max(this.learnt.get(cert.address) ?? 0, cert.expires))
    }
    if (this.seen.size >= MAX_SEEN) this.seen.delete(this.seen.keys().next().value!)
    this.seen.set(key, cert)
    return cert
  }
}

/** Verified certificates remembered by bytes: enough for every member of a full view, and bounded. */
const MAX_SEEN = 8192
