// Resumable `chord-peer get`: an interrupted get keeps `<out>.part` and `<out>.part.json`, the next continues
// with `Range: bytes=<have>-` and verifies the whole file (old bytes and new) against the etag; a changed file,
// a damaged .part, a foreign .part or --no-resume start over. Against a small daemon stand-in on 127.0.0.1 that
// answers Range the way src/api/server.ts does and can cut a body off after N bytes, and at the end against a
// real daemon.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { createServer } from 'node:http'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { main } from '../../src/cli/index.js'
import { ApiClient, readApiTokenFile, readApiUrlFile } from '../../src/client/index.js'
import { partPaths, PART_FORMAT } from '../../src/cli/get.js'
import { Capture, closedPort, runCli } from '../utils/cli.js'
import { waitFor } from '../utils/wait.js'
import type { AddressInfo } from 'node:net'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { ExtraIo } from '../utils/cli.js'
import type { GetResultJson, PartRecord } from '../../src/cli/get.js'
import type { ProgressFactory } from '../../src/cli/progress.js'

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** Effects of an in-process command show within milliseconds. */
const POLL = { timeoutMs: 5_000, intervalMs: 5 }

interface Seen {
  method: string
  range?: string
}

/**
 * `/api/files/<name>` as the daemon serves it: etag = SHA-256, `x-chord-peer-version`, a Range `bytes=a-` gives
 * 206 with content-range, or 416 `bytes *\/size` when it starts at or past the end; 404 ERR_NOT_FOUND for a
 * missing name.
 */
class RangeDaemon {
  readonly files = new Map<string, Buffer>()
  readonly seen: Seen[] = []
  /** Answer a Range with the whole file (200), like a server without range support. */
  ignoreRange = false
  /** The etag to announce instead of the content's SHA-256 (a daemon that lies). */
  etag?: string
  private cutAt?: number
  private cutNow?: () => void
  private server?: Server
  url = ''

  async start (): Promise<void> {
    this.server = createServer((req, res) => { this.handle(req, res).catch(err => { res.destroy(err as Error) }) })
    await new Promise<void>(resolve => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  async close (): Promise<void> {
    this.cutNow?.()
    this.server?.closeAllConnections()
    await new Promise<void>(resolve => this.server?.close(() => { resolve() }) ?? resolve())
  }

  /** The next GET body stops after `bytes` and hangs until cut() ends the connection. */
  stopAfter (bytes: number): void {
    this.cutAt = bytes
  }

  /** End the held connection without the rest of the body: a dropped connection, for the client. */
  cut (): void {
    this.cutNow?.()
  }

  /** The Range headers of the GETs, in order (`-` for none). */
  get ranges (): string[] {
    return this.seen.filter(s => s.method === 'GET').map(s => s.range ?? '-')
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET'
    this.seen.push({ method, range: req.headers.range })
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/api\/files\//, ''))
    const content = this.files.get(name)
    if (content == null) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(method === 'HEAD' ? undefined : JSON.stringify({ error: `no such file: ${name}`, code: 'ERR_NOT_FOUND' }))
      return
    }
    const range = this.ignoreRange ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
    const start = range == null ? 0 : Number(range[1])
    if (range != null && start >= content.length) {
      res.writeHead(416, { 'content-range': `bytes */${content.length}`, 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: `the range is outside the file (${content.length} bytes)`, code: 'ERR_RANGE' }))
      return
    }
    const body = content.subarray(start)
    res.writeHead(range == null ? 200 : 206, {
      'content-type': 'application/octet-stream',
      'content-length': body.length,
      etag: `"${this.etag ?? sha256(content)}"`,
      'x-chord-peer-version': `1714566840000.${content.length}.12D3KooWStub`,
      ...(range == null ? {} : { 'content-range': `bytes ${start}-${content.length - 1}/${content.length}` })
    })
    if (method === 'HEAD') { res.end(); return }
    const cutAt = this.cutAt
    this.cutAt = undefined
    if (cutAt == null) { res.end(body); return }
    await new Promise<void>(resolve => {
      this.cutNow = resolve
      res.once('close', resolve)
      res.write(body.subarray(0, cutAt))
    })
    this.cutNow = undefined
    res.destroy()
  }
}

