// How a node's parts start, run background work and stop. Every service has `start()` and `stop()`; the
// composition root starts them in order and stops them in reverse, on shutdown and after a failed start alike
// (`Services`). Work a service starts and does not await belongs to its `TaskSet`, which `stop()` aborts and
// awaits, so a stopped node leaves no promise, timer or stream behind. `sleep` and `backoff` are the only waits.
import { setMaxListeners } from 'node:events'
import type { Logger } from '@libp2p/logger'

export interface StopOptions {
  /** A graceful leave: tell the ring and hand work over before stopping (default: just stop, like a crash). */
  leave?: boolean
}

export interface Service {
  start (): Promise<void> | void
  stop (options?: StopOptions): Promise<void> | void
}

/** Services started in order, stopped in reverse. */
export class Services {
  private readonly started: Service[] = []

  /** Start `service` and record it, so `stop()` stops it; returns it for chaining. */
  async start<S extends Service> (service: S): Promise<S> {
    await service.start()
    this.started.push(service)
    return service
  }

  /** Stop every started service, last started first. A failing stop is reported and the rest still stop. */
  async stop (options: StopOptions = {}, log?: Logger): Promise<void> {
    while (this.started.length > 0) {
      const service = this.started.pop()!
      try {
        await service.stop(options)
      } catch (err) {
        log?.error('stopping %s failed: %e', service.constructor.name, err)
      }
    }
  }
}

/**
 * Background work of one service: `run` starts a task and forgets it; a failure is logged unless the set is
 * stopping. `stop()` aborts the shared signal and waits for every task to settle.
 */
export class TaskSet {
  private readonly controller = new AbortController()
  private readonly running = new Set<Promise<void>>()

  constructor (private readonly log: Logger) {
    // Every task listens to the one signal: as many listeners as tasks is expected, not a leak.
    setMaxListeners(Infinity, this.controller.signal)
  }

  /** Aborted when the set stops. */
  get signal (): AbortSignal {
    return this.controller.signal
  }

  get stopped (): boolean {
    return this.controller.signal.aborted
  }

  /**
   * Start `task` in the background; ignored once stopped. The returned promise settles when the task has (it
   * never rejects), for a caller that wants to wait for this one.
   */
  run (what: string, task: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
    if (this.stopped) return Promise.resolve()
    const p: Promise<void> = (async () => {
      try {
        await task(this.controller.signal)
      } catch (err) {
        if (!this.stopped) this.log('%s failed: %e', what, err)
      }
    })().finally(() => { this.running.delete(p) })
    this.running.add(p)
    return p
  }

  /** Abort every task and wait until all have settled. */
  async stop (): Promise<void> {
    this.controller.abort(new DOMException('stopped', 'AbortError'))
    while (this.running.size > 0) await Promise.allSettled([...this.running])
  }
}

/** Resolve after `ms`, or reject with the signal's reason when it aborts first. */
export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export interface BackoffInit {
  /** The first wait, ms. */
  minMs: number
  /** The longest wait, ms. */
  maxMs: number
  /** Each wait is drawn from (1 ± jitter) × its exact value, kept within [minMs, maxMs] (default 0: exact). */
  jitter?: number
}

/**
 * The wait before retry `attempt` (1 for the first retry): `minMs` doubling per attempt up to `maxMs`, so that
 * many nodes retrying one failed peer do not hammer it in step.
 */
export function backoff (init: BackoffInit, attempt: number): number {
  const exact = Math.min(init.maxMs, init.minMs * 2 ** Math.min(Math.max(0, attempt - 1), 30))
  const jitter = init.jitter ?? 0
  if (jitter === 0) return exact
  const drawn = exact * (1 + jitter * (2 * Math.random() - 1))
  return Math.round(Math.max(init.minMs, Math.min(init.maxMs, drawn)))
}
