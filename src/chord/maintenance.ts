// Periodic maintenance tasks (stabilize, fix_fingers, check_predecessor) as jittered timers. A run never
// overlaps the previous one of the same task; a failed run is logged and the task goes on (go-chord vnode.go).
import type { Logger } from '@libp2p/logger'

export interface TaskInit {
  name: string
  /** Mean interval in ms. Each wait is drawn from [½, 1½] × interval so nodes do not synchronise. */
  intervalMs: number
  /** Longest a single run may take, in ms. */
  timeoutMs: number
  run: (signal: AbortSignal) => Promise<void>
  log: Logger
}

export interface Task {
  /** Stop the timer and wait for a run in progress to end (its signal is aborted). */
  stop (): Promise<void>
  /** Run now (and reset the timer); resolves when that run ends. */
  trigger (): Promise<void>
}

export function startTask (init: TaskInit): Task {
  const shutdown = new AbortController()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined

  const runOnce = async (): Promise<void> => {
    if (running !== undefined) return running
    const signal = AbortSignal.any([shutdown.signal, AbortSignal.timeout(init.timeoutMs)])
    running = init.run(signal)
      .catch(err => { if (!shutdown.signal.aborted) init.log('%s failed: %e', init.name, err) })
      .finally(() => { running = undefined })
    return running
  }
  const schedule = (): void => {
    if (shutdown.signal.aborted) return
    const wait = init.intervalMs * (0.5 + Math.random())
    timer = setTimeout(() => { void runOnce().then(schedule) }, wait)
    timer.unref()
  }
  schedule()

  return {
    stop: async () => {
      shutdown.abort()
      clearTimeout(timer)
      await running
    },
    trigger: async () => {
      clearTimeout(timer)
      await runOnce()
      schedule()
    }
  }
}
