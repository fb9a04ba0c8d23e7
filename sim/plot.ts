// The sweep's figure, written as SVG text (no plotting dependency): mean and p99 lookup hops against N on a log
// axis, with the two path-length formulas the benchmarks compare against, ½·log2 N (Chord SIGCOMM 2001 §6.3)
// and ½·log2 N − ½·log2 r + 1 (the successor list shortens the last hops). Pure: rows in, text out.

/** One measured ring size, as the plot needs it. */
export interface HopsPoint {
  nodes: number
  /** Successor list length the run used (the second formula depends on it). */
  r: number
  mean: number
  p99: number
}

export interface HopsPlotOptions {
  title?: string
  /** r as a function of N for the formula curve between the measured sizes (default: each point's own r). */
  rOf?: (n: number) => number
  width?: number
  height?: number
}

/** ½·log2 N: the mean path length of a Chord lookup with finger tables only (SIGCOMM 2001 §6.3). */
export function halfLog2 (n: number): number {
  return Math.log2(n) / 2
}

/** ½·log2 N − ½·log2 r + 1: the same when the last hops can use an r-entry successor list. */
export function withSuccessorList (n: number, r: number): number {
  return Math.log2(n) / 2 - Math.log2(r) / 2 + 1
}

const COLORS = { mean: '#1f77b4', p99: '#d62728', half: '#555555', list: '#2ca02c' }

