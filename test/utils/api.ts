// Requests to a node's HTTP API with its bearer token: a Peer (apiUrl, apiToken) or a harness Daemon alike.
import type { RingJson, StatusJson } from '../../src/api/types.js'

export interface ApiNode {
  apiUrl?: string
  apiToken?: string
}

/** The Authorization header of `node`'s API. */
export function authHeader (node: ApiNode): { authorization: string } {
  if (node.apiToken === undefined) throw new Error('the node has no API token (is its API on?)')
  return { authorization: `Bearer ${node.apiToken}` }
}

/** fetch `path` of `node`'s API with its token (and any other headers of `init`). */
export async function apiFetch (node: ApiNode, path: string, init: RequestInit = {}): Promise<Response> {
  if (node.apiUrl === undefined) throw new Error('the node has no API URL (is its API on?)')
  const headers = new Headers(init.headers)
  headers.set('authorization', authHeader(node).authorization)
  return fetch(`${node.apiUrl}${path}`, { ...init, headers })
}

/**
 * Has the ring settled, seen through `node`'s API? Its walk passes the invariant check with `size` members, and
 * every member's predecessor and whole successor list are its neighbours on the walk: what placement lookups
 * and a store hop's admission check read (a walk that merely closes can still meet short or stale lists).
 */
export async function ringSettled (node: ApiNode, size: number): Promise<boolean> {
  const res = await apiFetch(node, '/api/ring?check=1')
  if (!res.ok) return false
  const ring = await res.json() as RingJson
  if (ring.check?.ok !== true || ring.members.length !== size) return false
  const { settings } = await (await apiFetch(node, '/api/status')).json() as StatusJson
  const ids = ring.members.map(m => m.id)
  const want = Math.min(settings.r, size - 1)
  return ring.members.every((m, i) => (size === 1 || m.predecessor?.id === ids[(i - 1 + size) % size]) &&
    m.successors.length === want && m.successors.every((s, j) => s.id === ids[(i + 1 + j) % size]))
}
