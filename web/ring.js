// The ring view: every member at its id on a circle (clockwise from the top, 0 to 2^256), supernodes and the
// leader marked, this node highlighted, successor links between neighbours, and a lookup's hop path. Drawn on one
// <canvas> in a single pass, with no per-member DOM, and a member under the pointer found by binary search on
// the sorted angles, so a ring of thousands of members redraws in a few milliseconds. `ringModel`, `layout`,
// `drawRing` and `hitTest` are pure (no state, no I/O) and exported for the browser test's timing.
import { h } from 'preact'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import htm from 'htm'
import { explain, get, short } from './api.js'

const html = htm.bind(h)
const TAU = Math.PI * 2

const COLORS = {
  circle: '#d4d8de',
  link: 'rgba(71, 85, 105, 0.45)',
  peer: '#64748b',
  supernode: '#2563eb',
  leader: '#d97706',
  self: '#059669',
  path: '#db2777',
  label: '#334155',
  selected: '#0f172a'
}

/** A 256-bit id (64 hex digits) as a fraction of a turn (its first 52 bits: exact to a pixel on any screen). */
export function turn (hexId) {
  return parseInt(hexId.slice(0, 13), 16) / 2 ** 52
}

/**
 * What the view draws, from `GET /api/ring` (members in successor order), the supernodes and leader of
 * `GET /api/leader`, and this node's id. Nodes are sorted by position; each owns (previous, itself].
 */
export function ringModel ({ members, selfId, supernodes = [], leaderPeerId }) {
  const supers = new Set(supernodes)
  const nodes = members.map(m => ({
    id: m.id,
    peerId: m.peerId,
    addrs: m.addrs ?? [],
    t: turn(m.id),
    supernode: supers.has(m.peerId),
    leader: m.peerId === leaderPeerId,
    self: m.id === selfId
  })).sort((a, b) => a.t - b.t)
  nodes.forEach((node, i) => {
    const prev = nodes[(i - 1 + nodes.length) % nodes.length]
    node.predecessor = prev.id
    // The share of the ring it owns: (previous, itself], the whole ring for a lone node.
    node.share = nodes.length === 1 ? 1 : ((node.t - prev.t) + 1) % 1
  })
  return { nodes, byId: new Map(nodes.map((n, i) => [n.id, i])) }
}

/** Where the circle sits in a canvas of `width` × `height` CSS pixels. */
export function layout (width, height, count) {
  const labels = count <= 24 ? 46 : 16
  const r = Math.max(20, Math.min(width, height) / 2 - labels)
  return { width, height, cx: width / 2, cy: height / 2, r, dot: count <= 50 ? 7 : count <= 300 ? 4 : 2.5 }
}

export function position (geom, t) {
  return { x: geom.cx + geom.r * Math.sin(t * TAU), y: geom.cy - geom.r * Math.cos(t * TAU) }
}

/** The index of the node under (x, y), or -1: the nearest by angle, if the pointer is near enough to its dot. */
export function hitTest (model, geom, x, y) {
  const nodes = model.nodes
  if (nodes.length === 0) return -1
  const dx = x - geom.cx
  const dy = y - geom.cy
  if (Math.abs(Math.hypot(dx, dy) - geom.r) > Math.max(10, geom.dot * 2)) return -1
  const t = ((Math.atan2(dx, -dy) / TAU) + 1) % 1
  let lo = 0
  let hi = nodes.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (nodes[mid].t < t) lo = mid + 1
    else hi = mid
  }
  let best = -1
  let bestDistance = Infinity
  for (const i of [lo - 1, lo, lo + 1, lo - 2].map(j => (j + nodes.length) % nodes.length)) {
    const p = position(geom, nodes[i].t)
    const d = Math.hypot(p.x - x, p.y - y)
    if (d < bestDistance) { best = i; bestDistance = d }
  }
  return bestDistance <= Math.max(10, geom.dot * 2) ? best : -1
}

/**
 * Draw the ring on a 2D context already scaled to CSS pixels. `view`: `hover` and `selected` (indexes),
 * `path` (ids of the nodes a lookup went through, in order) and `key` (the looked-up key's turn).
 */
