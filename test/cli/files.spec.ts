// `chord-peer put/get/ls/locate/rm` against the stub daemon's file routes: exact bytes both ways, the verified
// .part-then-rename download, safe output names, stdout, paging, --json, exit codes, and progress only on a TTY.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { ByteCapture, runCli, startStubDaemon } from '../utils/cli.js'
import { FileStore, HOLDERS, sha256 } from '../utils/file-stub.js'
import { PEER_A } from '../utils/cli-fixtures.js'
import type { ExtraIo, StubDaemon } from '../utils/cli.js'
import { waitFor } from '../utils/wait.js'
import type { ListJson, LocateJson, PutJson } from '../../src/api/types.js'
import type { ProgressFactory, ProgressInit } from '../../src/cli/progress.js'
import type { GetResultJson } from '../../src/cli/get.js'
import type { PutBatchJson } from '../../src/cli/put.js'

/** A progress factory that records what the commands report. */
function recordingProgress (): { factory: ProgressFactory, bars: Array<{ init: ProgressInit, updates: number[], stopped: number }> } {
  const bars: Array<{ init: ProgressInit, updates: number[], stopped: number }> = []
  const factory: ProgressFactory = init => {
    const bar = { init, updates: [] as number[], stopped: 0 }
    bars.push(bar)
    return { update: bytes => { bar.updates.push(bytes) }, stop: () => { bar.stopped++ } }
  }
  return { factory, bars }
}

/** Polls for effects of an in-process command: they happen within milliseconds. */
const POLL = { timeoutMs: 5_000, intervalMs: 5 }

