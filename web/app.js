// The dashboard page: logs in with the one-time code of its URL's fragment (or finds its session), then shows the
// overview, the ring, the live feed and charts, and the files. What it shows comes from the node's HTTP API on
// this origin; the event stream says when to fetch again, so members come and go without a reload. No build
// step: plain ES modules, with Preact, htm and uPlot served by the node from its own copies (see index.html).
import { h, render } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import htm from 'htm'
import { call, explain, get, short, whenUnauthorized } from './api.js'
import { Overview } from './overview.js'
import { RingView } from './ring.js'
import { Files } from './files.js'
import { CHART_POINTS, Charts, Feed, connectEvents, rates } from './live.js'

const html = htm.bind(h)
/** Events kept in the feed. */
const FEED_SIZE = 200
/** Events after which this node's storage is fetched again. */
const STORAGE_EVENTS = new Set(['repair.finished', 'scrub.finished', 'gc.finished'])

/** Trade the URL's one-time code for a session, or ask whether this browser has one. */
async function findSession () {
  const code = /(?:^#|&)code=([A-Za-z0-9_-]+)/.exec(location.hash)?.[1]
  if (code !== undefined) {
    // Out of the address bar and the history at once: the code is spent either way.
    history.replaceState(null, '', location.pathname + location.search)
    try {
      const s = await call('POST', '/api/session', { body: { code } })
      return { state: 'ok', expires: s.expires }
    } catch (err) {
      if (err.status !== 401) return { state: 'none', message: explain(err) }
      // Spent already (a reload, a second tab): a session this browser holds still counts.
      const s = await get('/api/session').catch(() => ({ session: false }))
      if (s.session) return { state: 'ok', expires: s.expires }
      return { state: 'none', message: 'This login link was used already, or it expired: a link works once, within a minute.' }
    }
  }
  const s = await get('/api/session')
  return s.session ? { state: 'ok', expires: s.expires } : { state: 'none' }
}

function App () {
  const [session, setSession] = useState({ state: 'checking' })
  useEffect(() => {
    whenUnauthorized(() => {
      setSession({ state: 'none', message: 'The session has ended (the daemon restarted, or it expired).' })
    })
    findSession().then(setSession, err => { setSession({ state: 'none', message: explain(err) }) })
  }, [])
  const logout = async () => {
    await call('DELETE', '/api/session').catch(() => {})
    setSession({ state: 'none', message: 'Logged out.' })
  }
  if (session.state === 'checking') return html`<main class="login"><p class="muted">checking the session…</p></main>`
  if (session.state === 'none') return html`<${Login} message=${session.message} />`
  return html`<${Dashboard} onLogout=${logout} />`
}

function Login ({ message }) {
  return html`
    <main class="login" id="login">
      <section class="card">
        <h1>chord-peer</h1>
        ${message !== undefined && html`<p class="error">${message}</p>`}
        <p>This node's dashboard needs a session. On the machine that runs the node, run:</p>
        <pre><code>chord-peer dashboard</code></pre>
        <p>(with <code>${'--data-dir <dir>'}</code> when the daemon has another data dir). It prints a one-time link,
          and opens it in your browser on a desktop. The link logs this browser in for 12 hours; it works once,
          within a minute, and the session ends when the daemon restarts.</p>
      </section>
    </main>`
}

/** Run `fn` now and then every `ms` (or every `ms()`), never two at once; stops on unmount. */
function usePoll (fn, ms, deps = []) {
  useEffect(() => {
    let timer
    let stopped = false
    const run = async () => {
      try { await fn() } catch { /* said by fn's own handler */ }
      if (!stopped) timer = setTimeout(run, typeof ms === 'function' ? ms() : ms)
    }
    run()
    return () => { stopped = true; clearTimeout(timer) }
  }, deps)
}

function Dashboard ({ onLogout }) {
  const [status, setStatus] = useState(undefined)
  const [statusAt, setStatusAt] = useState(Date.now())
  const [leader, setLeader] = useState(undefined)
  const [ring, setRing] = useState(undefined)
  const [storage, setStorage] = useState(undefined)
  const [events, setEvents] = useState([])
  const [points, setPoints] = useState([])
  const [stream, setStream] = useState('connecting')
  const [problem, setProblem] = useState(undefined)
  const [, setTick] = useState(0)
  const lastTraffic = useRef(undefined)
  const ringSize = useRef(0)
  const busy = useRef({})

  /** Fetch `path` into `set`, one request per path at a time; a failure is shown, not thrown. */
  const fetcher = (path, set) => async () => {
    if (busy.current[path] === true) return
    busy.current[path] = true
    try {
      set(await get(path))
      setProblem(p => p?.path === path ? undefined : p)
    } catch (err) {
      if (err.status !== 401) setProblem({ path, text: `${path}: ${explain(err)}` })
    } finally {
      busy.current[path] = false
    }
  }
  const refresh = {
    status: fetcher('/api/status', s => { setStatus(s); setStatusAt(Date.now()) }),
    leader: fetcher('/api/leader', setLeader),
    ring: fetcher('/api/ring', r => { ringSize.current = r.members.length; setRing(r) }),
    storage: fetcher('/api/storage', setStorage)
  }

  usePoll(refresh.status, 5_000)
  usePoll(refresh.leader, 5_000)
  usePoll(refresh.storage, 10_000)
  // A ring walk costs one request per member: walk a large ring less often (events start one at once anyway).
  usePoll(refresh.ring, () => Math.max(5_000, ringSize.current * 25))
  useEffect(() => {
    const timer = setInterval(() => { setTick(t => t + 1) }, 1_000)
    return () => { clearInterval(timer) }
  }, [])

  // The ring is walked again after a member event, and a little later too: a failed node leaves the
  // successor pointers only once its neighbours' failure detection and stabilization ran.
  const soon = useRef([])
  const ringChanged = () => {
    for (const t of soon.current) clearTimeout(t)
    soon.current = [300, 1_500, 4_000].map(ms => setTimeout(() => { refresh.ring(); refresh.leader(); refresh.status() }, ms))
  }

  useEffect(() => connectEvents({
    onState: setStream,
    onEvent: e => {
      setEvents(all => all.some(x => x.seq === e.seq) ? all : [e, ...all].slice(0, FEED_SIZE))
      if (e.type === 'member.joined' || e.type === 'member.left') ringChanged()
      if (e.type === 'leader.changed') { refresh.leader(); refresh.status() }
      if (STORAGE_EVENTS.has(e.type) || e.type.startsWith('s3.')) refresh.storage()
    },
    onTraffic: sample => {
      const prev = lastTraffic.current
      lastTraffic.current = sample
      const point = prev === undefined ? undefined : rates(prev, sample)
      if (point !== undefined) setPoints(all => [...all, point].slice(-CHART_POINTS))
    }
  }), [])
  useEffect(() => () => { for (const t of soon.current) clearTimeout(t) }, [])
  // After an upload or a delete: now, and once more after the node's short cache of its counts.
  const storageChanged = () => {
    refresh.storage()
    setTimeout(() => { refresh.storage() }, 2_500)
  }

  return html`
    <header class="top">
      <span class="brand">chord-peer</span>
      ${status !== undefined && html`
        <span><code title=${status.node.peerId}>${short(status.node.peerId)}</code></span>
        <span class=${`badge ${status.role}`}>${status.role}</span>
        <span class="muted">v${status.version ?? '?'}</span>`}
      <span class="spacer"></span>
      ${problem !== undefined && html`<span class="error-text" role="status">${problem.text}</span>`}
      <button type="button" onClick=${onLogout}>Log out</button>
    </header>
    <main class="grid">
      <${Overview} status=${status} leader=${leader} ring=${ring} storage=${storage} since=${statusAt} />
      <${RingView} ring=${ring} status=${status} leader=${leader} />
      <section class="card live">
        <h2>Live</h2>
        <${Charts} points=${points} />
        <${Feed} events=${events} state=${stream} />
      </section>
      <${Files} k=${status?.settings.k} onChange=${storageChanged} />
    </main>`
}

render(html`<${App} />`, document.getElementById('app'))