export function drawRing (ctx, model, geom, view = {}) {
  const { nodes } = model
  ctx.clearRect(0, 0, geom.width, geom.height)
  ctx.lineWidth = 1.5
  ctx.strokeStyle = COLORS.circle
  ctx.beginPath()
  ctx.arc(geom.cx, geom.cy, geom.r, 0, TAU)
  ctx.stroke()

  // Successor links, as chords between neighbours, in one path.
  if (nodes.length > 1) {
    ctx.strokeStyle = COLORS.link
    ctx.lineWidth = nodes.length > 300 ? 0.75 : 1.25
    ctx.beginPath()
    const first = position(geom, nodes[0].t)
    ctx.moveTo(first.x, first.y)
    for (let i = 1; i <= nodes.length; i++) {
      const p = position(geom, nodes[i % nodes.length].t)
      ctx.lineTo(p.x, p.y)
    }
    ctx.stroke()
    if (nodes.length <= 50) for (let i = 0; i < nodes.length; i++) arrowHead(ctx, geom, nodes[i], nodes[(i + 1) % nodes.length])
  }

  // Peers first, then supernodes, the leader and this node on top of them.
  const rank = n => n.self ? 3 : n.leader ? 2 : n.supernode ? 1 : 0
  for (let level = 0; level <= 3; level++) {
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]
      if (rank(n) !== level) continue
      const p = position(geom, n.t)
      const r = geom.dot * (n.supernode || n.self ? 1.25 : 1)
      if (n.self) {
        ctx.fillStyle = 'rgba(5, 150, 105, 0.18)'
        ctx.beginPath()
        ctx.arc(p.x, p.y, r * 2.2, 0, TAU)
        ctx.fill()
      }
      ctx.fillStyle = n.leader ? COLORS.leader : n.supernode ? COLORS.supernode : n.self ? COLORS.self : COLORS.peer
      ctx.beginPath()
      if (n.supernode) diamond(ctx, p, r * 1.25)
      else ctx.arc(p.x, p.y, r, 0, TAU)
      ctx.fill()
      if (n.self) {
        ctx.strokeStyle = COLORS.self
        ctx.lineWidth = 2.5
        ctx.beginPath()
        ctx.arc(p.x, p.y, r * 1.9, 0, TAU)
        ctx.stroke()
      }
    }
  }

  if (view.path !== undefined && view.path.length > 0) drawPath(ctx, model, geom, view)

  for (const [index, color] of [[view.hover, COLORS.label], [view.selected, COLORS.selected]]) {
    if (index === undefined || index < 0 || nodes[index] === undefined) continue
    const p = position(geom, nodes[index].t)
    ctx.strokeStyle = color
    ctx.lineWidth = 2
    ctx.beginPath()
    ctx.arc(p.x, p.y, geom.dot * 2.6, 0, TAU)
    ctx.stroke()
  }

  if (nodes.length <= 24) {
    ctx.fillStyle = COLORS.label
    ctx.font = '12px system-ui, sans-serif'
    for (const n of nodes) {
      const outside = { cx: geom.cx, cy: geom.cy, r: geom.r + geom.dot * 2 + 10 }
      const p = position(outside, n.t)
      ctx.textAlign = Math.abs(p.x - geom.cx) < 8 ? 'center' : p.x > geom.cx ? 'left' : 'right'
      ctx.textBaseline = Math.abs(p.y - geom.cy) < 8 ? 'middle' : p.y > geom.cy ? 'top' : 'bottom'
      ctx.fillText(`${n.peerId.slice(-6)}${n.leader ? ' ★' : ''}`, p.x, p.y)
    }
  }
}

function diamond (ctx, p, r) {
  ctx.moveTo(p.x, p.y - r)
  ctx.lineTo(p.x + r, p.y)
  ctx.lineTo(p.x, p.y + r)
  ctx.lineTo(p.x - r, p.y)
  ctx.closePath()
}

/** A small arrow near the successor's end of the link from `a` to `b`. */
function arrowHead (ctx, geom, a, b) {
  const pa = position(geom, a.t)
  const pb = position(geom, b.t)
  const len = Math.hypot(pb.x - pa.x, pb.y - pa.y)
  if (len < geom.dot * 5) return
  const ux = (pb.x - pa.x) / len
  const uy = (pb.y - pa.y) / len
  const tip = { x: pb.x - ux * geom.dot * 1.8, y: pb.y - uy * geom.dot * 1.8 }
  ctx.fillStyle = COLORS.link
  ctx.beginPath()
  ctx.moveTo(tip.x, tip.y)
  ctx.lineTo(tip.x - ux * 8 - uy * 4, tip.y - uy * 8 + ux * 4)
  ctx.lineTo(tip.x - ux * 8 + uy * 4, tip.y - uy * 8 - ux * 4)
  ctx.closePath()
  ctx.fill()
}

