// The dashboard's HTTP side (issue 12), without a browser: its static files (the allow-list, content types, the
// CSP, gzip, 304s, the page weight), the login (a one-time code for a token holder, traded for an HttpOnly,
// SameSite=Strict cookie that stands in for the token), what the cookie does not open (another site's request,
// a foreign Origin), the bounds on codes and sessions, and `GET /api/storage` and the version of a real node.
// Raw node:http requests, so each test sets exactly the headers it means.
import assert from 'node:assert/strict'
import { readdir, rm, mkdtemp } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { ApiServer, type DaemonApi } from '../../src/api/server.js'
import { DashboardFiles, inlineScriptHashes, PAGE_FILES, VENDOR_FILES } from '../../src/api/dashboard.js'
import { packageInfo } from '../../src/api/package.js'
import { MAX_SESSIONS, Sessions } from '../../src/api/sessions.js'
import { createPeer, type Peer } from '../../src/peer.js'
import type { LoginCodeJson, SessionJson, StatusJson, StorageJson } from '../../src/api/types.js'

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }

/** One request to `base` with exactly `headers` (plus Host unless given). */
async function ask (base: string, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Answer> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers, agent: false }, res => {
      const pieces: Buffer[] = []
      res.on('data', (piece: Buffer) => { pieces.push(piece) })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(pieces) }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

const json = <T>(a: Answer): T => JSON.parse(a.body.toString('utf8')) as T
const STATUS = { node: { id: '00', peerId: 'stub' } } as unknown as StatusJson

