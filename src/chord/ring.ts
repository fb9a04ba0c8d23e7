// The ring as the rest of the node sees it: the one narrow face of src/chord. Files, membership, election and
// the HTTP API ask it who owns a key, which range this node owns, who its successors are, and how to reach a
// node; they never touch the routing state or the address book behind it. ChordService implements it.
import type { LookupEvent, LookupOptions } from '../ring/lookup.js'
import type { AbortOptions, IdSpace, NodeRef } from '../ring/index.js'
import type { DialTarget, PeerDirectory } from './wire.js'
import type { TypedEventTarget } from 'main-event'

/** A node found dead, and where (stabilize, check_predecessor, notify, lookup, successorsFor). */
export interface DeadNodeDetail { node: NodeRef, where: string }

export interface RingEvents {
  /** The first successor changed. */
  'successor:change': CustomEvent<{ previous: NodeRef, current: NodeRef }>
  /** The successor list changed (the replica set of this node's range). */
  'successors:change': CustomEvent<{ current: readonly NodeRef[] }>
  'predecessor:change': CustomEvent<{ previous?: NodeRef, current?: NodeRef }>
  /** The range this node owns changed: now (from, to]. */
  'range:change': CustomEvent<{ from?: bigint, to: bigint }>
  /** A node stopped answering and was dropped from this node's routing state. */
  'node:dead': CustomEvent<DeadNodeDetail>
  /** A node this node had found dead answers again: it was cut off (a partition, a hang) or it restarted. */
  'node:returned': CustomEvent<{ node: NodeRef }>
  /**
   * Another node asked this one to unify with `contact` (UNIFY): it had found this node dead and hears from it
   * again, or its ring merged with this node's. Either way this node may have been cut off.
   */
  'unify:asked': CustomEvent<{ contact: NodeRef }>
  /** This node merged its successor list with another ring's, reached through `contact` (a healed partition). */
  'ring:unified': CustomEvent<{ contact: NodeRef }>
}

/** The keys a node owns: the ring interval (from, to]; from = to means the whole ring (a node alone). */
export interface KeyRange { from: bigint, to: bigint }

export interface Ring {
  readonly self: NodeRef
  readonly space: IdSpace
  readonly events: TypedEventTarget<RingEvents>
  /** Members: PeerId ↔ NodeRef ↔ wire, and the addresses each announced. */
  readonly peers: PeerDirectory
  /** Does this node own `key` now (key ∈ (predecessor, self])? */
  owns (key: bigint): boolean
  /** The range this node owns; undefined while it has a successor but has not learnt its predecessor yet. */
  range (): KeyRange | undefined
  /** The successor list, nearest first: this node alone lists only itself. */
  successors (): readonly NodeRef[]
  /** The owner of `key` and the nodes after it, by an iterative lookup; LookupFailedError when it fails. */
  findOwner (key: bigint, options?: LookupOptions): Promise<{ nodes: readonly NodeRef[], hops: number }>
  /** The same lookup as a stream of hop, timeout and result events. */
  lookup (key: bigint, options?: LookupOptions): AsyncGenerator<LookupEvent>
  /** What a joiner with ring id `id` copies: its live successor and the list after it. */
  successorsFor (id: bigint, options?: LookupOptions): Promise<NodeRef[]>
  /** Resolves if `node` answers a chord PING (it serves the ring), rejects otherwise. */
  ping (node: NodeRef, options?: AbortOptions): Promise<void>
  /**
   * `node` may route on another ring (it was cut off, or a supernode came back): merge with its ring in the
   * background if it does (ChordNode.unify). Cheap when it does not: one lookup.
   */
  unify (node: NodeRef): void
  /**
   * Ask `node` to unify with this node's ring (a chord UNIFY): a peer so asked also checks with the supernodes
   * that it is still a member, and joins again if not.
   */
  askToUnify (node: NodeRef, options?: AbortOptions): Promise<void>
  /** How to reach `node` (the policy is PeerDirectory.dialTarget's). */
  dialTarget (node: NodeRef): DialTarget
}
