// The HTTP API is private (issue 11): a bearer token on every request, Host and Origin checks against DNS
// rebinding and cross-site requests, safe headers on served files, conditional GETs, 0600 files, and the CLI
// finding the token. Raw node:http requests, so each test sets exactly the headers it means.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPeer, type Peer } from '../../src/peer.js'
import { planDaemon } from '../../src/cli/daemon-options.js'
import { runCli } from '../utils/cli.js'

const LISTEN = ['/ip4/127.0.0.1/tcp/0']

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, body: string }

/** One request to `peer`'s API with exactly `headers` (plus Host, unless given). */
async function ask (
  peer: Peer, path: string, headers: Record<string, string> = {}, method = 'GET'
): Promise<Answer> {
  const url = new URL(peer.apiUrl!)
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers, agent: false }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (piece: string) => { body += piece })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

const codeOf = (a: Answer): string => (JSON.parse(a.body) as { code: string }).code

describe('api: private by default', function () {
  this.timeout(60_000)
  let dir: string
  let peer: Peer
  let good: Record<string, string>

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-api-'))
    peer = await createPeer({
      bootstrap: true, k: 1, listen: LISTEN, api: '127.0.0.1:0', dataDir: dir, apiHosts: ['chord.example']
    })
    good = { authorization: `Bearer ${peer.apiToken!}` }
    await peer.files.put('a b/ü.html', (async function * () { yield Buffer.from('<script>alert(1)</script>') })())
  })

  after(async () => {
    await peer?.stop({ leave: false })
    await rm(dir, { recursive: true, force: true })
  })

  describe('the token', () => {
    it('a request without it gets 401 ERR_UNAUTHORIZED, on every route', async () => {
      for (const path of ['/api/status', '/api/files', '/api/files/x', '/api/nope']) {
        const a = await ask(peer, path)
        assert.equal(a.status, 401, path)
        assert.equal(codeOf(a), 'ERR_UNAUTHORIZED')
        assert.match(String(a.headers['www-authenticate']), /^Bearer/)
      }
    })

    it('a wrong token, or another scheme, gets 401', async () => {
      const wrong = peer.apiToken!.slice(0, -1) + (peer.apiToken!.endsWith('A') ? 'B' : 'A')
      assert.equal((await ask(peer, '/api/status', { authorization: `Bearer ${wrong}` })).status, 401)
      assert.equal((await ask(peer, '/api/status', { authorization: `Basic ${peer.apiToken!}` })).status, 401)
      assert.equal((await ask(peer, '/api/status', { authorization: `Bearer ${peer.apiToken!}x` })).status, 401)
    })

    it('the right token gets 200', async () => {
      const a = await ask(peer, '/api/status', good)
      assert.equal(a.status, 200, a.body)
      assert.equal((JSON.parse(a.body) as { node: { peerId: string } }).node.peerId, peer.peerId)
    })

    it('is 32 random bytes in base64url, new at each start, and only in memory without a data dir', async () => {
      assert.match(peer.apiToken!, /^[A-Za-z0-9_-]{43}$/)
      const bare = await createPeer({ bootstrap: true, listen: LISTEN, api: '127.0.0.1:0' })
      try {
        assert.match(bare.apiToken!, /^[A-Za-z0-9_-]{43}$/)
        assert.notEqual(bare.apiToken, peer.apiToken)
        assert.equal((await ask(bare, '/api/status', { authorization: `Bearer ${bare.apiToken!}` })).status, 200)
        assert.equal((await ask(bare, '/api/status', good)).status, 401, 'another node\'s token')
      } finally {
        await bare.stop({ leave: false })
      }
    })
  })

  describe('Host and Origin', () => {
    it('a foreign Host gets 403 ERR_FORBIDDEN_HOST, even with the token, and before the token is checked', async () => {
      const port = new URL(peer.apiUrl!).port
      for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`, '10.0.0.1']) {
        const a = await ask(peer, '/api/status', { ...good, host })
        assert.equal(a.status, 403, host)
        assert.equal(codeOf(a), 'ERR_FORBIDDEN_HOST')
      }
      const untokened = await ask(peer, '/api/status', { host: 'evil.example' })
      assert.equal(untokened.status, 403)
    })

    it('loopback names and the --api-host names are allowed', async () => {
      const port = new URL(peer.apiUrl!).port
      const hosts = [
        `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `127.1.2.3:${port}`, `chord.example:${port}`, 'CHORD.example'
      ]
      for (const host of hosts) {
        assert.equal((await ask(peer, '/api/status', { ...good, host })).status, 200, host)
      }
    })

    it('a foreign Origin gets 403 ERR_FORBIDDEN_ORIGIN; the API\'s own origin is fine', async () => {
      for (const origin of ['http://evil.example', 'null', `http://localhost:${new URL(peer.apiUrl!).port}`]) {
        const a = await ask(peer, '/api/status', { ...good, origin })
        assert.equal(a.status, 403, origin)
        assert.equal(codeOf(a), 'ERR_FORBIDDEN_ORIGIN')
      }
      assert.equal((await ask(peer, '/api/status', { origin: 'http://evil.example' })).status, 403, 'before the token')
      assert.equal((await ask(peer, '/api/status', { ...good, origin: peer.apiUrl! })).status, 200)
    })
  })

  describe('files', () => {
    const path = `/api/files/${encodeURIComponent('a b/ü.html')}`

    it('are served as attachments, unsniffed, sandboxed', async () => {
      for (const method of ['GET', 'HEAD']) {
        const a = await ask(peer, path, good, method)
        assert.equal(a.status, 200, a.body)
        assert.equal(a.headers['x-content-type-options'], 'nosniff')
        assert.equal(a.headers['content-security-policy'], 'sandbox')
        assert.equal(a.headers['content-disposition'], 'attachment; filename*=UTF-8\'\'a%20b%2F%C3%BC.html')
      }
    })

    it('If-None-Match with the etag answers 304 without a body, for GET and HEAD', async () => {
      const { headers } = await ask(peer, path, good, 'HEAD')
      const etag = String(headers.etag)
      for (const tag of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        for (const method of ['GET', 'HEAD']) {
          const a = await ask(peer, path, { ...good, 'if-none-match': tag }, method)
          assert.equal(a.status, 304, `${method} ${tag}`)
          assert.equal(a.body, '')
          assert.equal(a.headers.etag, etag)
        }
      }
      const ranged = await ask(peer, path, { ...good, 'if-none-match': etag, range: 'bytes=0-3' })
      assert.equal(ranged.status, 304)
      const other = await ask(peer, path, { ...good, 'if-none-match': '"0000"' })
      assert.equal(other.status, 200)
      assert.equal(other.body, '<script>alert(1)</script>')
    })
  })

  describe('the api and api-token files', () => {
    it('hold the URL and the token, mode 0600 even under umask 0 and over an old looser file', async () => {
      const own = await mkdtemp(join(tmpdir(), 'chord-peer-api-'))
      const old = process.umask(0)
      let node: Peer | undefined
      try {
        await writeFile(join(own, 'api-token'), 'stale\n', { mode: 0o644 })
        node = await createPeer({ bootstrap: true, listen: LISTEN, api: '127.0.0.1:0', dataDir: own })
        for (const file of ['api', 'api-token']) {
          assert.equal((await stat(join(own, file))).mode & 0o777, 0o600, file)
        }
        assert.equal((await readFile(join(own, 'api'), 'utf8')).trim(), node.apiUrl)
        assert.equal((await readFile(join(own, 'api-token'), 'utf8')).trim(), node.apiToken)
        await node.stop({ leave: false })
        node = undefined
        await assert.rejects(stat(join(own, 'api-token')), { code: 'ENOENT' }, 'a stopped daemon removes its token')
        await assert.rejects(stat(join(own, 'api')), { code: 'ENOENT' })
      } finally {
        process.umask(old)
        await node?.stop({ leave: false })
        await rm(own, { recursive: true, force: true })
      }
    })
  })

  describe('the CLI', () => {
    const status = async (argv: string[], vars: NodeJS.ProcessEnv = {}): ReturnType<typeof runCli> =>
      runCli(['status', '--json', ...argv], { env: vars })

    it('reads the token beside the api file of --data-dir', async () => {
      const r = await status(['--data-dir', dir])
      assert.equal(r.code, 0, r.stderr)
      assert.equal((JSON.parse(r.stdout) as { node: { peerId: string } }).node.peerId, peer.peerId)
    })

    it('takes CHORD_PEER_API_TOKEN, and --api-token over it', async () => {
      const env = await status(['--api', peer.apiUrl!], { CHORD_PEER_API_TOKEN: peer.apiToken })
      assert.equal(env.code, 0, env.stderr)
      const flag = await status(['--api', peer.apiUrl!, '--api-token', peer.apiToken!], { CHORD_PEER_API_TOKEN: 'wrong' })
      assert.equal(flag.code, 0, flag.stderr)
      const before = await runCli(['--api-token', peer.apiToken!, 'status', '--api', peer.apiUrl!], { env: {} })
      assert.equal(before.code, 0, before.stderr)
    })

    it('the environment wins over the data dir\'s file, and a refused token says where it came from', async () => {
      const r = await status(['--data-dir', dir], { CHORD_PEER_API_TOKEN: 'wrong' })
      assert.equal(r.code, 1)
      assert.match(r.stderr, /refused the API token from CHORD_PEER_API_TOKEN/)
      assert.match(r.stderr, /api-token file of its data dir/)
      const flag = await status(['--api', peer.apiUrl!, '--api-token', 'wrong'])
      assert.equal(flag.code, 1)
      assert.match(flag.stderr, /refused the API token from the --api-token flag/)
    })

    it('with --api and no token, it says that the token is missing and where to find it', async () => {
      const r = await status(['--api', peer.apiUrl!])
      assert.equal(r.code, 1)
      assert.match(r.stderr, new RegExp(`^error: the daemon at ${peer.apiUrl!} needs its API token, and none was found`, 'm'))
      assert.match(r.stderr, /--api-token <token> or CHORD_PEER_API_TOKEN/)
    })

    it('with --api and --data-dir, it reads the token file of that data dir', async () => {
      const r = await status(['--api', peer.apiUrl!, '--data-dir', dir])
      assert.equal(r.code, 0, r.stderr)
    })
  })

  describe('daemon flags', () => {
    it('--api-host takes repeated names and comma lists, lowercased', () => {
      const plan = planDaemon({ bootstrap: true, apiHost: ['Box.example,10.0.0.5', '[fd00::1]'] }, { vars: {} })
      assert.deepEqual(plan.options.apiHosts, ['box.example', '10.0.0.5', 'fd00::1'])
    })

    it('a bad --api-host, or --api-token given to the daemon, exits 2', async () => {
      for (const [argv, pattern] of [
        [['--api-host', 'box.example:8080'], /--api-host "box\.example:8080" is not a host name/],
        [['--api-host', 'http://box.example'], /--api-host .* is not a host name/],
        [['--api-host', 'a,,b'], /--api-host "" is not a host name/],
        [['--api-token', 'x'], /--api-token is for client commands/]
      ] as Array<[string[], RegExp]>) {
        const r = await runCli(['--bootstrap', ...argv], { env: {} })
        assert.equal(r.code, 2, argv.join(' '))
        assert.match(r.stderr, pattern)
      }
    })

    it('the warning for an API beyond loopback says the token is still required', () => {
      const plan = planDaemon({ bootstrap: true, api: '0.0.0.0:4101' }, { vars: {} })
      assert.match(plan.warnings.join('\n'), /has its token/)
    })
  })
})
