// Replica maintenance as a service: it runs the passes of this directory one at a time, never overlapping.
// A pass starts when the ring around this node changes (its range, its successor list), and on a jittered
// timer, which is the anti-entropy catching anything an event missed. Each pass syncs the range with its
// replicas (sync.ts, which also restores from the durable tier: restore.ts); every `surplusMs`, and 5 s after
// the ring changed, a pass also drops the copies this node no longer needs and hands its primary any copy the
// placement lacks (surplus.ts). A graceful leave first hands the range to the
// successor (handoff.ts). Time comes from `now`, so the passes are testable with a clock of their own.
import { durationText, errorText, sizeText } from '../../events.js'
import { TaskSet, type Service, type StopOptions } from '../../lifecycle.js'
import { handOff } from './handoff.js'
import { DurableRestore } from './restore.js'
import { dropSurplus, type SurplusReport } from './surplus.js'
import { syncPass } from './sync.js'
import type { Replication, SyncReport } from './copies.js'
import type { FilesContext } from '../context.js'

/** Mean interval of the anti-entropy pass when nothing in the ring changes. */
export const DEFAULT_REPLICATION_INTERVAL_MS = 10_000
export const DEFAULT_SURPLUS_MS = 60_000
/** After a ring change the surplus pass (which hands copies outside every placement to their primary) runs this soon. */
export const SURPLUS_AFTER_CHANGE_MS = 5_000
/** The longest a graceful leave spends handing its range over. */
export const HAND_OFF_MS = 30_000

export interface ReplicatorInit extends Replication {
  /** Mean interval of the anti-entropy pass, ms. */
  intervalMs: number
  /** Scan the durable tier's records of an unchanged range this often, ms (default 5 min). */
  durableScanMs?: number
  /** Look for copies this node no longer needs this often, ms (default 1 min). */
  surplusMs?: number
  /** The clock, ms. */
  now: () => number
}

export class Replicator implements Service {
  /** Totals since start, for status and tests. */
  readonly totals: SyncReport = { pulled: 0, pushed: 0, restored: 0, errors: 0, full: 0, bytes: 0 }
  private readonly tasks: TaskSet
  private readonly restore: DurableRestore
  private dirty = false
  private running: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  /** When dropSurplus last ran; ring events counted, so a drop can see the ring moved under it. */
  private surplusAt: number
  private ringChanges = 0
  /** The ring changes counted when dropSurplus last ran. */
  private surplusChanges = 0
  /** Why the next pass runs (the kicks since the last one began), for the repair it may turn into. */
  private readonly reasons = new Set<string>()
  private readonly onRingChange = (e: Event): void => {
    this.ringChanges++
    this.kick(e.type === 'range:change' ? 'the range this node owns changed' : 'the replicas of its range changed')
  }

  constructor (private readonly init: ReplicatorInit) {
    this.tasks = new TaskSet(init.ctx.log)
    this.restore = new DurableRestore(init, init.durableScanMs)
    this.surplusAt = init.now()
  }

  async start (): Promise<void> {
    const events = this.init.ctx.ring.events
    events.addEventListener('range:change', this.onRingChange)
    events.addEventListener('successors:change', this.onRingChange)
    const tick = (): void => {
      this.timer = setTimeout(() => { this.kick('the periodic check'); tick() }, this.init.intervalMs * (0.5 + Math.random()))
      this.timer.unref()
    }
    tick()
    this.kick('the node started')
  }

  /** Stop passes; with `leave`, first hand the range to the successor (bounded by HAND_OFF_MS). */
  async stop (options: StopOptions = {}): Promise<void> {
    const events = this.init.ctx.ring.events
    events.removeEventListener('range:change', this.onRingChange)
    events.removeEventListener('successors:change', this.onRingChange)
    clearTimeout(this.timer)
    this.timer = undefined
    if (options.leave === true) {
      const repair = new RepairReport(this.init.ctx.events, 'this node is leaving: it hands its range to its successor')
      try {
        const n = await handOff(this.init, AbortSignal.any([this.tasks.signal, AbortSignal.timeout(HAND_OFF_MS)]), record => {
          repair.start()
          repair.copied(record.size)
        })
        if (n > 0) this.init.ctx.log('handed %d records to the successor', n)
        repair.finish(0)
      } catch (err) {
        this.init.ctx.log('hand-off incomplete: %e', err)
        repair.start()
        repair.finish(1, errorText(err))
      }
    }
    await this.tasks.stop()
  }

