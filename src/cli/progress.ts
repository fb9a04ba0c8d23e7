// Progress bars for transfers (put, get), drawn with cli-progress on stderr, and only when stderr is a terminal:
// piped or redirected output gets no bar at all. Commands see a `ProgressFactory` in their context (absent
// when nothing is to be drawn) and report bytes; everything about drawing stays in this module.
import { SingleBar } from 'cli-progress'
import { formatBytes, formatRate } from './format.js'

/** One transfer's bar. `stop()` is safe to call more than once. */
export interface Progress {
  /** Bytes done so far (not a delta). */
  update (bytes: number): void
  stop (): void
}

export interface ProgressInit {
  /** Shown before the bar, e.g. `put notes.pdf`. */
  label: string
  /** Bytes expected; undefined when unknown (stdin): then there is no bar and no ETA, only bytes and speed. */
  total?: number
}

export type ProgressFactory = (init: ProgressInit) => Progress

/** Where progress goes: stderr, which may say it is a terminal and how wide it is. */
export interface ProgressStream {
  write (text: string): unknown
  isTTY?: boolean
  columns?: number
}

export interface ProgressIo {
  stderr: ProgressStream
  /** Force progress on or off. Default: whether stderr is a TTY. */
  isTTY?: boolean
  /** Replaces the cli-progress bars (tests). */
  progress?: ProgressFactory
}

/** The factory commands get: undefined when progress is not to be shown. */
export function progressFor (io: ProgressIo): ProgressFactory | undefined {
  const tty = io.isTTY ?? io.stderr.isTTY === true
  if (!tty) return undefined
  return io.progress ?? barFactory(io.stderr)
}

/** cli-progress bars drawn on `stream`. */
export function barFactory (stream: ProgressStream): ProgressFactory {
  return ({ label, total }) => {
    const known = total != null && total > 0
    const bar = new SingleBar({
      // cli-progress draws only on a stream that says it is a TTY; the decision was made in progressFor.
      stream: terminalView(stream),
      format: known
        ? '{label} [{bar}] {percentage}% | {done} / {size} | {speed} | ETA {eta_formatted}'
        : '{label} {done} | {speed} | {duration_formatted}',
      barsize: 24,
      hideCursor: false,
      clearOnComplete: false,
      // Its own SIGINT handler would swallow Ctrl-C; the command's abort stops the bar instead.
      gracefulExit: false,
      linewrap: true,
      fps: 10
    })
    const started = Date.now()
    const payload = (bytes: number): Record<string, string> => ({
      label,
      done: formatBytes(bytes),
      size: known ? formatBytes(total) : '?',
      speed: formatRate(bytes, Date.now() - started)
    })
    bar.start(known ? total : 0, 0, payload(0))
    let stopped = false
    return {
      update (bytes) {
        if (!stopped) bar.update(bytes, payload(bytes))
      },
      stop () {
        if (stopped) return
        stopped = true
        bar.stop()
      }
    }
  }
}

/** The bits of a terminal stream cli-progress uses, over our Writable. */
function terminalView (stream: ProgressStream): NodeJS.WritableStream {
  return {
    isTTY: true,
    get columns () { return stream.columns ?? 80 },
    write: (text: string) => { stream.write(text); return true }
  } as unknown as NodeJS.WritableStream
}
