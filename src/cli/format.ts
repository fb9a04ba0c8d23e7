// Text helpers shared by the human output of the commands: short ids, aligned label/value blocks, durations.
import type { NodeJson } from '../api/types.js'

/** First 8 hex digits of a ring id: enough to tell nodes apart at a glance, like a short git hash. */
export function shortId (id: string, digits = 8): string {
  return id.slice(0, digits)
}

/** `12D3Ko…x8Fq`: the head shows the key type, the tail tells peers apart. */
export function shortPeerId (peerId: string): string {
  return peerId.length <= 16 ? peerId : `${peerId.slice(0, 6)}…${peerId.slice(-6)}`
}

/** `3f2a9c1b  12D3Ko…x8Fq` */
export function formatNode (node: NodeJson): string {
  return `${shortId(node.id)}  ${shortPeerId(node.peerId)}`
}

export type Field = [label: string, value: string | string[]]

/**
 * Labels in a column, values aligned after them; a list value continues on the following lines under its
 * first line, and an empty list prints `-`.
 */
export function fieldBlock (fields: Field[]): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length)) + 2
  const lines: string[] = []
  for (const [label, value] of fields) {
    const values = Array.isArray(value) ? value : [value]
    if (values.length === 0) values.push('-')
    values.forEach((line, i) => {
      lines.push(`${(i === 0 ? label : '').padEnd(width)}${line}`.trimEnd())
    })
  }
  return lines.join('\n')
}

/** Columns padded to the widest cell; the last column is not padded. */
export function table (rows: string[][]): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length) })
  return rows
    .map(row => row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i])).join('  ').trimEnd())
    .join('\n')
}

/** `1h 02m 03s`, `4m 05s`, `12s`, `850 ms` */
export function formatDuration (ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  const total = Math.floor(ms / 1000)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  const pad = (n: number): string => String(n).padStart(2, '0')
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s)}s`
  if (m > 0) return `${m}m ${pad(s)}s`
  return `${s}s`
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/** `512 B`, `1.5 KiB`, `12.3 MiB`, `2.0 GiB` (powers of 1024). */
export function formatBytes (bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.round(bytes)} B`
  let value = bytes
  let unit = -1
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${BYTE_UNITS[unit]}`
}

/** `12.3 MiB/s`; `-` when no time passed. */
export function formatRate (bytes: number, ms: number): string {
  return ms > 0 ? `${formatBytes(bytes / (ms / 1000))}/s` : '-'
}

/** A transfer's wall time: `850 ms`, `1.9 s`, then formatDuration's `4m 05s`. */
export function formatElapsed (ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return formatDuration(ms)
}

/** `2024-05-01 12:34` in local time, like `ls -l`. */
export function formatDate (ms: number): string {
  const d = new Date(ms)
  if (Number.isNaN(d.getTime())) return '-'
  const pad = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/**
 * A file name as one line of terminal text: a name is data and may hold newlines or escape sequences, which
 * must not break a table or drive the terminal. Control characters become `\n`, `\t`, `\x1b`….
 */
export function printable (name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\x00-\x1f\x7f-\x9f]/g, c => {
    if (c === '\n') return '\\n'
    if (c === '\t') return '\\t'
    if (c === '\r') return '\\r'
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`
  })
}