function drawPath (ctx, model, geom, view) {
  const points = view.path.map(id => model.byId.get(id)).filter(i => i !== undefined).map(i => position(geom, model.nodes[i].t))
  ctx.strokeStyle = COLORS.path
  ctx.lineWidth = 2.5
  ctx.setLineDash([7, 5])
  ctx.beginPath()
  points.forEach((p, i) => { if (i === 0) ctx.moveTo(p.x, p.y); else ctx.lineTo(p.x, p.y) })
  ctx.stroke()
  ctx.setLineDash([])
  ctx.font = 'bold 11px system-ui, sans-serif'
  ctx.textAlign = 'center'
  ctx.textBaseline = 'middle'
  points.forEach((p, i) => {
    ctx.fillStyle = COLORS.path
    ctx.beginPath()
    ctx.arc(p.x, p.y, 8, 0, TAU)
    ctx.fill()
    ctx.fillStyle = '#fff'
    ctx.fillText(String(i), p.x, p.y + 0.5)
  })
  if (view.key !== undefined) {
    const inner = position({ cx: geom.cx, cy: geom.cy, r: geom.r - 14 }, view.key)
    const outer = position({ cx: geom.cx, cy: geom.cy, r: geom.r + 14 }, view.key)
    ctx.strokeStyle = COLORS.path
    ctx.lineWidth = 3
    ctx.beginPath()
    ctx.moveTo(inner.x, inner.y)
    ctx.lineTo(outer.x, outer.y)
    ctx.stroke()
  }
}

/** The ring card: the canvas, a tooltip and a details panel, the legend, and the lookup box. */
export function RingView ({ ring, status, leader }) {
  const box = useRef(null)
  const canvas = useRef(null)
  const [width, setWidth] = useState(480)
  const [hover, setHover] = useState(-1)
  const [selected, setSelected] = useState(-1)
  const [lookup, setLookup] = useState(undefined)
  const [pointer, setPointer] = useState({ x: 0, y: 0 })

  const members = ring?.members ?? []
  const selfId = status?.node.id
  const supernodes = (leader?.supernodes ?? []).map(s => s.peerId)
  const leaderPeerId = leader?.leader?.peerId
  const modelKey = `${members.map(m => m.id).join()}|${supernodes.join()}|${leaderPeerId}|${selfId}`
  const model = useMemoKey(() => ringModel({ members, selfId, supernodes, leaderPeerId }), modelKey)
  const height = Math.min(Math.max(width * 0.78, 300), 440)
  const geom = layout(width, height, model.nodes.length)

  useLayoutEffect(() => {
    const el = box.current
    if (el === null) return
    const observer = new ResizeObserver(entries => { setWidth(Math.max(260, Math.floor(entries[0].contentRect.width))) })
    observer.observe(el)
    return () => { observer.disconnect() }
  }, [])

  // Selections are by id: a new ring keeps what is selected selected.
  const selectedId = useRef(undefined)
  useEffect(() => { setSelected(selectedId.current === undefined ? -1 : (model.byId.get(selectedId.current) ?? -1)) }, [model])

  useEffect(() => {
    const c = canvas.current
    if (c === null) return
    const frame = requestAnimationFrame(() => {
      const ratio = window.devicePixelRatio || 1
      c.width = Math.round(width * ratio)
      c.height = Math.round(height * ratio)
      const ctx = c.getContext('2d')
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
      const path = lookup?.result === undefined ? undefined : lookupPath(lookup.result, selfId)
      drawRing(ctx, model, geom, { hover, selected, path, key: lookup?.result === undefined ? undefined : turn(lookup.result.key) })
    })
    return () => { cancelAnimationFrame(frame) }
  }, [model, width, height, hover, selected, lookup])

  const at = event => {
    const rect = canvas.current.getBoundingClientRect()
    return { x: event.clientX - rect.left, y: event.clientY - rect.top }
  }
  const onMove = event => {
    const p = at(event)
    setPointer(p)
    const i = hitTest(model, geom, p.x, p.y)
    if (i !== hover) setHover(i)
  }
  const onClick = event => {
    const p = at(event)
    const i = hitTest(model, geom, p.x, p.y)
    selectedId.current = i < 0 ? undefined : model.nodes[i].id
    setSelected(i)
  }

  const runLookup = async event => {
    event.preventDefault()
    const name = new FormData(event.currentTarget).get('key').trim()
    if (name === '') return
    setLookup({ name, busy: true })
    try {
      setLookup({ name, result: await get(`/api/lookup?key=${encodeURIComponent(name)}`) })
    } catch (err) {
      setLookup({ name, error: explain(err) })
    }
  }

  const hovered = model.nodes[hover]
  const chosen = model.nodes[selected]
  const summary = `${model.nodes.length} member${model.nodes.length === 1 ? '' : 's'}` +
    (leaderPeerId === undefined ? ', no leader' : `, leader ${short(leaderPeerId)}`)
  return html`
    <section class="card ring-card">
      <h2>Ring <span class="muted">${summary}${ring?.closed === false ? ' · walk did not close' : ''}</span></h2>
      <div class="ring-box" ref=${box}>
        <canvas id="ring" ref=${canvas} role="img" aria-label=${`The ring: ${summary}`}
          data-members=${model.nodes.length} data-leader=${leaderPeerId ?? ''}
          data-supernodes=${model.nodes.filter(n => n.supernode).length}
          style=${{ width: `${width}px`, height: `${height}px`, cursor: hover >= 0 ? 'pointer' : 'default' }}
          onMouseMove=${onMove} onMouseLeave=${() => { setHover(-1) }} onClick=${onClick}></canvas>
        ${hovered !== undefined && html`
          <div class="tooltip" style=${{ left: `${Math.min(pointer.x + 14, width - 290)}px`, top: `${pointer.y + 14}px` }}>
            <${MemberFacts} node=${hovered} />
          </div>`}
      </div>
      <div class="legend">
        <span><i class="dot self"></i>this node</span>
        <span><i class="dot peer"></i>peer</span>
        <span><i class="diamond super"></i>supernode</span>
        <span><i class="diamond leader"></i>leader</span>
        <span><i class="line"></i>successor</span>
        <span><i class="line path"></i>lookup hops</span>
      </div>
      ${chosen !== undefined && html`<div class="member-details"><${MemberFacts} node=${chosen} full /></div>`}
      <form class="lookup" onSubmit=${runLookup}>
        <input name="key" placeholder="a file name to look up" aria-label="name to look up" />
        <button type="submit" disabled=${lookup?.busy === true}>Look up</button>
      </form>
      ${lookup?.error !== undefined && html`<p class="error">${lookup.error}</p>`}
      ${lookup?.result !== undefined && html`
        <p class="lookup-result">
          <b>${lookup.name}</b> → owner <code>${short(lookup.result.owner.peerId)}</code>
          ${` after ${lookup.result.hops} hop${lookup.result.hops === 1 ? '' : 's'}, ${lookup.result.ms.toFixed(1)} ms`}
          <span class="muted"> · key ${lookup.result.key.slice(0, 12)}…</span>
        </p>`}
    </section>`
}