/** The SVG document for `points` (at least one, N ≥ 2 each). Each measured point is a circle or square with a `<title>`. */
export function hopsSvg (points: readonly HopsPoint[], options: HopsPlotOptions = {}): string {
  if (points.length === 0) throw new RangeError('a plot needs at least one point')
  for (const p of points) {
    if (!Number.isInteger(p.nodes) || p.nodes < 2) throw new RangeError(`a plotted ring needs N ≥ 2, got ${p.nodes}`)
    if (![p.mean, p.p99].every(Number.isFinite)) throw new RangeError(`no hop figures for N = ${p.nodes}`)
  }
  const sorted = [...points].sort((a, b) => a.nodes - b.nodes)
  const width = options.width ?? 720
  const height = options.height ?? 440
  const margin = { left: 64, right: 24, top: 48, bottom: 56 }
  const plotW = width - margin.left - margin.right
  const plotH = height - margin.top - margin.bottom

  // x: log10 N over whole decades around the data; y: hops from 0 to the next integer above everything drawn.
  const lo = Math.floor(Math.log10(sorted[0].nodes))
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(sorted[sorted.length - 1].nodes)))
  const rAt = (n: number): number => options.rOf?.(n) ?? nearest(sorted, n).r
  const curveNs = range(lo, hi, 48).map(e => 10 ** e).filter(n => n >= 2)
  const yMax = Math.ceil(Math.max(
    ...sorted.map(p => p.p99), ...curveNs.map(halfLog2), ...curveNs.map(n => withSuccessorList(n, rAt(n)))
  ) + 0.5)
  const x = (n: number): number => margin.left + (Math.log10(n) - lo) / (hi - lo) * plotW
  const y = (hops: number): number => margin.top + plotH - hops / yMax * plotH
  const f = (v: number): string => v.toFixed(1)

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      'font-family="sans-serif" font-size="12">',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">` +
      `${escape(options.title ?? 'Chord lookup path length (simulator)')}</text>`
  ]
  // grid and axes
  for (let e = lo; e <= hi; e++) {
    const gx = f(x(10 ** e))
    out.push(`<line x1="${gx}" y1="${margin.top}" x2="${gx}" y2="${margin.top + plotH}" stroke="#dddddd"/>`,
      `<text x="${gx}" y="${margin.top + plotH + 18}" text-anchor="middle">${escape((10 ** e).toLocaleString('en-US'))}</text>`)
    if (e < hi) {
      for (let k = 2; k <= 9; k++) {
        const mx = f(x(k * 10 ** e))
        out.push(`<line x1="${mx}" y1="${margin.top + plotH}" x2="${mx}" y2="${margin.top + plotH - 4}" stroke="#999999"/>`)
      }
    }
  }
  const yStep = yMax > 12 ? 2 : 1
  for (let h = 0; h <= yMax; h += yStep) {
    const gy = f(y(h))
    out.push(`<line x1="${margin.left}" y1="${gy}" x2="${margin.left + plotW}" y2="${gy}" stroke="#dddddd"/>`,
      `<text x="${margin.left - 8}" y="${gy}" text-anchor="end" dominant-baseline="middle">${h}</text>`)
  }
  out.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333333"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 14}" text-anchor="middle">N (nodes, log scale)</text>`,
    `<text transform="translate(18 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">hops per lookup</text>`
  )
  // formula curves, then the measured series on top
  const path = (ns: readonly number[], hops: (n: number) => number): string =>
    ns.map((n, i) => `${i === 0 ? 'M' : 'L'}${f(x(n))},${f(y(hops(n)))}`).join(' ')
  out.push(
    `<path class="formula-half-log2" d="${path(curveNs, halfLog2)}" fill="none" stroke="${COLORS.half}" ` +
      'stroke-width="1.5" stroke-dasharray="6 4"/>',
    `<path class="formula-successor-list" d="${path(curveNs, n => withSuccessorList(n, rAt(n)))}" fill="none" ` +
      `stroke="${COLORS.list}" stroke-width="1.5" stroke-dasharray="2 3"/>`
  )
  const ns = sorted.map(p => p.nodes)
  const byN = new Map(sorted.map(p => [p.nodes, p]))
  for (const [series, color] of [['mean', COLORS.mean], ['p99', COLORS.p99]] as const) {
    out.push(`<path class="${series}" d="${path(ns, n => byN.get(n)?.[series] ?? NaN)}" fill="none" stroke="${color}" stroke-width="2"/>`)
    for (const p of sorted) {
      const label = `N = ${p.nodes.toLocaleString('en-US')}, r = ${p.r}: ${series} ${p[series].toFixed(2)} hops`
      const cx = f(x(p.nodes))
      const cy = f(y(p[series]))
      const attrs = `class="point ${series}" data-nodes="${p.nodes}" data-hops="${p[series]}" fill="${color}"`
      out.push(series === 'mean'
        ? `<circle ${attrs} cx="${cx}" cy="${cy}" r="4"><title>${escape(label)}</title></circle>`
        : `<rect ${attrs} x="${f(x(p.nodes) - 4)}" y="${f(y(p[series]) - 4)}" width="8" height="8"><title>${escape(label)}</title></rect>`)
    }
  }
  // legend, top left (the curves rise to the right)
  const legend: Array<[string, string, string]> = [
    ['mean hops (measured)', COLORS.mean, ''],
    ['p99 hops (measured)', COLORS.p99, ''],
    ['½·log2 N', COLORS.half, '6 4'],
    ['½·log2 N − ½·log2 r + 1', COLORS.list, '2 3']
  ]
  const lx = margin.left + 12
  out.push(`<rect x="${lx - 6}" y="${margin.top + 6}" width="214" height="${legend.length * 18 + 8}" fill="#ffffff" ` +
    'fill-opacity="0.9" stroke="#cccccc"/>')
  legend.forEach(([label, color, dash], i) => {
    const ly = margin.top + 20 + i * 18
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 28}" y2="${ly}" stroke="${color}" stroke-width="2"` +
      `${dash === '' ? '' : ` stroke-dasharray="${dash}"`}/>`,
    `<text x="${lx + 36}" y="${ly}" dominant-baseline="middle">${escape(label)}</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}

/** `steps` points per unit from lo to hi, both included. */
function range (lo: number, hi: number, steps: number): number[] {
  const out: number[] = []
  for (let i = 0; i <= (hi - lo) * steps; i++) out.push(lo + i / steps)
  return out
}

/** The measured point nearest to n on the log axis (its r stands for r between the measured sizes). */
function nearest (points: readonly HopsPoint[], n: number): HopsPoint {
  let best = points[0]
  for (const p of points) if (Math.abs(Math.log(p.nodes / n)) < Math.abs(Math.log(best.nodes / n))) best = p
  return best
}

function escape (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