describe('api: the dashboard', function () {
  this.timeout(30_000)
  let server: ApiServer
  let base: string
  let bearer: Record<string, string>

  before(async () => {
    const api = { status: () => STATUS } as unknown as DaemonApi
    server = new ApiServer(api, { host: '127.0.0.1', port: 0 })
    await server.start()
    base = server.url
    bearer = { authorization: `Bearer ${server.token}` }
  })
  after(async () => { await server.stop() })

  /** A session cookie (`name=value`), through the login flow. */
  async function login (): Promise<string> {
    const minted = json<LoginCodeJson>(await ask(base, '/api/login-codes', bearer, 'POST'))
    const headers = { 'content-type': 'application/json', origin: base }
    const a = await ask(base, '/api/session', headers, 'POST', JSON.stringify({ code: minted.code }))
    assert.equal(a.status, 200, a.body.toString())
    return String(a.headers['set-cookie']).split(';')[0]
  }

  describe('the page and its files', () => {
    it('/ is the page, open to anyone, with a strict CSP that allows its import map by hash', async () => {
      const a = await ask(base, '/')
      assert.equal(a.status, 200)
      assert.equal(a.headers['content-type'], 'text/html; charset=utf-8')
      const html = a.body.toString('utf8')
      assert.match(html, /<script type="importmap">/)
      const csp = String(a.headers['content-security-policy'])
      const hashes = inlineScriptHashes(html)
      assert.equal(hashes.length, 1, 'one inline script: the import map')
      assert.match(csp, /default-src 'none'/)
      assert.ok(csp.includes(`script-src 'self' 'sha256-${hashes[0]}'`), csp)
      assert.match(csp, /style-src 'self'(;|$)/, 'no inline styles')
      assert.match(csp, /connect-src 'self'/)
      assert.match(csp, /frame-ancestors 'none'/)
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/)
      assert.equal(a.headers['x-content-type-options'], 'nosniff')
      assert.equal(a.headers['x-frame-options'], 'DENY')
      assert.equal(a.headers['cache-control'], 'no-cache')
    })

    it('serves every page file and vendor file with its type; gzip when asked; 304 for a known etag', async () => {
      const types: Record<string, RegExp> = { js: /^text\/javascript/, mjs: /^text\/javascript/, css: /^text\/css/, svg: /^image\/svg\+xml/, html: /^text\/html/ }
      const paths = [...PAGE_FILES.map(f => `/web/${f}`), ...Object.keys(VENDOR_FILES).map(f => `/vendor/${f}`)]
      for (const path of paths) {
        const plain = await ask(base, path)
        assert.equal(plain.status, 200, path)
        assert.match(String(plain.headers['content-type']), types[path.slice(path.lastIndexOf('.') + 1)], path)
        const zipped = await ask(base, path, { 'accept-encoding': 'gzip, deflate, br' })
        assert.equal(zipped.headers['content-encoding'], 'gzip', path)
        assert.equal(zipped.headers.vary, 'accept-encoding')
        assert.deepEqual(gunzipSync(zipped.body), plain.body, path)
        const again = await ask(base, path, { 'if-none-match': String(plain.headers.etag) })
        assert.equal(again.status, 304, path)
        assert.equal(again.body.length, 0)
      }
      const vendor = await ask(base, '/vendor/preact.mjs')
      assert.doesNotMatch(vendor.body.toString(), /sourceMappingURL/, 'no source map is asked for: none is on the list')
    })

    it('nothing off the lists: other names under /web/ and /vendor/, tricks with dots, unknown paths', async () => {
      for (const path of ['/web/nope.js', '/web/', '/vendor/preact.mjs.map', '/web/..%2fpackage.json', '/vendor/..%2F..%2Fpackage.json',
        '/vendor/constructor', '/vendor/__proto__']) {
        const a = await ask(base, path)
        assert.equal(a.status, 404, path)
        assert.equal(json<{ code: string }>(a).code, 'ERR_NOT_FOUND')
      }
      // Paths on no list still need the token, as before; dots are resolved before routing.
      assert.equal((await ask(base, '/vendor/%2e%2e/package.json')).status, 401)
      assert.equal((await ask(base, '/index.html')).status, 401)
      assert.equal((await ask(base, '/package.json')).status, 401)
      assert.equal((await ask(base, '/', {}, 'POST')).status, 405)
    })

    it('PAGE_FILES lists web/ exactly, and the import map names the vendor modules on the list', async () => {
      const onDisk = (await readdir(join(packageInfo().root, 'web'))).sort()
      assert.deepEqual(onDisk, [...PAGE_FILES].sort())
      const html = (await ask(base, '/')).body.toString()
      const map = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1]) as { imports: Record<string, string> }
      for (const url of Object.values(map.imports)) assert.ok(Object.hasOwn(VENDOR_FILES, url.replace(/^\/vendor\//, '')), url)
      for (const [, href] of html.matchAll(/(?:href|src)="([^"]+)"/g)) {
        assert.match(href, /^\/(web|vendor)\//, `${href}: the page loads only its own files`)
        assert.equal((await ask(base, href)).status, 200, href)
      }
    })

    it('the whole page weighs under 150 KB gzipped (every file it can load)', async () => {
      let total = 0
      const sizes: string[] = []
      for (const path of ['/', ...PAGE_FILES.map(f => `/web/${f}`), ...Object.keys(VENDOR_FILES).map(f => `/vendor/${f}`)]) {
        if (path === '/web/index.html') continue // the same bytes as /
        const a = await ask(base, path, { 'accept-encoding': 'gzip' })
        total += a.body.length
        sizes.push(`${path} ${a.body.length}`)
      }
      assert.ok(total < 150 * 1024, `${total} B:\n${sizes.join('\n')}`)
    })

    it('the files are read once, from the package root (dist/ finds web/ the same way)', async () => {
      const files = new DashboardFiles()
      assert.equal(files.webDir, join(packageInfo().root, 'web'))
      assert.equal(await files.get('app.js'), await files.get('app.js'))
    })
  })

  describe('login', () => {
    it('a token holder mints a one-time code and a URL with the code in its fragment, on the Host it asked', async () => {
      const a = await ask(base, '/api/login-codes', { ...bearer, host: `localhost:${new URL(base).port}` }, 'POST')
      assert.equal(a.status, 201)
      const minted = json<LoginCodeJson>(a)
      assert.match(minted.code, /^[A-Za-z0-9_-]{43}$/)
      assert.equal(minted.url, `http://localhost:${new URL(base).port}/#code=${minted.code}`)
      assert.ok(minted.expires > Date.now() && minted.expires <= Date.now() + 61_000)
      assert.equal((await ask(base, '/api/login-codes', {}, 'POST')).status, 401, 'no token, no code')
    })

    it('the page trades the code for an HttpOnly, SameSite=Strict cookie that opens the API; the code works once', async () => {
      const minted = json<LoginCodeJson>(await ask(base, '/api/login-codes', bearer, 'POST'))
      const headers = { 'content-type': 'application/json', origin: base }
      const a = await ask(base, '/api/session', headers, 'POST', JSON.stringify({ code: minted.code }))
      assert.equal(a.status, 200)
      assert.equal(json<SessionJson>(a).session, true)
      const setCookie = String(a.headers['set-cookie'])
      const port = new URL(base).port
      const attributes = 'Max-Age=43200; Path=/; HttpOnly; SameSite=Strict'
      assert.match(setCookie, new RegExp(`^chord-peer-session-${port}=[A-Za-z0-9_-]{43}; ${attributes}$`))
      const cookie = setCookie.split(';')[0]

      const status = await ask(base, '/api/status', { cookie })
      assert.equal(status.status, 200)
      assert.deepEqual(json(status), STATUS)
      assert.equal(json<SessionJson>(await ask(base, '/api/session', { cookie })).session, true)

      const reused = await ask(base, '/api/session', headers, 'POST', JSON.stringify({ code: minted.code }))
      assert.equal(reused.status, 401)
      assert.equal(json<{ code: string }>(reused).code, 'ERR_UNAUTHORIZED')
      assert.equal(reused.headers['set-cookie'], undefined)
    })

    it('without the cookie: 401, and the page learns it has no session from an open route (200)', async () => {
      const a = await ask(base, '/api/status')
      assert.equal(a.status, 401)
      assert.equal(json<{ code: string }>(a).code, 'ERR_UNAUTHORIZED')
      assert.equal((await ask(base, '/api/status', { cookie: `chord-peer-session-${new URL(base).port}=forged` })).status, 401)
      assert.deepEqual(json(await ask(base, '/api/session')), { session: false })
      for (const body of ['{"code":"nope"}', '{}', 'not json', JSON.stringify({ code: 'x'.repeat(2000) })]) {
        const bad = await ask(base, '/api/session', { 'content-type': 'application/json' }, 'POST', body)
        assert.ok(bad.status === 401 || bad.status === 400, `${body}: ${bad.status}`)
      }
    })

    it('logout ends the session and clears the cookie', async () => {
      const cookie = await login()
      const a = await ask(base, '/api/session', { cookie, origin: base }, 'DELETE')
      assert.equal(a.status, 200)
      assert.match(String(a.headers['set-cookie']), /=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict$/)
      assert.equal((await ask(base, '/api/status', { cookie })).status, 401)
    })

    it('the cookie opens nothing for another site: foreign Origin 403, Sec-Fetch-Site cross-site or same-site 401', async () => {
      const cookie = await login()
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const a = await ask(base, '/api/files/x', { cookie, origin: 'http://127.0.0.1:1' }, method)
        assert.equal(a.status, 403, method)
        assert.equal(json<{ code: string }>(a).code, 'ERR_FORBIDDEN_ORIGIN')
      }
      assert.equal((await ask(base, '/api/login-codes', { cookie, origin: 'http://evil.example' }, 'POST')).status, 403)
      // Another port of the same host is the same site: its page's requests carry the cookie.
      for (const site of ['cross-site', 'same-site']) {
        assert.equal((await ask(base, '/api/status', { cookie, 'sec-fetch-site': site })).status, 401, site)
      }
      assert.equal((await ask(base, '/api/status', { cookie, 'sec-fetch-site': 'same-origin' })).status, 200)
      assert.equal((await ask(base, '/api/status', { cookie, 'sec-fetch-site': 'none' })).status, 200, 'a typed URL')
      // A wrong token is wrong, whatever the cookie.
      assert.equal((await ask(base, '/api/status', { cookie, authorization: 'Bearer wrong' })).status, 401)
    })

    it('a session does not outlive the server: a restart ends every session', async () => {
      const api = { status: () => STATUS } as unknown as DaemonApi
      const other = new ApiServer(api, { host: '127.0.0.1', port: 0 })
      await other.start()
      try {
        const minted = json<LoginCodeJson>(await ask(other.url, '/api/login-codes', { authorization: `Bearer ${other.token}` }, 'POST'))
        const a = await ask(other.url, '/api/session', {}, 'POST', JSON.stringify({ code: minted.code }))
        const cookie = String(a.headers['set-cookie']).split(';')[0]
        assert.equal((await ask(other.url, '/api/status', { cookie })).status, 200)
        const port = new URL(other.url).port
        await other.stop()
        const again = new ApiServer(api, { host: '127.0.0.1', port: Number(port) })
        await again.start()
        try {
          assert.equal((await ask(again.url, '/api/status', { cookie })).status, 401)
        } finally {
          await again.stop()
        }
      } finally {
        await other.stop()
      }
    })
  })

  describe('the page\'s words for API errors (web/api.js)', () => {
    it('not the owner, no space, a quota, fewer copies than asked, busy: each said plainly, with the daemon\'s message', async () => {
      // Plain browser JS with no types: loaded by URL.
      const page = await import(new URL('../../web/api.js', import.meta.url).href) as {
        ApiError: new (status: number, code: string, message: string) => Error
        explain: (err: unknown) => string
      }
      const say = (status: number, code: string, message: string): string => page.explain(new page.ApiError(status, code, message))
      assert.match(say(403, 'ERR_NOT_OWNER', '"a" belongs to 12D3KooWx: only its owner may overwrite it'), /^Not yours: "a" belongs to 12D3KooWx/)
      assert.match(say(507, 'ERR_NO_SPACE', 'this node is out of disk space'), /^No space: /)
      assert.match(say(507, 'ERR_QUOTA', 'quota full'), /^No space: this node's storage quota is full/)
      assert.match(say(503, 'ERR_QUORUM', '1 of 2 copies stored'), /^Fewer copies than asked: 1 of 2 copies stored/)
      assert.match(say(503, 'ERR_BUSY', 'busy'), /try again in a few seconds/)
      assert.match(say(401, 'ERR_UNAUTHORIZED', 'x'), /chord-peer dashboard/)
      assert.equal(say(400, 'ERR_SOMETHING_NEW', 'the daemon says why'), 'the daemon says why')
    })
  })

  describe('Sessions', () => {
    it('a code expires after its minute; a session after its lifetime', () => {
      let now = 1_000_000
      const sessions = new Sessions({ cookieName: 's', now: () => now, codeTtlMs: 60_000, sessionTtlMs: 3_600_000 })
      const late = sessions.mintCode()
      now += 60_000
      assert.equal(sessions.redeem(late.code), undefined)
      const session = sessions.redeem(sessions.mintCode().code)!
      assert.ok(sessions.valid(`s=${session.id}`))
      assert.ok(sessions.valid(`other=1; s=${session.id}; more=2`))
      now += 3_599_999
      assert.ok(sessions.valid(`s=${session.id}`))
      now += 1
      assert.ok(!sessions.valid(`s=${session.id}`))
    })

    it('at most 64 codes and 64 sessions: the oldest go first', () => {
      const sessions = new Sessions({ cookieName: 's' })
      const codes = Array.from({ length: 100 }, () => sessions.mintCode().code)
      assert.equal(sessions.counts().codes, 64)
      assert.equal(sessions.redeem(codes[0]), undefined, 'evicted')
      const ids = codes.slice(-MAX_SESSIONS).map(code => sessions.redeem(code)!.id)
      assert.equal(sessions.counts().sessions, MAX_SESSIONS)
      assert.ok(sessions.valid(`s=${ids[0]}`))
      sessions.redeem(sessions.mintCode().code)
      assert.equal(sessions.counts().sessions, MAX_SESSIONS)
      assert.ok(!sessions.valid(`s=${ids[0]}`), 'the oldest session went')
      assert.ok(sessions.valid(`s=${ids[1]}`))
    })
  })
})

