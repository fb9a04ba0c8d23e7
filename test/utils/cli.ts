// Test helpers for the CLI: run main() in-process with captured output, and a stub daemon HTTP API on
// 127.0.0.1 port 0 serving canned JSON (and, given a FileStore, the file routes).
import { createServer } from 'node:http'
import { Writable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import { main } from '../../src/cli/index.js'
import type { CliIo } from '../../src/cli/index.js'
import type { FileStore } from './file-stub.js'

/** Collects what is written; `waitFor` resolves once the text contains a string (event-driven, with a deadline). */
export class Capture {
  text = ''
  private waiters: Array<() => void> = []

  write (chunk: string): boolean {
    this.text += chunk
    for (const wake of this.waiters.splice(0)) wake()
    return true
  }

  async waitFor (needle: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!this.text.includes(needle)) {
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error(`timed out waiting for ${JSON.stringify(needle)} in output:\n${this.text}`)
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, remaining)
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }
}

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

export type ExtraIo = Omit<CliIo, 'stdout' | 'stderr'>

/** Run the CLI to completion. The default cwd/home are a path that has no data dir. */
export async function runCli (argv: string[], extra: ExtraIo = {}): Promise<CliRun> {
  const stdout = new Capture()
  const stderr = new Capture()
  const code = await main(argv, { cwd: '/nonexistent-cwd', home: '/nonexistent-home', ...extra, stdout, stderr })
  return { code, stdout: stdout.text, stderr: stderr.text }
}

export interface Reply {
  status?: number
  body: unknown
}

export interface StubDaemon {
  url: string
  port: number
  /** Every request's path and query, in order. */
  requests: URL[]
  close: () => Promise<void>
}

/**
 * Serve `routes[pathname]` (a reply or a function of the request URL), and the file routes when `files` is
 * given; anything else is a 404 ErrorJson.
 */
export async function startStubDaemon (
  routes: Record<string, Reply | ((url: URL) => Reply)>, options: { files?: FileStore } = {}
): Promise<StubDaemon> {
  const requests: URL[] = []
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub')
    requests.push(url)
    if (options.files?.handle(req, res, url) === true) return
    const route = routes[url.pathname]
    const reply = route == null
      ? { status: 404, body: { error: `no route ${url.pathname}`, code: 'ERR_NOT_FOUND' } }
      : typeof route === 'function' ? route(url) : route
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' })
    res.end(text)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
export async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>(resolve => server.close(() => { resolve() }))
  return port
}

/** A byte sink for `get -o -`: collects what is written, with backpressure like a real stdout. */
export class ByteCapture extends Writable {
  readonly chunks: Buffer[] = []

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk)
    callback()
  }

  get bytes (): Buffer {
    return Buffer.concat(this.chunks)
  }
}
