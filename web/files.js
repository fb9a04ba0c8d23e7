// Files: the ring's files a page at a time, filtered by a name prefix; uploads of one or several files, picked or
// dropped, each streamed from disk by the browser (XMLHttpRequest, for its upload progress) with a progress bar;
// download (a plain link: the node answers with Content-Disposition: attachment); locate (each placement node,
// whether it holds the newest version, copies n of k); delete after a confirmation. Every failure is said with
// the API's own error.
import { h } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import htm from 'htm'
import { ApiError, call, encodeName, explain, get, bytes, short } from './api.js'

const html = htm.bind(h)
const PAGE = 50
/** Uploads sent at once; the others wait their turn. */
const PARALLEL_UPLOADS = 2

/** PUT one File, streamed; resolves with the PutJson, rejects with an ApiError. */
export function upload (file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('PUT', `/api/files/${encodeName(file.name)}`)
    xhr.setRequestHeader('accept', 'application/json')
    xhr.setRequestHeader('content-type', file.type === '' ? 'application/octet-stream' : file.type)
    xhr.upload.addEventListener('progress', e => { onProgress(e.loaded, e.lengthComputable ? e.total : file.size) })
    xhr.addEventListener('load', () => {
      let body
      try { body = JSON.parse(xhr.responseText) } catch { body = undefined }
      if (xhr.status === 201 && body !== undefined) resolve(body)
      else reject(new ApiError(xhr.status, body?.code ?? `HTTP_${xhr.status}`, body?.error ?? `${xhr.status} ${xhr.statusText}`))
    })
    xhr.addEventListener('error', () => {
      reject(new ApiError(0, 'ERR_UNREACHABLE', 'the upload was cut off: is the node still running?'))
    })
    xhr.send(file)
  })
}

