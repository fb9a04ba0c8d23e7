// The `--metrics <host:port>` listener: plain HTTP that serves `GET /metrics` (and HEAD) and nothing else, without
// the API's token, for a Prometheus server to scrape. It holds no secret and changes nothing: the figures carry no
// PeerId, key or file name. On loopback by default; the daemon warns when it is bound beyond this machine. The
// API serves the same text at `/metrics` with the token (src/api/server.ts).
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { Service } from '../lifecycle.js'

export interface MetricsServerInit {
  /** Where to listen (port 0: any free port). */
  host: string
  port: number
  /** The exposition to serve (NodeMetrics.scrape). */
  scrape: () => Promise<{ contentType: string, text: string }>
}

export class MetricsServer implements Service {
  private server?: Server
  private address = ''

  constructor (private readonly init: MetricsServerInit) {}

  /** `http://host:port` once listening. */
  get url (): string {
    return this.address
  }

  async start (): Promise<void> {
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname
      if (path !== '/metrics') return plain(res, 404, 'not found: this listener serves /metrics only\n')
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD')
        return plain(res, 405, 'method not allowed: GET /metrics\n')
      }
      this.init.scrape().then(({ contentType, text }) => {
        res.writeHead(200, {
          'content-type': contentType,
          'content-length': Buffer.byteLength(text),
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff'
        })
        res.end(req.method === 'HEAD' ? undefined : text)
      }, (err: Error) => { plain(res, 500, `cannot collect the metrics: ${err.message}\n`) })
    })
    server.headersTimeout = 10_000
    server.requestTimeout = 30_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.init.port, this.init.host, () => { server.off('error', reject); resolve() })
    })
    this.server = server
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('the metrics listener has no TCP address')
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    this.address = `http://${host}:${address.port}`
  }

  async stop (): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server === undefined) return
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
}

function plain (res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