/** The lookup drawn from this node through every node it asked to the owner. */
export function lookupPath (result, selfId) {
  const ids = [selfId, ...result.path.map(n => n.id), result.owner.id].filter(id => id !== undefined)
  return ids.filter((id, i) => i === 0 || id !== ids[i - 1])
}

function MemberFacts ({ node, full = false }) {
  const role = node.leader ? 'leader (supernode)' : node.supernode ? 'supernode' : 'peer'
  const share = `${(node.share * 100).toFixed(node.share < 0.01 ? 3 : 1)} % of the ring`
  return html`
    <dl class="facts">
      <dt>PeerId</dt>
      <dd><code>${full ? node.peerId : short(node.peerId)}</code>${node.self && html` <b class="badge self">this node</b>`}</dd>
      <dt>role</dt><dd>${role}</dd>
      <dt>id</dt><dd><code>${node.id.slice(0, full ? 64 : 16)}${full ? '' : '…'}</code></dd>
      <dt>range</dt>
      <dd><code>(${node.predecessor.slice(0, 8)}…, ${node.id.slice(0, 8)}…]</code> ${share}</dd>
      <dt>addresses</dt>
      <dd>${node.addrs.length === 0 ? '–' : node.addrs.slice(0, full ? 8 : 2).map(a => html`<code class="addr">${a}</code>`)}</dd>
    </dl>`
}

/** useMemo keyed by a string, so a ring re-fetched unchanged keeps its model (and its selection). */
function useMemoKey (make, key) {
  const memo = useRef({ key: undefined, value: undefined })
  if (memo.current.key !== key) memo.current = { key, value: make() }
  return memo.current.value
}
