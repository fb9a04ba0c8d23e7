// /chord-peer/membership/1.0.0: admission to the ring. A supernode answers JOIN with the ring settings, the
// joiner's successor list (found by a lookup of the joiner's id) and the supernodes it knows; the joiner copies
// the list before it notifies anyone (Zave). The joiner is the connection's authenticated peer: a request that
// names another PeerId is refused. (Leader election and leader-serialised joins build on this in a later issue.)
import { logger } from '@libp2p/logger'
import { MembershipRequest, MembershipResponse, type RingSettings } from '../../protocols/membership.js'
import { JoinFailedError } from '../errors.js'
import { request, serveRpc, type RpcLimits } from '../net/rpc.js'
import { MAX_ADDRS, decodeAddrs, decodePeerId, fromWireList, nodeRefOf, toWire, type AddressBook } from '../chord/wire.js'
import type { ChordService } from '../chord/service.js'
import type { NodeRef } from '../ring/index.js'
import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export const MEMBERSHIP_PROTOCOL = '/chord-peer/membership/1.0.0'
export const MEMBERSHIP_LIMITS: RpcLimits = { maxMessageBytes: 64 * 1024, timeoutMs: 10_000 }

export type { RingSettings }

export interface SupernodeInit {
  host: Libp2p
  chord: ChordService
  settings: RingSettings
}

/** The supernode side: serve JOIN. */
export async function serveMembership ({ host, chord, settings }: SupernodeInit): Promise<void> {
  const log = logger('chord-peer:membership')
  await serveRpc<MembershipRequest, MembershipResponse>(host, {
    protocol: MEMBERSHIP_PROTOCOL,
    request: MembershipRequest,
    response: MembershipResponse,
    ...MEMBERSHIP_LIMITS,
    log,
    handler: async (req, connection, signal) => {
      const claimed = decodePeerId(req.peerId)
      if (!claimed.equals(connection.remotePeer)) {
        log('refused join: %p claims to be %p', connection.remotePeer, claimed)
        return refuse('the join request names another peer than the connection')
      }
      chord.book.add(claimed, decodeAddrs(req.addrs))
      const joiner = nodeRefOf(chord.space, claimed)
      let successors: NodeRef[]
      try {
        successors = await chord.node.successorsFor(joiner.id, { signal })
      } catch (err) {
        return refuse(`cannot place the joiner: ${(err as Error).message}`)
      }
      log('admitting %p before %s', claimed, successors[0]?.address)
      return {
        ok: true,
        error: '',
        settings,
        successors: successors.map(n => toWire(chord.book, n)),
        supernodes: [toWire(chord.book, chord.self)]
      }
    }
  })
}

function refuse (error: string): MembershipResponse {
  return { ok: false, error, successors: [], supernodes: [] }
}

export interface Admission {
  settings: RingSettings
  successors: NodeRef[]
  supernodes: NodeRef[]
}

export interface JoinOptions {
  host: Libp2p
  /** Supernode multiaddrs, each with /p2p/<id>. */
  bootstrap: Multiaddr[]
  /** Keep retrying unreachable supernodes until this long has passed (ms). */
  timeoutMs: number
  /** Called after each failed round, with the error. */
  onRetry?: (err: Error, attempt: number) => void
  signal?: AbortSignal
}

/**
 * The joiner side: ask the supernodes in turn until one admits us. Unreachable supernodes are retried with
 * backoff until `timeoutMs`; a refusal is final. `admit` turns the reply into domain types (and learns addresses).
 */
export async function requestAdmission (opts: JoinOptions, decode: (res: MembershipResponse) => Admission): Promise<Admission> {
  const deadline = Date.now() + opts.timeoutMs
  const req: MembershipRequest = {
    type: MembershipRequest.Type.JOIN,
    peerId: opts.host.peerId.toMultihash().bytes,
    addrs: opts.host.getMultiaddrs().slice(0, MAX_ADDRS).map(a => a.decapsulateCode(421).bytes)
  }
  let lastError: Error = new JoinFailedError('no supernode given')
  for (let attempt = 1; ; attempt++) {
    for (const addr of opts.bootstrap) {
      opts.signal?.throwIfAborted()
      let res: MembershipResponse
      try {
        res = await request<MembershipRequest, MembershipResponse>(opts.host, [addr], MEMBERSHIP_PROTOCOL, req, { request: MembershipRequest, response: MembershipResponse }, MEMBERSHIP_LIMITS, { signal: opts.signal })
      } catch (err) {
        lastError = err as Error
        continue
      }
      if (!res.ok) throw new JoinFailedError(`supernode ${addr.toString()} refused the join: ${res.error}`)
      return decode(res)
    }
    opts.onRetry?.(lastError, attempt)
    const remaining = deadline - Date.now()
    if (remaining <= 0) {
      throw new JoinFailedError(`no supernode answered within ${Math.round(opts.timeoutMs / 1000)} s: ${lastError.message}`, { cause: lastError })
    }
    // Back off 250 ms, 500 ms, 1 s, then every 2 s; the last try lands on the deadline.
    await new Promise(resolve => setTimeout(resolve, Math.min(250 * 2 ** (attempt - 1), 2_000, remaining)))
  }
}

/** Decode an admission reply against a ChordService's id space and address book. */
export function admissionDecoder (chord: { space: ChordService['space'], book: AddressBook }) {
  return (res: MembershipResponse): Admission => {
    if (res.settings === undefined || res.successors.length === 0) throw new JoinFailedError('the supernode sent an incomplete admission')
    return {
      settings: res.settings,
      successors: fromWireList(chord.space, chord.book, res.successors),
      supernodes: fromWireList(chord.space, chord.book, res.supernodes)
    }
  }
}