  /** Run a pass soon (`reason`: why, should it repair anything); passes never overlap, and a change during a pass causes one more. */
  kick (reason = 'a check was asked for'): void {
    this.reasons.add(reason)
    this.dirty = true
    if (this.running !== undefined || this.tasks.stopped) return
    // loop() clears `running` as it returns, in the same step as its last look at `dirty`: no kick is lost.
    const loop = this.running = this.loop()
    this.tasks.run('replication', async () => { await loop })
  }

  /** Resolves once no pass is running or due. */
  async settled (): Promise<void> {
    while (this.running !== undefined) await this.running
  }

  /** One sync pass over this node's range, now. */
  async syncOnce (signal: AbortSignal = this.tasks.signal): Promise<SyncReport> {
    return await syncPass(this.init, this.restore, this.init.now(), signal)
  }

  /** Drop the copies this node no longer needs (handing to its primary any it lacks), now. */
  async dropSurplus (signal: AbortSignal = this.tasks.signal): Promise<SurplusReport> {
    const changes = this.ringChanges
    return await dropSurplus(this.init, () => this.ringChanges !== changes, signal)
  }

  private async loop (): Promise<void> {
    const signal = this.tasks.signal
    try {
      while (this.dirty && !signal.aborted) {
        this.dirty = false
        try {
          await this.pass(signal)
        } catch (err) {
          if (!signal.aborted) this.init.ctx.log('replica sync failed: %e', err)
        }
      }
    } finally {
      this.running = undefined
    }
  }

  private async pass (signal: AbortSignal): Promise<void> {
    // A pass that copies something is a repair, told as one (src/events.ts) from its first copy on.
    const repair = new RepairReport(this.init.ctx.events, [...this.reasons].join('; '))
    this.reasons.clear()
    let r: SyncReport
    try {
      r = await syncPass(this.init, this.restore, this.init.now(), signal, {
        copying: () => { repair.start() },
        copied: record => { repair.copied(record.size) }
      })
    } catch (err) {
      if (!signal.aborted) repair.finish(1, errorText(err))
      if (!signal.aborted) this.init.ctx.metrics?.repairPass('error')
      throw err
    }
    this.init.ctx.metrics?.repairPass('ok', r)
    repair.finish(r.errors)
    this.totals.pulled += r.pulled
    this.totals.pushed += r.pushed
    this.totals.restored += r.restored
    this.totals.bytes += r.bytes
    this.totals.errors += r.errors
    this.totals.full += r.full
    if (r.restored > 0) this.dirty = true // push the restored records to the replicas
    const now = this.init.now()
    // Every surplusMs, and soon after the ring changed (a merge may leave copies outside every placement).
    const gap = this.ringChanges !== this.surplusChanges ? SURPLUS_AFTER_CHANGE_MS : (this.init.surplusMs ?? DEFAULT_SURPLUS_MS)
    const due = this.surplusAt + gap
    if (now >= due) {
      this.surplusAt = now
      this.surplusChanges = this.ringChanges
      const { dropped, handed } = await this.dropSurplus(signal)
      if (dropped > 0) this.init.ctx.log('dropped %d copies this node no longer needs', dropped)
      if (handed > 0) this.init.ctx.log('handed %d copies to the primary of their placement', handed)
    }
  }
}

/**
 * One repair as the node's events tell it: `repair.started` at its first copy (a pass that finds every copy in
 * place says nothing), `repair.finished` with what it moved, the copies that failed and how long it took.
 */
class RepairReport {
  private began?: number
  private files = 0
  private bytes = 0

  constructor (private readonly events: FilesContext['events'], private readonly reason: string) {}

  start (): void {
    if (this.began !== undefined) return
    this.began = performance.now()
    this.events?.emit({ type: 'repair.started', reason: this.reason, level: 'info', message: `repair started: ${this.reason}` })
  }

  copied (bytes: number): void {
    this.files++
    this.bytes += bytes
  }

  /** Tell how it ended (nothing if it never started); `failed` copies, and why the pass broke off if it did. */
  finish (failed: number, error?: string): void {
    if (this.began === undefined) return
    const ms = Math.round(performance.now() - this.began)
    const { files, bytes } = this
    const outcome = `${files} ${files === 1 ? 'copy' : 'copies'} (${sizeText(bytes)}) in ${durationText(ms)}` +
      (failed > 0 ? `, ${failed} failed${error !== undefined ? ` (${error})` : ''}, tried again later` : '')
    this.events?.emit({
      type: 'repair.finished',
      reason: this.reason,
      files,
      bytes,
      ms,
      failed,
      level: failed > 0 ? 'warn' : 'info',
      message: `repair finished: ${outcome}; ${this.reason}`
    })
  }
}