export function Files ({ k, onChange }) {
  const [prefix, setPrefix] = useState('')
  const [list, setList] = useState({ files: [], next: undefined, loading: true })
  const [error, setError] = useState(undefined)
  const [uploads, setUploads] = useState([])
  const [located, setLocated] = useState({})
  const [dragging, setDragging] = useState(false)
  const queue = useRef({ waiting: [], running: 0, id: 0 })
  const picker = useRef(null)

  const load = async (after, keep = []) => {
    setList(l => ({ ...l, loading: true }))
    try {
      const query = new URLSearchParams({ limit: String(PAGE) })
      if (prefix !== '') query.set('prefix', prefix)
      if (after !== undefined) query.set('after', after)
      const page = await get(`/api/files?${query}`)
      setList({ files: [...keep, ...page.files], next: page.next, loading: false })
      setError(undefined)
    } catch (err) {
      setList(l => ({ ...l, loading: false }))
      setError(explain(err))
    }
  }

  useEffect(() => {
    const timer = setTimeout(() => { load(undefined) }, 250)
    return () => { clearTimeout(timer) }
  }, [prefix])

  const update = (id, change) => { setUploads(all => all.map(u => u.id === id ? { ...u, ...change } : u)) }

  const pump = () => {
    const q = queue.current
    while (q.running < PARALLEL_UPLOADS && q.waiting.length > 0) {
      const { id, file } = q.waiting.shift()
      q.running++
      update(id, { state: 'uploading' })
      upload(file, loaded => { update(id, { loaded }) })
        .then(put => {
          const message = `stored: ${put.holders.length} of ${put.k} copies in ${Math.round(put.ms)} ms`
          update(id, { state: 'done', loaded: file.size, message })
          load(undefined)
          onChange()
        })
        .catch(err => { update(id, { state: 'failed', message: explain(err) }) })
        .finally(() => { q.running--; pump() })
    }
  }

  const add = fileList => {
    const files = [...fileList]
    if (files.length === 0) return
    const q = queue.current
    const added = files.map(file => ({ id: ++q.id, name: file.name, size: file.size, loaded: 0, state: 'waiting', file }))
    setUploads(all => [...added.map(({ file: _file, ...u }) => u), ...all].slice(0, 50))
    q.waiting.push(...added.map(({ id, file }) => ({ id, file })))
    pump()
  }

  const locate = async name => {
    if (located[name] !== undefined) { setLocated(({ [name]: _gone, ...rest }) => rest); return }
    setLocated(l => ({ ...l, [name]: { busy: true } }))
    try {
      const result = await get(`/api/locate/${encodeName(name)}`)
      setLocated(l => ({ ...l, [name]: { result } }))
    } catch (err) {
      setLocated(l => ({ ...l, [name]: { error: explain(err) } }))
    }
  }

  const remove = async name => {
    if (!confirm(`Delete "${name}" from the ring? Every copy is replaced by a deletion marker.`)) return
    try {
      await call('DELETE', `/api/files/${encodeName(name)}`)
      setLocated(({ [name]: _gone, ...rest }) => rest)
      setList(l => ({ ...l, files: l.files.filter(f => f.name !== name) }))
      setError(undefined)
      onChange()
    } catch (err) {
      setError(`Cannot delete "${name}": ${explain(err)}`)
    }
  }

  const onDrop = event => {
    event.preventDefault()
    setDragging(false)
    add(event.dataTransfer?.files ?? [])
  }
  const onDragOver = event => {
    event.preventDefault()
    if (event.dataTransfer !== null) event.dataTransfer.dropEffect = 'copy'
    if (!dragging) setDragging(true)
  }

  return html`
    <section class=${`card files${dragging ? ' dragging' : ''}`} id="files"
      onDragOver=${onDragOver} onDragLeave=${() => { setDragging(false) }} onDrop=${onDrop}>
      <h2>Files</h2>
      <div class="toolbar">
        <input type="search" placeholder="filter by name prefix, e.g. photos/" aria-label="name prefix" value=${prefix}
          onInput=${e => { setPrefix(e.currentTarget.value) }} />
        <button type="button" onClick=${() => { picker.current.click() }}>Upload files…</button>
        <input type="file" multiple hidden ref=${picker} id="upload-input"
          onChange=${e => { add(e.currentTarget.files); e.currentTarget.value = '' }} />
        <span class="muted">or drop files here</span>
      </div>
      ${uploads.length > 0 && html`
        <ul class="uploads">
          ${uploads.map(u => html`
            <li key=${u.id} class=${`upload ${u.state}`} data-name=${u.name} data-state=${u.state}>
              <span class="name">${u.name}</span>
              <progress max=${Math.max(1, u.size)} value=${u.loaded}></progress>
              <span class="percent">${u.size === 0 ? 100 : Math.floor((u.loaded / u.size) * 100)} %</span>
              <span class=${u.state === 'failed' ? 'error-text' : 'muted'}>${u.message ?? `${bytes(u.loaded)} of ${bytes(u.size)}`}</span>
              ${u.state !== 'waiting' && u.state !== 'uploading' && html`
                <button type="button" class="link" onClick=${() => { setUploads(all => all.filter(x => x.id !== u.id)) }}>dismiss</button>`}
            </li>`)}
        </ul>`}
      ${error !== undefined && html`<p class="error" role="alert">${error}</p>`}
      <table class="file-list">
        <thead><tr><th>name</th><th class="num">size</th><th>modified</th><th>writer</th><th></th></tr></thead>
        <tbody>
          ${list.files.length === 0 && !list.loading && html`
            <tr><td colspan="5" class="muted">
              ${prefix === '' ? 'no files yet: upload some' : `no names start with "${prefix}" on this page`}
            </td></tr>`}
          ${list.files.map(f => html`
            <tr key=${f.key} data-name=${f.name}>
              <td class="name">${f.name}</td>
              <td class="num">${bytes(f.size)}</td>
              <td>${new Date(f.modified).toLocaleString()}</td>
              <td><code>${short(f.version.writer)}</code></td>
              <td class="actions">
                <a href=${`/api/files/${encodeName(f.name)}`} download=${f.name.split('/').pop()} class="button">Download</a>
                <button type="button" onClick=${() => { locate(f.name) }}>Locate</button>
                <button type="button" class="danger" onClick=${() => { remove(f.name) }}>Delete</button>
              </td>
            </tr>
            ${located[f.name] !== undefined && html`
              <tr class="located" key=${`${f.key}-locate`}><td colspan="5"><${Placement} state=${located[f.name]} k=${k} /></td></tr>`}`)}
        </tbody>
      </table>
      <div class="pager">
        ${list.loading && html`<span class="muted">loading…</span>`}
        ${list.next !== undefined && !list.loading && html`
          <button type="button" onClick=${() => { load(list.next, list.files) }}>More</button>`}
      </div>
    </section>`
}

function Placement ({ state, k }) {
  if (state.busy === true) return html`<span class="muted">locating…</span>`
  if (state.error !== undefined) return html`<span class="error-text">${state.error}</span>`
  const r = state.result
  const copies = r.holders.filter(x => x.has).length
  const wanted = Math.min(k ?? r.placement.length, r.placement.length)
  return html`
    <div class="placement" data-copies=${copies}>
      <b class=${copies >= wanted ? 'ok-text' : 'error-text'}>copies ${copies} of ${k ?? r.placement.length}</b>
      <span class="muted"> · ${r.hops} hop${r.hops === 1 ? '' : 's'} · key ${r.key.slice(0, 12)}…</span>
      <ul>
        ${r.holders.map((x, i) => html`
          <li class=${x.has ? 'has' : 'lacks'}>
            <span class=${`badge ${x.has ? 'ok' : 'bad'}`}>${x.has ? 'newest' : x.error !== undefined ? 'unreachable' : 'missing'}</span>
            <code>${short(x.node.peerId)}</code>${i === 0 ? html` <span class="muted">primary</span>` : ''}
            ${x.error !== undefined && html` <span class="muted">${x.error}</span>`}
          </li>`)}
      </ul>
    </div>`
}
