// The overview: this node (PeerId, role, addresses, uptime, version), the ring (members, k, r), the supernodes'
// leader with its epoch and each supernode alive or silent, and what this node stores (files, bytes, disk,
// quota, the S3 queue and its last error, the last scrub and blob sweep).
import { h } from 'preact'
import htm from 'htm'
import { ago, bytes, duration, short } from './api.js'

const html = htm.bind(h)

export function Overview ({ status, leader, ring, storage, since }) {
  if (status === undefined) {
    return html`<div class="overview"><section class="card"><h2>This node</h2><p class="muted">loading…</p></section></div>`
  }
  // Uptime as of the last status, moved on by the page's clock between polls.
  const uptime = status.uptimeMs + (Date.now() - since)
  return html`
    <div class="overview">
      <section class="card">
        <h2>This node</h2>
        <dl class="facts">
          <dt>PeerId</dt><dd><code class="peer-id">${status.node.peerId}</code></dd>
          <dt>role</dt>
          <dd>
            <span class=${`badge ${status.role}`}>${status.role}</span>
            ${!status.joined && html` <span class="badge warn">not joined</span>`}
          </dd>
          <dt>uptime</dt><dd>${duration(uptime)}</dd>
          <dt>version</dt><dd>${status.version ?? '–'}</dd>
          <dt>connections</dt><dd>${status.connections}</dd>
          <dt>addresses</dt><dd>${(status.node.addrs ?? []).map(a => html`<code class="addr">${a}</code>`)}</dd>
        </dl>
      </section>
      <section class="card">
        <h2>Ring</h2>
        <dl class="facts">
          <dt>members</dt><dd id="ring-members">${ring?.members.length ?? '…'}</dd>
          <dt>k · r</dt><dd>${status.settings.k} copies · ${status.settings.r} successors</dd>
          <dt>neighbours</dt>
          <dd>pred <code>${short(status.predecessor?.peerId)}</code> · succ <code>${short(status.successors[0]?.peerId)}</code></dd>
        </dl>
        <h2>Leader</h2>
        ${leader === undefined ? html`<p class="muted">…</p>` : html`<${Leader} leader=${leader} />`}
      </section>
      <section class="card">
        <h2>Storage</h2>
        ${storage === undefined ? html`<p class="muted">…</p>` : html`<${Storage} storage=${storage} />`}
      </section>
    </div>`
}

function Leader ({ leader }) {
  const acting = leader.acting
    ? html`<span class="badge ok">acting</span>`
    : leader.leader !== undefined && html`<span class="badge warn">not acting</span>`
  return html`
    <dl class="facts">
      <dt>leader</dt>
      <dd id="leader">
        ${leader.leader === undefined ? html`<span class="badge warn">none</span>` : html`<code>${short(leader.leader.peerId)}</code>`}
        ${' '}${acting}
      </dd>
      <dt>epoch</dt><dd>${leader.epoch}</dd>
      <dt>view</dt><dd>v${leader.view.version}, ${leader.view.members} members</dd>
    </dl>
    <ul class="supernodes">
      ${leader.supernodes.map(s => html`
        <li>
          <span class=${`badge ${s.alive ? 'ok' : 'bad'}`}>${s.alive ? 'alive' : 'silent'}</span>
          ${' '}<code>${short(s.peerId)}</code>${s.leader ? ' ★' : ''}
          <span class="muted">${s.lastSeenMs === undefined ? '' : ` seen ${duration(s.lastSeenMs)} ago`}</span>
        </li>`)}
    </ul>`
}

function Storage ({ storage }) {
  const { quota, s3, lastScrub, lastGc, disk } = storage
  return html`
    <dl class="facts">
      <dt>files</dt>
      <dd id="storage-files">
        ${storage.files} (${bytes(storage.bytes)})
        ${storage.tombstones > 0 && html`<span class="muted"> · ${storage.tombstones} deleted</span>`}
      </dd>
      <dt>disk</dt><dd>${disk === undefined ? '–' : `${bytes(disk.free)} free of ${bytes(disk.total)}`}</dd>
      <dt>quota</dt>
      <dd>
        ${quota === undefined
          ? 'none (the disk)'
          : html`${bytes(quota.used)} of ${bytes(quota.max)} <progress max=${quota.max} value=${quota.used}></progress>`}
      </dd>
      <dt>S3</dt>
      <dd>
        ${s3 === undefined ? 'not configured' : `${s3.queue} queued · ${s3.uploaded} uploaded`}
        ${s3?.lastError !== undefined && html`<div class="error-text">last error: ${s3.lastError}</div>`}
      </dd>
      <dt>last scrub</dt>
      <dd>
        ${lastScrub === undefined
          ? 'not yet'
          : html`${ago(lastScrub.finished)}: ${lastScrub.blobs} blobs, ${bytes(lastScrub.bytes)},
            <span class=${lastScrub.bad > 0 ? 'error-text' : ''}>${lastScrub.bad} bad</span>`}
      </dd>
      <dt>last gc</dt>
      <dd>${lastGc === undefined ? 'not yet' : `${ago(lastGc.finished)}: ${lastGc.removed} of ${lastGc.blobs} blobs removed`}</dd>
    </dl>`
}
