// Listen failures said plainly. A node checks its fixed ports (the libp2p listen addresses and the HTTP API)
// before it touches its data dir, by binding each for a moment, so a port in use fails the start with one line
// naming the setting and the address, and nothing made in the dir. Another process can still take a port between that
// check and the real listen; `listenError` turns that failure into the same one line, instead of libp2p's
// message about transportManager.faultTolerance.
import { createServer } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { ListenError } from '../errors.js'

export type ListenOption = 'listen' | 'api' | 'metrics'

/** Why binding failed, from the errno code. */
function reason (err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === 'EADDRINUSE') return 'the address is already in use (by another process, or another chord-peer daemon)'
  if (code === 'EADDRNOTAVAIL') return 'the address is not one of this machine\'s'
  if (code === 'EACCES') return 'permission denied (ports below 1024 need privileges)'
  return (err as Error | undefined)?.message ?? String(err)
}

export function listenError (option: ListenOption, address: string, err: unknown): ListenError {
  return new ListenError(`--${option} ${address}: ${reason(err)}`, { option, address }, { cause: err })
}

/**
 * Bind `host:port` for a moment; ListenError naming `option` and `address` when it is in use. Other failures
 * are left to the real listen, which judges them (libp2p goes on without IPv6 on a host that has none).
 */
async function probe (option: ListenOption, address: string, host: string, port: number): Promise<void> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(listenError(option, address, err))
      else resolve()
    })
    server.listen({ host, port, exclusive: true }, () => { server.close(() => { resolve() }) })
  })
}

/** The host and port of a TCP multiaddr with a fixed port (`/ip4|ip6/<addr>/tcp/<port>`), else undefined. */
function fixedTcpPort (addr: string): { host: string, port: number } | undefined {
  const components = multiaddr(addr).getComponents()
  const ip = components.find(c => c.name === 'ip4' || c.name === 'ip6')
  const tcp = components.find(c => c.name === 'tcp')
  const port = Number(tcp?.value)
  if (ip?.value === undefined || !(port > 0)) return undefined
  return { host: ip.value, port }
}

/**
 * Check that no fixed port among the listen multiaddrs, the API address and the metrics address is in use now
 * (port 0, any free port, never is). ListenError for the first that is.
 */
export async function checkPortsFree (
  listen: readonly string[], api?: { host: string, port: number }, metrics?: { host: string, port: number }
): Promise<void> {
  for (const addr of listen) {
    const target = fixedTcpPort(addr)
    if (target !== undefined) await probe('listen', addr, target.host, target.port)
  }
  for (const [option, at] of [['api', api], ['metrics', metrics]] as const) {
    if (at === undefined || !(at.port > 0)) continue
    await probe(option, `${at.host}:${at.port}`, at.host.replace(/^\[|\]$/g, ''), at.port)
  }
}

/**
 * libp2p's error for listen addresses it could not bind (UnsupportedListenAddressesError, whose message lists
 * `  <multiaddr>: <error>` lines) as a ListenError for the first address listed; other errors unchanged.
 */
export function fromLibp2pListenError (err: unknown, listen: readonly string[]): unknown {
  if ((err as Error | undefined)?.name !== 'UnsupportedListenAddressesError') return err
  const line = /^\s*(\/\S+): (.*)$/m.exec((err as Error).message)
  const address = line?.[1] ?? listen.join(', ')
  const detail = line?.[2] ?? (err as Error).message
  const code = /\b(EADDRINUSE|EADDRNOTAVAIL|EACCES)\b/.exec(detail)?.[1]
  const why = code !== undefined ? reason({ code }) : detail
  return new ListenError(`--listen ${address}: ${why}`, { option: 'listen', address }, { cause: err })
}
