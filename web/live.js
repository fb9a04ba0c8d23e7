// Live: one server-sent-events stream (`GET /api/events`, authenticated by the session cookie) feeds the event
// list (joins, leaves, leader changes, repairs, S3 failures, scrubs…) and, through its `traffic` event every
// second (running totals), the charts: bytes in and out per second, lookups per second with their mean latency,
// puts and gets per second. Rates are differences of successive samples over the time between them.
import { h } from 'preact'
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks'
import htm from 'htm'
import uPlot from 'uplot'
import { bytes, clock } from './api.js'

const html = htm.bind(h)

/** The named events of NodeEventJson (src/api/types.ts); an EventSource hears only the names it listens to. */
export const EVENT_TYPES = [
  'member.joined', 'member.left', 'member.refused', 'leader.changed', 'repair.started', 'repair.finished',
  's3.failed', 's3.recovered', 'scrub.finished', 'gc.finished', 'refused'
]

/** Points kept per chart: three minutes of seconds. */
export const CHART_POINTS = 180

/**
 * Open the stream; returns how to close it. `onState`: 'live', 'reconnecting' (the browser tries again by itself)
 * or 'closed' (refused: this opens a new stream after RETRY_MS, until closed).
 */
export function connectEvents ({ onEvent, onTraffic, onState }) {
  let source
  let retry
  const parse = fn => message => {
    let data
    try { data = JSON.parse(message.data) } catch { return }
    fn(data)
  }
  const open = () => {
    source = new EventSource('/api/events')
    for (const type of EVENT_TYPES) source.addEventListener(type, parse(onEvent))
    source.addEventListener('message', parse(onEvent))
    source.addEventListener('traffic', parse(onTraffic))
    source.addEventListener('open', () => { onState('live') })
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.CLOSED) { onState('reconnecting'); return }
      onState('closed')
      retry = setTimeout(open, RETRY_MS)
    })
  }
  open()
  return () => { clearTimeout(retry); source.close() }
}

/** How long to wait before opening a stream the node refused (too many readers, a restart). */
const RETRY_MS = 5_000

/** Per-second rates between two TrafficJson samples (undefined when they are not in order). */
export function rates (prev, cur) {
  const s = (cur.time - prev.time) / 1000
  if (!(s > 0)) return undefined
  const d = key => Math.max(0, cur[key] - prev[key]) / s
  const lookups = cur.lookups - prev.lookups
  return {
    t: cur.time / 1000,
    bytesIn: d('bytesIn'),
    bytesOut: d('bytesOut'),
    lookups: d('lookups'),
    latency: lookups > 0 ? (cur.lookupMs - prev.lookupMs) / lookups : null,
    puts: d('puts'),
    gets: d('gets')
  }
}

/** Columns for uPlot from rate points: [times, ...one array per key]. */
export function columns (points, keys) {
  return [points.map(p => p.t), ...keys.map(k => points.map(p => p[k]))]
}

const rate = unit => (_u, v) => v === null || v === undefined ? '–' : `${v.toFixed(v < 10 ? 1 : 0)} ${unit}`
const byteRate = (_u, v) => v === null || v === undefined ? '–' : `${bytes(v)}/s`

const CHARTS = [
  {
    id: 'chart-bytes',
    title: 'libp2p bytes per second',
    keys: ['bytesIn', 'bytesOut'],
    series: [
      { label: 'in', stroke: '#2563eb', width: 1.5, value: byteRate },
      { label: 'out', stroke: '#db2777', width: 1.5, value: byteRate }
    ],
    axes: [{ values: (_u, vals) => vals.map(v => bytes(v)), size: 70 }]
  },
  {
    id: 'chart-lookups',
    title: 'lookups per second and mean latency',
    keys: ['lookups', 'latency'],
    series: [
      { label: 'lookups', stroke: '#059669', width: 1.5, value: rate('/s') },
      { label: 'latency', stroke: '#d97706', width: 1.5, scale: 'ms', value: rate('ms'), spanGaps: true }
    ],
    axes: [{ size: 50 }, { scale: 'ms', side: 1, size: 50, grid: { show: false }, values: (_u, vals) => vals.map(v => `${v} ms`) }],
    scales: { ms: { range: (_u, _min, max) => [0, Math.max(1, max ?? 1)] } }
  },
  {
    id: 'chart-files',
    title: 'puts and gets per second',
    keys: ['puts', 'gets'],
    series: [
      { label: 'puts', stroke: '#7c3aed', width: 1.5, value: rate('/s') },
      { label: 'gets', stroke: '#0891b2', width: 1.5, value: rate('/s') }
    ],
    axes: [{ size: 50 }]
  }
]

export function Charts ({ points }) {
  return html`
    <div class="charts" data-points=${points.length}>
      ${CHARTS.map(spec => html`<${Chart} key=${spec.id} spec=${spec} points=${points} />`)}
    </div>`
}

function Chart ({ spec, points }) {
  const box = useRef(null)
  const plot = useRef(null)
  useLayoutEffect(() => {
    const el = box.current
    const width = Math.max(200, el.clientWidth)
    plot.current = new uPlot({
      width,
      height: 110,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max ?? 1)] }, ...(spec.scales ?? {}) },
      series: [{ label: 'time', value: (_u, v) => v === null || v === undefined ? '–' : clock(v * 1000) }, ...spec.series],
      axes: [{ size: 28, space: 70, values: (_u, vals) => vals.map(v => clock(v * 1000)) }, ...spec.axes]
    }, columns([], spec.keys), el)
    const observer = new ResizeObserver(() => { plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: 110 }) })
    observer.observe(el)
    return () => { observer.disconnect(); plot.current?.destroy(); plot.current = null }
  }, [])
  useEffect(() => { plot.current?.setData(columns(points, spec.keys)) }, [points])
  return html`<figure class="chart"><figcaption>${spec.title}</figcaption><div id=${spec.id} ref=${box}></div></figure>`
}

export function Feed ({ events, state }) {
  return html`
    <div class="feed-box">
      <div class="feed-head">
        <span>Events</span>
        <span class=${`badge ${state === 'live' ? 'ok' : state === 'closed' ? 'bad' : 'warn'}`} id="stream-state">${state}</span>
      </div>
      <ol class="feed" id="feed">
        ${events.length === 0 && html`<li class="muted">nothing yet: joins, leaves, leader changes, repairs and scrubs appear here</li>`}
        ${events.map(e => html`
          <li key=${e.seq} class=${`level-${e.level}`} data-type=${e.type}>
            <time>${clock(e.time)}</time>
            <span class="type">${e.type}</span>
            <span class="message">${e.message}</span>
          </li>`)}
      </ol>
    </div>`
}
