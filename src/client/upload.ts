// A request body sent with node:http: a chunk is read from the source only once the connection has taken the
// previous one (write → 'drain'), and nothing keeps a chunk once it is written, so a put's memory stays flat
// whatever the file size. The global fetch (undici) holds on to a streamed request body until the answer: a
// 1 GiB put grew the CLI to 1.1 GB. The daemon may answer before it has read the whole body (401, 413, 503,
// 507, 408) and then close the connection: that answer is what the caller gets, not the write errors that
// follow it, and the source is not read any further.
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { InvalidInputError } from '../errors.js'
import type { ByteSource } from './index.js'

/**
 * The idle timeout an upload drives: it runs while the upload waits on the daemon (to connect, to take the
 * next bytes, to answer) and is paused while it waits for the source (a slow pipe into stdin is not a stalled
 * daemon).
 */
export interface IdleTimer {
  restart: () => void
  clear: () => void
}

export interface UploadInit {
  method: string
  headers: Record<string, string>
  body: ByteSource
  /** Ends the request: the caller's signal and the idle timeout's. */
  signal: AbortSignal
  idle: IdleTimer
  /** Called with the bytes handed to the connection so far, as they go. */
  onProgress?: (bytesSent: number) => void
}

/** An HTTP answer: its status and its body as text. */
export interface Answer {
  status: number
  statusText: string
  ok: boolean
  text: string
  /** The `retry-after` header of a 503 (seconds), when sent. */
  retryAfter?: string
}

/** What a wait returns when the answer (or the request's failure) came first. */
const STOP = Symbol('stop')

/**
 * Waits that end early once the answer came. Not Promise.race against one long-lived promise: each race would
 * leave a reaction on it that holds the race's result, so every chunk read would be kept until the answer
 * (nodejs/node#17469) — the very leak this module exists to avoid.
 */
class Stopper {
  stopped = false
  private wake?: () => void

  stop (): void {
    this.stopped = true
    this.wake?.()
  }

  /** `promise`'s value, or STOP as soon as stop() is called (at once if it was). */
  async until<T> (promise: Promise<T>): Promise<T | typeof STOP> {
    if (this.stopped) {
      promise.catch(() => {})
      return STOP
    }
    try {
      return await new Promise<T | typeof STOP>((resolve, reject) => {
        this.wake = () => { resolve(STOP) }
        promise.then(resolve, reject)
      })
    } finally {
      this.wake = undefined
    }
  }
}

/**
 * Send `init.body` to `url` and resolve with the answer. Rejects with the socket's error when there is no
 * answer (ECONNREFUSED, ECONNRESET…), with an AbortError once `init.signal` aborts, with the source's own
 * error when reading it fails, and with InvalidInputError when the source has more or fewer bytes than a
 * content-length header announced.
 */
export async function upload (url: URL, init: UploadInit): Promise<Answer> {
  const { idle } = init
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  // A connection of its own: a kept-alive one could be closed by the daemon just as the body starts, and a
  // streamed body cannot be sent again. One handshake is nothing next to a file.
  const req = send(url, { method: init.method, headers: init.headers, signal: init.signal, agent: false })
  // The answer, or the request's failure: whichever comes first ends the sending. The 'error' listener stays
  // for good: writes into a connection the daemon closed after answering fail once more (EPIPE).
  const stopper = new Stopper()
  const answer = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', res => {
      resolve(res)
      stopper.stop()
    })
    req.on('error', err => {
      reject(err)
      stopper.stop()
    })
  })
  answer.catch(() => {})

  const iterator = (init.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
  const announced = init.headers['content-length'] == null ? undefined : Number(init.headers['content-length'])
  let sent = 0
  let ended = false
  try {
    for (;;) {
      idle.clear()
      const next = await stopper.until(iterator.next())
      if (next === STOP) break
      if (next.done === true) {
        if (announced !== undefined && sent !== announced) throw lengthMismatch(sent, announced)
        // All bytes handed over: from now on the timeout bounds the wait for the daemon's answer.
        idle.restart()
        req.end()
        ended = true
        break
      }
      const chunk = next.value
      if (chunk.byteLength === 0) continue
      if (announced !== undefined && sent + chunk.byteLength > announced) throw lengthMismatch(sent + chunk.byteLength, announced)
      idle.restart()
      // Let the event loop read first. A server that closes at once after an early answer makes its TCP stack
      // reset the connection when our next bytes arrive; a write that then fails destroys the socket, and the
      // answer waiting in its receive buffer with it. Writing only after a poll phase has read what arrived
      // narrows that window: across processes, against the API server closing at once, early answers lost fell
      // from half or more to 0.4 % (6 of 1 400 after 1 MiB of body, none of 800 answers to the headers alone). Only
      // a server that closes in stages (RFC 9112 §9.6: answer, FIN, read on until the client closes) shuts it.
      if (await stopper.until(afterNextPoll()) === STOP) break
      const taken = req.write(chunk)
      sent += chunk.byteLength
      init.onProgress?.(sent)
      if (!taken && await stopper.until(drained(req)) === STOP) break
    }
  } catch (err) {
    // The source failed, or lied about its size: the daemon must not take a partial body for the whole file.
    req.destroy()
    throw err
  } finally {
    // Stop the source when the daemon answered early (a read may still be pending: do not wait for it).
    if (!ended) void Promise.resolve().then(async () => await iterator.return?.()).catch(() => {})
  }

  const res = await answer
  idle.restart()
  let text: string
  try {
    text = await readText(res)
  } catch (err) {
    // An error answer whose connection closed before its body was all read is still that error answer.
    if (init.signal.aborted || isOk(res)) throw err
    text = ''
  } finally {
    // A body cut short leaves the connection in the middle of a request: it cannot carry anything more.
    if (!ended) req.destroy()
  }
  const retryAfter = res.headers['retry-after']
  const result: Answer = { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', ok: isOk(res), text }
  if (retryAfter !== undefined) result.retryAfter = retryAfter
  return result
}

/** Resolves after the event loop's next poll phase, which reads whatever has arrived by now. */
async function afterNextPoll (): Promise<void> {
  // A check-phase callback runs after this iteration's poll; the one it schedules, after the next one's.
  await new Promise<void>(resolve => { setImmediate(() => { setImmediate(resolve) }) })
}

function isOk (res: IncomingMessage): boolean {
  const status = res.statusCode ?? 0
  return status >= 200 && status < 300
}

async function readText (res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = []
  for await (const part of res) parts.push(part as Buffer)
  return Buffer.concat(parts).toString('utf8')
}

/**
 * The next 'drain' of the request. It may never come (the daemon answered and stopped reading, or the
 * connection failed): callers wait for it with Stopper.until, which the answer or the failure ends.
 */
async function drained (req: ClientRequest): Promise<void> {
  await new Promise<void>(resolve => { req.once('drain', resolve) })
}

function lengthMismatch (bytes: number, announced: number): InvalidInputError {
  return new InvalidInputError(bytes > announced
    ? `the content has more bytes than the ${announced} announced (did the file grow while it was sent?)`
    : `the content ended after ${bytes} of the ${announced} bytes announced (did the file shrink while it was sent?)`)
}
