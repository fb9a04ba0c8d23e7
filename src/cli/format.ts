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
