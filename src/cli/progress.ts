// Progress bars for transfers (put, get), drawn with cli-progress on stderr, and only when stderr is a terminal:
// piped or redirected output gets no bar at all. Commands see a `ProgressFactory` in their context (absent
// when nothing is to be drawn) and report bytes; everything about drawing stays in this module.
import { SingleBar } from 'cli-progress'
import type { Params } from 'cli-progress'
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
  /** Bytes done before this transfer (a resumed get): the bar starts there, the speed counts only what follows. */
  start?: number
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

/** The widest bar, in characters (on a wide terminal). */
const BAR_MAX = 24
/** A bar narrower than this says too little: it goes before the label is cut. */
const BAR_MIN = 6

/** cli-progress bars drawn on `stream`, each line fitted to the terminal's width as it is drawn. */
export function barFactory (stream: ProgressStream): ProgressFactory {
  return ({ label, total, start = 0 }) => {
    const known = total != null && total > 0
    const bar = new SingleBar({
      // cli-progress draws only on a stream that says it is a TTY; the decision was made in progressFor.
      stream: terminalView(stream),
      format: (_options: unknown, params: Params, payload: Record<string, string>) => progressLine({
        label: payload.label,
        fraction: known ? params.progress : undefined,
        done: payload.done,
        size: payload.size,
        speed: payload.speed,
        time: formatSeconds(known ? params.eta : elapsedSeconds(params))
      }, params.maxWidth),
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
      speed: formatRate(bytes - start, Date.now() - started)
    })
    bar.start(known ? total : 0, start, payload(start))
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

/** What one progress line shows. */
export interface ProgressFields {
  label: string
  /** Done, from 0 to 1; undefined when the total is unknown: then no bar, no percentage, no ETA. */
  fraction?: number
  done: string
  size?: string
  speed: string
  /** The ETA (total known) or the time so far (total unknown), formatted. */
  time: string
}

/**
 * One progress line that fits in `columns` (one column is left free: a line that fills the last column
 * wraps on some terminals). Speed and time always show: the bar shrinks first, and goes below BAR_MIN; then
 * the label is cut, ending in `…`.
 */
export function progressLine (f: ProgressFields, columns: number): string {
  const room = Math.max(0, columns - 1)
  if (f.fraction === undefined) {
    const tail = ` ${f.done} | ${f.speed} | ${f.time}`
    return fit(f.label, room - tail.length) + tail
  }
  const tail = ` ${Math.floor(f.fraction * 100)}% | ${f.done} / ${f.size ?? '?'} | ${f.speed} | ETA ${f.time}`
  const barRoom = room - length(f.label) - tail.length - ' []'.length
  if (barRoom >= BAR_MIN) return `${f.label} [${drawBar(f.fraction, Math.min(barRoom, BAR_MAX))}]${tail}`
  return fit(f.label, room - tail.length) + tail
}

/** `=` for the part done, `-` for the rest. */
function drawBar (fraction: number, width: number): string {
  const done = Math.min(width, Math.max(0, Math.round(fraction * width)))
  return '='.repeat(done) + '-'.repeat(width - done)
}

/** `text` cut to `room` characters, ending in `…` when cut. */
function fit (text: string, room: number): string {
  const chars = [...text]
  if (chars.length <= room) return text
  return room <= 1 ? '' : chars.slice(0, room - 1).join('') + '…'
}

function length (text: string): number {
  return [...text].length
}

/** `7s`, `4m05s`, `2h10m`; `?` while the ETA is unknown (cli-progress then passes a word, `NULL` or `INF`). */
function formatSeconds (seconds: unknown): string {
  const n = typeof seconds === 'number' ? seconds : Number(seconds)
  if (!Number.isFinite(n) || n < 0) return '?'
  const total = Math.round(n)
  const pad = (v: number): string => String(v).padStart(2, '0')
  if (total < 60) return `${total}s`
  if (total < 3600) return `${Math.floor(total / 60)}m${pad(total % 60)}s`
  return `${Math.floor(total / 3600)}h${pad(Math.floor((total % 3600) / 60))}m`
}

function elapsedSeconds (params: Params): number {
  return Math.round(((params.stopTime ?? Date.now()) - params.startTime) / 1000)
}

/** The bits of a terminal stream cli-progress uses, over our Writable. */
function terminalView (stream: ProgressStream): NodeJS.WritableStream {
  return {
    isTTY: true,
    get columns () { return stream.columns ?? 80 },
    write: (text: string) => { stream.write(text); return true }
  } as unknown as NodeJS.WritableStream
}
