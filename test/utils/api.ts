// Requests to a node's HTTP API with its bearer token: a Peer (apiUrl, apiToken) or a harness Daemon alike.
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
