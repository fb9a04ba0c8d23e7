// Shapes shared by the pure ring core, its transports (libp2p service, simulator) and their callers.

/** A ring member: its id and an opaque address the transport can dial (a PeerId string over libp2p). */
export interface NodeRef {
  readonly id: bigint
  readonly address: string
}

/** Reply to find_successor: either the owner of the key (with the successors that follow it) or closer nodes. */
export type FindResult =
  | { readonly found: true, readonly nodes: readonly NodeRef[] }
  | { readonly found: false, readonly nodes: readonly NodeRef[] }

/** What a node tells a stabilizing neighbour about itself. */
export interface RemoteState {
  readonly predecessor?: NodeRef
  readonly successors: readonly NodeRef[]
}

/** What a gracefully leaving node tells its neighbours. */
export interface LeaveInfo {
  readonly leaver: NodeRef
  readonly predecessor?: NodeRef
  readonly successors: readonly NodeRef[]
}

export interface AbortOptions {
  signal?: AbortSignal
}

export interface FindOptions extends AbortOptions {
  /**
   * In a `found` answer, at most this many nodes (the owner first; at least 1). Default: the owner and all the
   * successors the answering node lists. A transport may send more; the caller uses only what it asked for.
   */
  nodes?: number
}

export interface GetStateOptions extends AbortOptions {
  /**
   * Ask for at most this many successors (0: the predecessor only). Default: the whole list. A transport may
   * send more; the caller uses only what it asked for.
   */
  successors?: number
}

/**
 * Every remote call the Chord algorithm makes (go-chord's Transport). The libp2p service and the simulator's
 * in-memory network implement it; a call to a dead or unreachable node rejects.
 */
export interface Transport {
  findSuccessor (to: NodeRef, key: bigint, options?: FindOptions): Promise<FindResult>
  getState (to: NodeRef, options?: GetStateOptions): Promise<RemoteState>
  notify (to: NodeRef, self: NodeRef, options?: AbortOptions): Promise<void>
  ping (to: NodeRef, options?: AbortOptions): Promise<void>
  leave (to: NodeRef, info: LeaveInfo, options?: AbortOptions): Promise<void>
  /** Pass a ring unification on: `to` should unify with `contact`, a node that may route on another ring. */
  unify (to: NodeRef, contact: NodeRef, options?: AbortOptions): Promise<void>
}

export function sameNode (a: NodeRef | undefined, b: NodeRef | undefined): boolean {
  return a !== undefined && b !== undefined && a.id === b.id
}