describe('cli: get resumes an interrupted download', () => {
  let dir: string
  let cwd: string
  let daemon: RangeDaemon

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-resume-'))
    cwd = join(dir, 'cwd')
    await mkdir(cwd)
    daemon = new RangeDaemon()
    await daemon.start()
  })

  afterEach(async () => {
    await daemon.close()
    await rm(dir, { recursive: true, force: true })
  })

  const cli = async (argv: string[], extra: ExtraIo = {}): ReturnType<typeof runCli> =>
    runCli([...argv, '--api', daemon.url], { cwd, isTTY: false, ...extra })
  const entries = async (): Promise<string[]> => (await readdir(cwd)).sort()
  const sizeOf = async (file: string): Promise<number | undefined> => await stat(join(cwd, file)).then(s => s.size, () => undefined)

  /**
   * `get <name> -o <out>` stopped after `bytes` bytes: by a dropped connection, or by Ctrl-C (`signals`).
   * Waits until those bytes are in the .part before stopping it.
   */
  async function interrupted (name: string, out: string, bytes: number, signals?: EventEmitter): Promise<void> {
    daemon.stopAfter(bytes)
    const run = cli(['get', name, '-o', out], { signals: signals ?? new EventEmitter() })
    try {
      await waitFor(async () => await sizeOf(`${out}.part`) === bytes, { ...POLL, what: `${bytes} bytes in ${out}.part` })
    } finally {
      if (signals != null) signals.emit('SIGINT')
      else daemon.cut()
    }
    const { code, stderr } = await run
    assert.equal(code, signals != null ? 130 : 1, stderr)
    const left = await entries()
    assert.ok(left.includes(`${out}.part`) && left.includes(`${out}.part.json`), left.join(' '))
    assert.ok(!left.includes(out) && !left.includes(`${out}.part.lock`), left.join(' '))
  }

  it('a get cut off after N bytes keeps <out>.part; the next asks for bytes=N- and puts the whole file in place', async () => {
    const content = randomBytes(1_000_000)
    daemon.files.set('movie.bin', content)
    await interrupted('movie.bin', 'out.bin', 300_000)
    const record = JSON.parse(await readFile(join(cwd, 'out.bin.part.json'), 'utf8')) as PartRecord
    assert.deepEqual({ ...record, version: undefined }, {
      format: PART_FORMAT, name: 'movie.bin', hash: sha256(content), size: content.length, version: undefined
    })
    assert.ok((await readFile(join(cwd, 'out.bin.part'))).equals(content.subarray(0, 300_000)))

    const { code, stdout, stderr } = await cli(['get', 'movie.bin', '-o', 'out.bin'])
    assert.equal(code, 0, stderr)
    assert.deepEqual(daemon.ranges, ['-', 'bytes=300000-'])
    assert.deepEqual(await entries(), ['out.bin'], 'the .part became out.bin; its .part.json and lock are gone')
    assert.ok((await readFile(join(cwd, 'out.bin'))).equals(content))
    assert.match(stderr, /^note: resuming movie\.bin at 293\.0 KiB of 976\.6 KiB \(from out\.bin\.part\)$/m)
    assert.match(stdout, /^resumed +at 293\.0 KiB \(300000 bytes\)/m)
    assert.match(stdout, new RegExp(`^hash +${sha256(content)} +\\(verified\\)$`, 'm'))
  })

  it('Ctrl-C keeps the .part; the next get\'s progress starts at the resumed offset and --json says resumedFrom', async () => {
    const content = randomBytes(800_000)
    daemon.files.set('movie.bin', content)
    await interrupted('movie.bin', 'movie.bin', 200_000, new EventEmitter())

    const bars: Array<{ total?: number, start?: number, updates: number[] }> = []
    const progress: ProgressFactory = init => {
      const bar = { total: init.total, start: init.start, updates: [] as number[] }
      bars.push(bar)
      return { update: bytes => { bar.updates.push(bytes) }, stop: () => {} }
    }
    const { code, stdout, stderr } = await cli(['get', 'movie.bin', '--json'], { isTTY: true, progress })
    assert.equal(code, 0, stderr)
    const json = JSON.parse(stdout) as GetResultJson
    assert.equal(json.resumedFrom, 200_000)
    assert.equal(json.size, content.length)
    assert.equal(json.hash, sha256(content))
    assert.equal(bars.length, 1)
    assert.equal(bars[0].total, content.length)
    assert.equal(bars[0].start, 200_000, 'the bar starts where the .part ends')
    assert.ok(bars[0].updates[0] > 200_000)
    assert.equal(bars[0].updates.at(-1), content.length)
    assert.ok((await readFile(join(cwd, 'movie.bin'))).equals(content))
  })

  it('a damaged .part fails the whole file\'s SHA-256: removed, downloaded again from the start, never put in place', async () => {
    const content = randomBytes(600_000)
    daemon.files.set('movie.bin', content)
    await interrupted('movie.bin', 'movie.bin', 250_000)
    const part = await readFile(join(cwd, 'movie.bin.part'))
    part[1234] ^= 0xff
    await writeFile(join(cwd, 'movie.bin.part'), part)

    const { code, stdout, stderr } = await cli(['get', 'movie.bin', '--json'])
    assert.equal(code, 0, stderr)
    assert.deepEqual(daemon.ranges, ['-', 'bytes=250000-', '-'])
    assert.match(stderr, /^note: movie\.bin does not match its SHA-256 with the 244\.1 KiB resumed from movie\.bin\.part: .*damaged/m)
    assert.equal((JSON.parse(stdout) as GetResultJson).resumedFrom, 0)
    assert.ok((await readFile(join(cwd, 'movie.bin'))).equals(content))
    assert.deepEqual(await entries(), ['movie.bin'])
  })

  it('a damaged .part and a daemon whose etag is wrong: exit 1 hash mismatch, nothing saved, nothing kept', async () => {
    const content = randomBytes(300_000)
    daemon.files.set('movie.bin', content)
    daemon.etag = sha256(Buffer.from('other content'))
    await interrupted('movie.bin', 'movie.bin', 100_000)
    const { code, stdout, stderr } = await cli(['get', 'movie.bin'])
    assert.equal(code, 1)
    assert.equal(stdout, '')
    assert.match(stderr, /^error: movie\.bin: hash mismatch: /m)
    assert.deepEqual(daemon.ranges, ['-', 'bytes=100000-', '-'], 'one resumed try, one from the start, no more')
    assert.deepEqual(await entries(), [])
  })

  it('a file changed on the daemon (another etag in the 206): starts over and saves the new content', async () => {
    daemon.files.set('movie.bin', randomBytes(500_000))
    await interrupted('movie.bin', 'movie.bin', 200_000)
    const changed = randomBytes(500_000)
    daemon.files.set('movie.bin', changed)

    const { code, stdout, stderr } = await cli(['get', 'movie.bin', '--json'])
    assert.equal(code, 0, stderr)
    assert.deepEqual(daemon.ranges, ['-', 'bytes=200000-', '-'])
    assert.match(stderr, /^note: movie\.bin changed on the daemon since movie\.bin\.part was started: downloading it again from the start$/m)
    const json = JSON.parse(stdout) as GetResultJson
    assert.equal(json.resumedFrom, 0)
    assert.equal(json.hash, sha256(changed))
    assert.ok((await readFile(join(cwd, 'movie.bin'))).equals(changed))
    assert.deepEqual(await entries(), ['movie.bin'])
  })

  it('a file now shorter than the .part: the daemon answers 416 and the get starts over', async () => {
    daemon.files.set('movie.bin', randomBytes(500_000))
    await interrupted('movie.bin', 'movie.bin', 300_000)
    const shorter = randomBytes(1000)
    daemon.files.set('movie.bin', shorter)

    const { code, stderr } = await cli(['get', 'movie.bin'])
    assert.equal(code, 0, stderr)
    assert.deepEqual(daemon.ranges, ['-', 'bytes=300000-', '-'])
    assert.match(stderr, /changed on the daemon/)
    assert.ok((await readFile(join(cwd, 'movie.bin'))).equals(shorter))
  })

  it('a daemon that ignores Range (200): the .part starts over from that answer, no second request', async () => {
    const content = randomBytes(400_000)
    daemon.files.set('movie.bin', content)
    await interrupted('movie.bin', 'movie.bin', 100_000)
    daemon.ignoreRange = true

    const { code, stderr } = await cli(['get', 'movie.bin'])
    assert.equal(code, 0, stderr)
    assert.deepEqual(daemon.ranges, ['-', 'bytes=100000-'])
    assert.match(stderr, /^note: the daemon sent all of movie\.bin instead of the rest: movie\.bin\.part starts over$/m)
    assert.ok((await readFile(join(cwd, 'movie.bin'))).equals(content))
  })

  it('--no-resume removes the .part and sends no Range', async () => {
    const content = randomBytes(400_000)
    daemon.files.set('movie.bin', content)
    await interrupted('movie.bin', 'movie.bin', 100_000)
    // The old bytes go first, even when no daemon answers.
    const unreachable = await runCli(['get', 'movie.bin', '--no-resume', '--api', `127.0.0.1:${await closedPort()}`], { cwd, isTTY: false })
    assert.equal(unreachable.code, 1)
    assert.deepEqual(await entries(), [])

    await interrupted('movie.bin', 'movie.bin', 100_000)
    const { code, stdout, stderr } = await cli(['get', 'movie.bin', '--no-resume', '--json'])
    assert.equal(code, 0, stderr)
    assert.equal(stderr, '')
    assert.deepEqual(daemon.ranges, ['-', '-', '-'])
    assert.equal((JSON.parse(stdout) as GetResultJson).resumedFrom, 0)
    assert.ok((await readFile(join(cwd, 'movie.bin'))).equals(content))
    assert.deepEqual(await entries(), ['movie.bin'])
  })

  it('--no-resume is a flag of get and in its help', async () => {
    const help = await runCli(['get', '--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /^ +--no-resume +start over instead of continuing/m)
    const typo = await cli(['get', 'movie.bin', '--no-resum'])
    assert.equal(typo.code, 2, 'the parser does check get\'s flags')
    assert.equal(daemon.seen.length, 0)
  })

  it('a .part without its .part.json, or one of another name, is not continued: a note, and a get from the start', async () => {
    const content = randomBytes(100_000)
    daemon.files.set('movie.bin', content)
    await writeFile(join(cwd, 'movie.bin.part'), content.subarray(0, 50_000))
    const bare = await cli(['get', 'movie.bin'])
    assert.equal(bare.code, 0, bare.stderr)
    assert.match(bare.stderr, /^note: movie\.bin\.part has no movie\.bin\.part\.json saying what it is part of: starting over$/m)

    await interrupted('movie.bin', 'other.bin', 50_000)
    daemon.files.set('other', content)
    const foreign = await cli(['get', 'other', '-o', 'other.bin'])
    assert.equal(foreign.code, 0, foreign.stderr)
    assert.match(foreign.stderr, /^note: other\.bin\.part is part of movie\.bin, not other: starting over$/m)
    assert.deepEqual(daemon.ranges, ['-', '-', '-'])
    assert.ok((await readFile(join(cwd, 'other.bin'))).equals(content))
    assert.deepEqual(await entries(), ['movie.bin', 'other.bin'])
  })

  it('a .part that holds the whole file (its get failed to place it) is verified and placed after a HEAD alone', async () => {
    const content = randomBytes(100_000)
    daemon.files.set('movie.bin', content)
    await writeFile(join(cwd, 'movie.bin'), 'mine')
    const record: PartRecord = { format: PART_FORMAT, name: 'movie.bin', hash: sha256(content), size: content.length }
    await writeFile(join(cwd, 'movie.bin.part'), content)
    await writeFile(join(cwd, 'movie.bin.part.json'), JSON.stringify(record))

    const refused = await cli(['get', 'movie.bin'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /movie\.bin already exists: pass --force/)
    assert.deepEqual(await entries(), ['movie.bin', 'movie.bin.part', 'movie.bin.part.json'], 'the .part is left alone')
    assert.equal(daemon.seen.length, 0)

    const { code, stdout, stderr } = await cli(['get', 'movie.bin', '--force', '--json'])
    assert.equal(code, 0, stderr)
    assert.deepEqual(daemon.seen, [{ method: 'HEAD', range: undefined }])
    assert.equal((JSON.parse(stdout) as GetResultJson).resumedFrom, content.length)
    assert.ok((await readFile(join(cwd, 'movie.bin'))).equals(content))
    assert.deepEqual(await entries(), ['movie.bin'])
  })

  it('a file the daemon no longer has: exit 1 and the .part and .part.json are removed', async () => {
    daemon.files.set('movie.bin', randomBytes(300_000))
    await interrupted('movie.bin', 'movie.bin', 100_000)
    daemon.files.delete('movie.bin')
    const { code, stderr } = await cli(['get', 'movie.bin'])
    assert.equal(code, 1)
    assert.match(stderr, /^error: no such file: movie\.bin$/m)
    assert.deepEqual(await entries(), [])
  })

  it('another get writing the same .part: ERR_PART_BUSY and the .part untouched; a dead holder\'s lock is taken over', async () => {
    const content = randomBytes(300_000)
    daemon.files.set('movie.bin', content)
    await interrupted('movie.bin', 'movie.bin', 100_000)
    const before = await readFile(join(cwd, 'movie.bin.part'))

    // A live process (this one) holds the lock.
    await writeFile(join(cwd, 'movie.bin.part.lock'), `${process.pid}\n`)
    const busy = await cli(['get', 'movie.bin'])
    assert.equal(busy.code, 1)
    assert.match(busy.stderr, new RegExp(`^error: another get \\(pid ${process.pid}\\) is writing movie\\.bin\\.part`, 'm'))
    assert.ok((await readFile(join(cwd, 'movie.bin.part'))).equals(before))
    assert.deepEqual(daemon.ranges, ['-'])

    // A process that has exited held it.
    const dead = spawnSync(process.execPath, ['-e', '']).pid
    await writeFile(join(cwd, 'movie.bin.part.lock'), `${dead}\n`)
    const { code, stdout, stderr } = await cli(['get', 'movie.bin', '--json'])
    assert.equal(code, 0, stderr)
    assert.equal((JSON.parse(stdout) as GetResultJson).resumedFrom, 100_000)
    assert.deepEqual(await entries(), ['movie.bin'])
  })

  it('-o - never resumes: no Range, and a .part in the cwd is left alone', async () => {
    const content = randomBytes(200_000)
    daemon.files.set('movie.bin', content)
    await interrupted('movie.bin', 'movie.bin', 50_000)
    const chunks: Buffer[] = []
    const { Writable } = await import('node:stream')
    const sink = new Writable({ write (chunk: Buffer, _encoding, callback) { chunks.push(chunk); callback() } })
    const { code, stderr } = await cli(['get', 'movie.bin', '-o', '-'], { stdoutBytes: sink })
    assert.equal(code, 0, stderr)
    assert.ok(Buffer.concat(chunks).equals(content))
    assert.deepEqual(daemon.ranges, ['-', '-'])
    assert.deepEqual(await entries(), ['movie.bin.part', 'movie.bin.part.json'])
  })

  it('the names beside a target stay within 255 bytes and distinct for long names', () => {
    const long = (c: string): string => join('/d', `${'é'.repeat(120)}${c}.bin`) // 245 bytes
    const a = partPaths(long('a'))
    const b = partPaths(long('b'))
    for (const paths of [a, b]) {
      for (const file of [paths.part, paths.record, paths.lock]) assert.ok(Buffer.byteLength(basename(file)) <= 255, file)
      // The lock's temp file adds `.<pid>.<4 hex>.tmp`, at most 17 bytes.
      assert.ok(Buffer.byteLength(basename(paths.lock)) + 17 <= 255, 'room for the lock\'s temp file')
    }
    assert.notEqual(a.part, b.part)
    assert.deepEqual(partPaths('/d/notes.pdf'),
      { part: '/d/notes.pdf.part', record: '/d/notes.pdf.part.json', lock: '/d/notes.pdf.part.lock' })
  })
})

describe('cli: get resumes against a real daemon', function () {
  this.timeout(60_000)
  let dir: string
  const signals = new EventEmitter()
  let done: Promise<number> | undefined

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-resume-real-'))
  })

  after(async () => {
    if (done != null) {
      signals.emit('SIGINT')
      await done
    }
    await rm(dir, { recursive: true, force: true })
  })

  it('continues a .part with the daemon\'s 206 (etag, content-range); a range at the end is a 416', async () => {
    const stdout = new Capture()
    const stderr = new Capture()
    const node = join(dir, 'node')
    done = main(['--bootstrap', '--k', '1', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--data-dir', node],
      { stdout, stderr, signals, exit: () => { throw new Error('unexpected second signal') } })
    await Promise.race([
      stdout.waitFor('press Ctrl-C', 20_000),
      done.then(code => { throw new Error(`daemon exited ${code}: ${stderr.text}`) })
    ])
    const cwd = join(dir, 'work')
    await mkdir(cwd)
    const content = randomBytes(3 * 1024 * 1024 + 17)
    await writeFile(join(cwd, 'big.bin'), content)
    const put = await runCli(['put', 'big.bin', '--data-dir', node], { cwd, isTTY: false })
    assert.equal(put.code, 0, put.stderr)

    // What an interrupted get leaves: the first bytes, and what they are part of.
    const have = 1024 * 1024 + 5
    const record: PartRecord = { format: PART_FORMAT, name: 'big.bin', hash: sha256(content), size: content.length }
    await writeFile(join(cwd, 'copy.bin.part'), content.subarray(0, have))
    await writeFile(join(cwd, 'copy.bin.part.json'), JSON.stringify(record))
    const get = await runCli(['get', 'big.bin', '-o', 'copy.bin', '--json', '--data-dir', node], { cwd, isTTY: false })
    assert.equal(get.code, 0, get.stderr)
    assert.match(get.stderr, /^note: resuming big\.bin at 1\.0 MiB of 3\.0 MiB/m)
    assert.equal((JSON.parse(get.stdout) as GetResultJson).resumedFrom, have)
    assert.ok((await readFile(join(cwd, 'copy.bin'))).equals(content))
    assert.deepEqual((await readdir(cwd)).sort(), ['big.bin', 'copy.bin'])

    // Why a complete .part is checked with HEAD, not a range from its end: the daemon has no bytes to answer with.
    const client = new ApiClient({ url: await readApiUrlFile(node), token: await readApiTokenFile(node) })
    await assert.rejects(client.get('big.bin', { range: { start: content.length } }), { status: 416 })
  })
})