describe('cli: file commands', () => {
  let files: FileStore
  let daemon: StubDaemon
  let dir: string
  /** The working directory the commands run in: a subdirectory, so that `../` escapes would land in `dir`. */
  let cwd: string

  const cli = async (argv: string[], extra: ExtraIo = {}): ReturnType<typeof runCli> =>
    runCli([...argv, '--api', daemon.url], { cwd, isTTY: false, ...extra })

  const start = async (store: FileStore): Promise<void> => {
    await daemon?.close()
    files = store
    daemon = await startStubDaemon({}, { files })
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-files-'))
    cwd = join(dir, 'cwd')
    await mkdir(cwd)
    files = new FileStore()
    daemon = await startStubDaemon({}, { files })
  })

  afterEach(async () => {
    await daemon.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** Files in the cwd, so a test can see that nothing (not even a temp file) was left behind. */
  const cwdEntries = async (): Promise<string[]> => (await readdir(cwd)).sort()

  describe('put', () => {
    it('streams the file\'s exact bytes under its base name and prints the result', async () => {
      const content = randomBytes(1_500_000)
      await writeFile(join(cwd, 'notes.pdf'), content)
      const { code, stdout, stderr } = await cli(['put', 'notes.pdf'])
      assert.equal(code, 0, stderr)
      assert.equal(stderr, '')
      const stored = files.files.get('notes.pdf')
      assert.ok(stored?.content.equals(content), 'the stub got the exact bytes')
      assert.equal(files.calls[0].headers['content-length'], String(content.length))
      assert.equal(files.calls[0].headers['content-type'], 'application/pdf')
      assert.match(stdout, /^name +notes\.pdf$/m)
      assert.match(stdout, /^size +1\.4 MiB \(1500000 bytes\)$/m)
      assert.match(stdout, new RegExp(`^hash +${sha256(content)}$`, 'm'))
      assert.match(stdout, /^holders +1\. c1d2e3f4 +12D3Ko…\w+ +\(primary\)$/m)
      assert.match(stdout, /^ +2\. 3f2a9c1b /m)
      assert.match(stdout, /^copies +2 of k=3$/m)
      assert.match(stdout, /^time +\d+(\.\d)? m?s$/m)
      assert.match(stdout, /^throughput +[\d.]+ (B|KiB|MiB|GiB)\/s$/m)
    })

    it('--name stores under another name; --json prints the daemon\'s answer', async () => {
      await writeFile(join(cwd, 'local.txt'), 'hello')
      const { code, stdout } = await cli(['put', join(cwd, 'local.txt'), '--name', 'docs/remote.txt', '--json'])
      assert.equal(code, 0)
      assert.equal(files.calls[0].path, '/api/files/docs%2Fremote.txt')
      const json = JSON.parse(stdout) as PutJson
      assert.equal(json.file.name, 'docs/remote.txt')
      assert.equal(json.file.hash, sha256('hello'))
      assert.deepEqual(json.holders, HOLDERS)
    })

    it('- reads stdin, and then needs --name (else exit 2 without asking the daemon)', async () => {
      const missing = await cli(['put', '-'])
      assert.equal(missing.code, 2)
      assert.match(missing.stderr, /needs --name/)
      assert.equal(daemon.requests.length, 0)

      const stdin = Readable.from([Buffer.from('from '), Buffer.from('stdin')])
      const { code, stderr } = await cli(['put', '-', '--name', 'piped.txt'], { stdin })
      assert.equal(code, 0, stderr)
      assert.equal(files.files.get('piped.txt')?.content.toString(), 'from stdin')
      assert.equal(files.calls[0].headers['content-length'], undefined)
    })

    it('a missing path exits 1 with a clear message and asks the daemon nothing', async () => {
      const { code, stdout, stderr } = await cli(['put', 'no-such-file.bin'])
      assert.equal(code, 1)
      assert.equal(stdout, '')
      assert.match(stderr, /^error: no such file: no-such-file\.bin$/m)
      assert.equal(daemon.requests.length, 0)
    })

    it('a directory exits 1 and points at -r', async () => {
      await mkdir(join(cwd, 'photos'))
      const { code, stderr } = await cli(['put', 'photos'])
      assert.equal(code, 1)
      assert.match(stderr, /photos is a directory: put -r/)
      assert.equal(daemon.requests.length, 0)
    })

    it('several paths store each file under its base name, one line each and a summary', async () => {
      await mkdir(join(cwd, 'sub'))
      await writeFile(join(cwd, 'a.txt'), 'aaa')
      await writeFile(join(cwd, 'sub', 'b.txt'), 'bbbb')
      const { code, stdout, stderr } = await cli(['put', 'a.txt', 'sub/b.txt'])
      assert.equal(code, 0, stderr)
      assert.equal(stderr, '')
      assert.equal(files.files.get('a.txt')?.content.toString(), 'aaa')
      assert.equal(files.files.get('b.txt')?.content.toString(), 'bbbb')
      assert.match(stdout, new RegExp(`^stored a\\.txt  3 B  2 of k=3  ${sha256('aaa').slice(0, 12)}$`, 'm'))
      assert.match(stdout, /^stored b\.txt {2}4 B {2}2 of k=3 {2}/m)
      assert.match(stdout, /^put: 2 of 2 files stored \(7 B in \d+(\.\d)? m?s\)$/m)
    })

    it('a batch goes on past a file that fails, reports it, and exits 1', async () => {
      await writeFile(join(cwd, 'a.txt'), 'aaa')
      await writeFile(join(cwd, 'c.txt'), 'ccc')
      const { code, stdout, stderr } = await cli(['put', 'a.txt', 'missing.txt', 'c.txt'])
      assert.equal(code, 1)
      assert.deepEqual([...files.files.keys()].sort(), ['a.txt', 'c.txt'])
      assert.match(stderr, /^error: no such file: missing\.txt$/m)
      assert.match(stdout, /^put: 2 of 3 files stored \(6 B in .*\), 1 failed$/m)

      const json = await cli(['put', 'a.txt', 'missing.txt', '--json'])
      assert.equal(json.code, 1)
      const batch = JSON.parse(json.stdout) as PutBatchJson
      assert.deepEqual(batch.stored.map(p => p.file.name), ['a.txt'])
      assert.deepEqual(batch.failed, [{ path: 'missing.txt', error: 'no such file: missing.txt', code: 'ERR_NOT_FOUND' }])
    })

    it('-r stores a directory\'s files under their paths relative to it, with / separators', async () => {
      await mkdir(join(cwd, 'photos', '2024', 'may'), { recursive: true })
      await mkdir(join(cwd, 'photos', 'empty'))
      await writeFile(join(cwd, 'photos', 'top.jpg'), 'top')
      await writeFile(join(cwd, 'photos', '2024', 'a.jpg'), 'a')
      await writeFile(join(cwd, 'photos', '2024', 'may', 'b.jpg'), 'bb')
      await writeFile(join(cwd, 'single.txt'), 'one')
      const { code, stdout, stderr } = await cli(['put', '-r', 'photos', 'single.txt'])
      assert.equal(code, 0, stderr)
      assert.deepEqual([...files.files.keys()].sort(), ['2024/a.jpg', '2024/may/b.jpg', 'single.txt', 'top.jpg'])
      assert.equal(files.files.get('2024/may/b.jpg')?.content.toString(), 'bb')
      assert.ok(files.calls.some(c => c.path === '/api/files/2024%2Fmay%2Fb.jpg'))
      assert.match(stdout, /^put: 4 of 4 files stored \(9 B in /m)
    })

    it('-r of a directory without files fails it; --name and - stand alone (usage errors)', async () => {
      await mkdir(join(cwd, 'empty'))
      const empty = await cli(['put', '-r', 'empty'])
      assert.equal(empty.code, 1)
      assert.match(empty.stderr, /^error: empty holds no files to store$/m)
      assert.match(empty.stdout, /^put: 0 of 1 file stored/m)

      for (const [argv, message] of [
        [['put', 'a.txt', 'b.txt', '--name', 'x'], /--name names one file/],
        [['put', '-r', 'empty', '--name', 'x'], /--name names one file/],
        [['put', '-', 'a.txt', '--name', 'x'], /- \(stdin\) cannot be stored together/]
      ] as const) {
        const { code, stderr } = await cli([...argv])
        assert.equal(code, 2, argv.join(' '))
        assert.match(stderr, message)
      }
      assert.equal(files.calls.length, 0)
    })

    it('Ctrl-C during a batch stops it and exits 130', async () => {
      await writeFile(join(cwd, 'a.txt'), 'aaa')
      await writeFile(join(cwd, 'b.txt'), 'bbb')
      const signals = new EventEmitter()
      let sent = false
      // Interrupt while the first file is on its way: the second is never sent.
      const progress: ProgressFactory = () => ({
        update: () => { if (!sent) { sent = true; signals.emit('SIGINT') } },
        stop: () => {}
      })
      const { code, stderr } = await cli(['put', 'a.txt', 'b.txt'], { signals, isTTY: true, progress })
      assert.equal(code, 130)
      assert.match(stderr, /^error: interrupted by SIGINT$/m)
      assert.equal(files.files.has('b.txt'), false)
    })
  })

  describe('get', () => {
    it('writes the exact bytes to a temp file and renames it only once complete', async () => {
      const content = randomBytes(1_000_000)
      let release = (): void => {}
      const held = new Promise<void>(resolve => { release = resolve })
      let holding = false
      await start(new FileStore({ holdGet: async () => { holding = true; await held } }))
      files.add('movie.bin', content)

      const run = cli(['get', 'movie.bin'])
      try {
        await waitFor(() => holding, { ...POLL, what: 'the stub to hold the download half-way' })
        // Half-way: the bytes so far sit in a temp file; nothing is under the final name yet.
        await waitFor(async () => (await cwdEntries()).some(e => e.endsWith('.part')), { ...POLL, what: 'a temp file to appear' })
        assert.ok(!existsSync(join(cwd, 'movie.bin')), 'no partial file under the final name')
      } finally {
        release()
      }

      const { code, stdout, stderr } = await run
      assert.equal(code, 0, stderr)
      assert.deepEqual(await cwdEntries(), ['movie.bin'], 'the temp file was renamed, not left behind')
      assert.ok((await readFile(join(cwd, 'movie.bin'))).equals(content))
      assert.match(stdout, /^saved to +movie\.bin$/m)
      assert.match(stdout, new RegExp(`^hash +${sha256(content)} +\\(verified\\)$`, 'm'))
      assert.match(stdout, /^size +976\.6 KiB \(1000000 bytes\)$/m)
    })

    it('Ctrl-C during a download exits 130 and keeps the .part and its .part.json to resume (get-resume.spec.ts)', async () => {
      let release = (): void => {}
      const held = new Promise<void>(resolve => { release = resolve })
      let holding = false
      await start(new FileStore({ holdGet: async () => { holding = true; await held } }))
      files.add('movie.bin', randomBytes(1_000_000))
      const signals = new EventEmitter()
      try {
        const run = cli(['get', 'movie.bin'], { signals })
        await waitFor(async () => holding && (await cwdEntries()).some(e => e.endsWith('.part')),
          { ...POLL, what: 'a temp file to appear' })
        signals.emit('SIGINT')
        const { code, stderr } = await run
        assert.equal(code, 130)
        assert.match(stderr, /^error: interrupted by SIGINT$/m)
        assert.deepEqual(await cwdEntries(), ['movie.bin.part', 'movie.bin.part.json'], 'nothing under the final name, no lock')
        assert.equal(signals.listenerCount('SIGINT'), 0, 'a second Ctrl-C kills the process as usual')
      } finally {
        release()
      }
    })

    it('a content that does not match the etag exits 1 and leaves no file at all', async () => {
      await start(new FileStore({ etag: () => sha256('something else') }))
      files.add('notes.pdf', randomBytes(200_000))
      const { code, stdout, stderr } = await cli(['get', 'notes.pdf'])
      assert.equal(code, 1)
      assert.equal(stdout, '')
      assert.match(stderr, /hash mismatch/)
      assert.deepEqual(await cwdEntries(), [])
    })

    it('refuses to overwrite an existing file unless --force', async () => {
      files.add('notes.pdf', 'new content')
      await writeFile(join(cwd, 'notes.pdf'), 'mine')
      const refused = await cli(['get', 'notes.pdf'])
      assert.equal(refused.code, 1)
      assert.match(refused.stderr, /notes\.pdf already exists: pass --force/)
      assert.equal(await readFile(join(cwd, 'notes.pdf'), 'utf8'), 'mine')
      assert.equal(files.calls.length, 0, 'nothing was downloaded')

      const forced = await cli(['get', 'notes.pdf', '--force'])
      assert.equal(forced.code, 0, forced.stderr)
      assert.equal(await readFile(join(cwd, 'notes.pdf'), 'utf8'), 'new content')
      assert.deepEqual(await cwdEntries(), ['notes.pdf'])
    })

    it('a name is data: `../` and directories are stripped, and the file lands inside the cwd', async () => {
      files.add('../escape.txt', 'one')
      files.add('a/b/c.txt', 'two')
      files.add('x/..', 'three')
      for (const name of ['../escape.txt', 'a/b/c.txt', 'x/..']) {
        const { code, stderr } = await cli(['get', name])
        assert.equal(code, 0, stderr)
      }
      assert.deepEqual(await cwdEntries(), ['c.txt', 'download', 'escape.txt'])
      assert.ok(!existsSync(join(dir, 'escape.txt')), 'nothing written outside the cwd')
      assert.equal(await readFile(join(cwd, 'escape.txt'), 'utf8'), 'one')
      assert.equal(await readFile(join(cwd, 'download'), 'utf8'), 'three')
    })

    it('-o names the file, or a directory to save into', async () => {
      files.add('notes.pdf', 'pdf bytes')
      await mkdir(join(cwd, 'into'))
      assert.equal((await cli(['get', 'notes.pdf', '-o', 'out.pdf'])).code, 0)
      assert.equal((await cli(['get', 'notes.pdf', '-o', 'into'])).code, 0)
      assert.equal(await readFile(join(cwd, 'out.pdf'), 'utf8'), 'pdf bytes')
      assert.equal(await readFile(join(cwd, 'into', 'notes.pdf'), 'utf8'), 'pdf bytes')
    })

    it('-o - writes the bytes to stdout, with no summary and no file', async () => {
      const content = randomBytes(300_000)
      files.add('notes.pdf', content)
      const sink = new ByteCapture()
      const { code, stdout, stderr } = await cli(['get', 'notes.pdf', '-o', '-'], { stdoutBytes: sink })
      assert.equal(code, 0, stderr)
      assert.ok(sink.bytes.equals(content))
      assert.equal(stdout, '')
      assert.deepEqual(await cwdEntries(), [])
    })

    it('-o - into a reader that goes away (EPIPE, `| head`) ends quietly with exit 0', async () => {
      files.add('big.bin', randomBytes(2_000_000))
      let taken = 0
      const head = new Writable({
        write (chunk: Buffer, _encoding, callback) {
          taken += chunk.length
          if (taken < 100_000) { callback(); return }
          callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' }))
        }
      })
      const { code, stdout, stderr } = await cli(['get', 'big.bin', '-o', '-'], { stdoutBytes: head })
      assert.equal(stderr, '')
      assert.equal(stdout, '')
      assert.equal(code, 0)
    })

    it('-o - with --json is a usage error', async () => {
      const { code, stderr } = await cli(['get', 'notes.pdf', '-o', '-', '--json'])
      assert.equal(code, 2)
      assert.match(stderr, /cannot also print --json/)
      assert.equal(daemon.requests.length, 0)
    })

    it('--json prints where the file went and its verified hash', async () => {
      const stored = files.add('notes.pdf', 'pdf bytes', 'application/pdf')
      const { code, stdout } = await cli(['get', 'notes.pdf', '--json'])
      assert.equal(code, 0)
      const json = JSON.parse(stdout) as GetResultJson
      assert.equal(json.name, 'notes.pdf')
      assert.equal(json.path, join(cwd, 'notes.pdf'))
      assert.equal(json.size, 9)
      assert.equal(json.hash, stored.record.hash)
      assert.equal(json.contentType, 'application/pdf')
      assert.match(json.version ?? '', new RegExp(`${PEER_A}$`))
    })

    it('a missing file exits 1 with the daemon\'s message and leaves nothing', async () => {
      const { code, stderr } = await cli(['get', 'nope.txt'])
      assert.equal(code, 1)
      assert.match(stderr, /^error: no such file: nope\.txt$/m)
      assert.deepEqual(await cwdEntries(), [])
    })
  })

  describe('ls', () => {
    beforeEach(() => {
      for (let i = 0; i < 5; i++) files.add(`file-${i}.txt`, 'x'.repeat(1000 * (i + 1)))
    })

    it('--all pages through `next` and shows every file', async () => {
      const { code, stdout, stderr } = await cli(['ls', '--limit', '2', '--all'])
      assert.equal(code, 0, stderr)
      const lists = files.calls.filter(c => c.path === '/api/files')
      assert.equal(lists.length, 3)
      assert.deepEqual(lists.map(c => c.query.get('limit')), ['2', '2', '2'])
      assert.equal(lists[0].query.get('after'), null)
      assert.ok(lists[1].query.get('after') != null && lists[2].query.get('after') != null)
      for (let i = 0; i < 5; i++) assert.match(stdout, new RegExp(`^file-${i}\\.txt `, 'm'))
      assert.match(stdout, /^name +size +modified +hash +writer$/m)
      const record = files.files.get('file-0.txt')?.record
      assert.ok(record != null)
      assert.match(stdout, new RegExp(
        `^file-0\\.txt +1000 B +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d +${record.hash.slice(0, 12)} +12D3Ko…`, 'm'))
      assert.doesNotMatch(stdout, /more files/)
    })

    it('without --all shows one page and says there is more', async () => {
      const { code, stdout } = await cli(['ls', '--limit', '2'])
      assert.equal(code, 0)
      assert.equal(files.calls.length, 1)
      assert.equal(stdout.split('\n').filter(line => /^file-/.test(line)).length, 2)
      assert.match(stdout, /more files: chord-peer ls --all/)
    })

    it('--json --all prints every file in one list without `next`', async () => {
      const { code, stdout } = await cli(['ls', '--limit', '2', '--all', '--json'])
      assert.equal(code, 0)
      const json = JSON.parse(stdout) as ListJson
      assert.equal(json.files.length, 5)
      assert.equal(json.next, undefined)
      const page = JSON.parse((await cli(['ls', '--limit', '2', '--json'])).stdout) as ListJson
      assert.equal(page.files.length, 2)
      assert.equal(typeof page.next, 'string')
    })

    it('a bad --limit is a usage error', async () => {
      for (const limit of ['0', 'ten', '-1']) {
        const { code, stderr } = await cli(['ls', '--limit', limit])
        assert.equal(code, 2, limit)
        assert.match(stderr, /--limit must be a whole number/)
      }
      assert.equal(daemon.requests.length, 0)
    })
  })

  describe('locate and rm', () => {
    it('locate shows each placement node, whether it holds the file, and the hops', async () => {
      files.add('notes.pdf', 'pdf bytes')
      const { code, stdout, stderr } = await cli(['locate', 'notes.pdf'])
      assert.equal(code, 0, stderr)
      assert.match(stdout, /^placement +1\. +c1d2e3f4 +12D3Ko…\w+ +✓ +owner$/m)
      assert.match(stdout, /^ +2\. +3f2a9c1b +12D3Ko…\w+ +✓ +replica$/m)
      assert.match(stdout, /^ +3\. +7c00aa01 +12D3Ko…\w+ +✗ +replica, dial timeout$/m)
      assert.match(stdout, /^holding +2 of 3$/m)
      assert.match(stdout, /^hops +2$/m)
      assert.match(stdout, /^file +9 B, sha256 [0-9a-f]{12}…/m)

      const json = JSON.parse((await cli(['locate', 'notes.pdf', '--json'])).stdout) as LocateJson
      assert.deepEqual(json, files.locate('notes.pdf'))
    })

    it('locate of a name nobody holds shows where it would be, then exits 1 with a clear message', async () => {
      const { code, stdout, stderr } = await cli(['locate', 'nope.txt'])
      assert.equal(code, 1)
      assert.match(stdout, /^file +not found$/m)
      assert.match(stdout, /^holding +0 of 3$/m)
      assert.match(stderr, /^error: no such file: nope\.txt \(none of the 3 nodes that should hold it has a copy\)$/m)

      const json = await cli(['locate', 'nope.txt', '--json'])
      assert.equal(json.code, 1)
      assert.equal((JSON.parse(json.stdout) as LocateJson).file, undefined)
    })

    it('rm deletes and prints the tombstone; the file is gone after', async () => {
      const stored = files.add('notes.pdf', 'pdf bytes')
      const { code, stdout, stderr } = await cli(['rm', 'notes.pdf'])
      assert.equal(code, 0, stderr)
      assert.equal(files.calls[0].method, 'DELETE')
      assert.match(stdout, /^deleted notes\.pdf$/m)
      assert.match(stdout, new RegExp(`^key +${stored.record.key}$`, 'm'))
      assert.match(stdout, /^tombstone +\d{4}-\d\d-\d\d \d\d:\d\d #\d+ by 12D3Ko…/m)
      assert.match(stdout, /^holders +1\. c1d2e3f4 /m)

      const again = await cli(['rm', 'notes.pdf'])
      assert.equal(again.code, 1)
      assert.match(again.stderr, /no such file/)
    })

    it('rm --json prints the daemon\'s answer', async () => {
      files.add('notes.pdf', 'pdf bytes')
      const { code, stdout } = await cli(['rm', 'notes.pdf', '--json'])
      assert.equal(code, 0)
      const json = JSON.parse(stdout) as { name: string, holders: unknown[] }
      assert.equal(json.name, 'notes.pdf')
      assert.deepEqual(json.holders, HOLDERS)
    })
  })

  describe('progress', () => {
    it('is drawn for put and get when stderr is a TTY, with the byte counts', async () => {
      const content = randomBytes(700_000)
      await writeFile(join(cwd, 'up.bin'), content)
      const { factory, bars } = recordingProgress()
      assert.equal((await cli(['put', 'up.bin'], { isTTY: true, progress: factory })).code, 0)
      assert.equal((await cli(['get', 'up.bin', '-o', 'down.bin'], { isTTY: true, progress: factory })).code, 0)
      assert.deepEqual(bars.map(b => b.init), [
        { label: 'put up.bin', total: content.length },
        { label: 'get up.bin', total: content.length, start: 0 }
      ])
      for (const bar of bars) {
        assert.equal(bar.updates.at(-1), content.length)
        assert.ok(bar.updates.length > 1, 'updated as bytes go, not once at the end')
        assert.equal(bar.stopped, 1)
      }
    })

    it('is not drawn when stderr is not a TTY', async () => {
      await writeFile(join(cwd, 'up.bin'), 'bytes')
      const { factory, bars } = recordingProgress()
      assert.equal((await cli(['put', 'up.bin'], { isTTY: false, progress: factory })).code, 0)
      assert.equal((await cli(['get', 'up.bin', '-o', 'down.bin'], { isTTY: false, progress: factory })).code, 0)
      assert.equal(bars.length, 0)
    })

    it('is stopped when the transfer fails', async () => {
      await start(new FileStore({ etag: () => sha256('other') }))
      files.add('bad.bin', 'bytes')
      const { factory, bars } = recordingProgress()
      assert.equal((await cli(['get', 'bad.bin'], { isTTY: true, progress: factory })).code, 1)
      assert.equal(bars.length, 1)
      assert.equal(bars[0].stopped, 1)
    })
  })
})