describe('api: storage and version of a node', function () {
  this.timeout(60_000)
  let dir: string
  let peer: Peer

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-dash-'))
    peer = await createPeer({
      bootstrap: true, k: 1, listen: ['/ip4/127.0.0.1/tcp/0'], api: '127.0.0.1:0', dataDir: dir, maxStorage: 10 * 1024 * 1024
    })
  })
  after(async () => {
    await peer?.stop({ leave: false })
    await rm(dir, { recursive: true, force: true })
  })

  it('GET /api/storage counts files, bytes and deletions, and says the disk and the quota; status has the version', async () => {
    await peer.put('a.txt', 'hello')
    await peer.put('b.txt', 'world!')
    await peer.rm('b.txt')
    const auth = { authorization: `Bearer ${peer.apiToken!}` }
    // Counts are cached for a few seconds: ask once, after the writes.
    const storage = json<StorageJson>(await ask(peer.apiUrl!, '/api/storage', auth))
    assert.equal(storage.files, 1)
    assert.equal(storage.bytes, 5)
    assert.equal(storage.tombstones, 1)
    assert.ok(storage.disk !== undefined && storage.disk.free > 0 && storage.disk.total >= storage.disk.free)
    assert.deepEqual(storage.quota, { max: 10 * 1024 * 1024, used: 5 })
    assert.equal(storage.s3, undefined)
    const status = json<StatusJson>(await ask(peer.apiUrl!, '/api/status', auth))
    assert.equal(status.version, packageInfo().version)
    assert.equal((await ask(peer.apiUrl!, '/api/storage')).status, 401)
  })
})
