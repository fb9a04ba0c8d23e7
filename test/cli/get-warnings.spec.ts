// A large get must not leak listeners: Node warns (MaxListenersExceededWarning) once an emitter or an
// AbortSignal holds more than 10 listeners of one kind, which a listener added per chunk or per request
// reaches within a few MiB. Both ends run in this process, so a warning from either is seen here.
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/index.js'
import { ByteCapture, Capture, runCli, startStubDaemon } from '../utils/cli.js'
import { FileStore } from '../utils/file-stub.js'

/** Run `fn`, collecting the MaxListenersExceededWarnings the process emits meanwhile. */
async function listenerWarnings (fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = []
  const onWarning = (warning: Error): void => {
    if (warning.name === 'MaxListenersExceededWarning') seen.push(warning.message)
  }
  process.on('warning', onWarning)
  try {
    await fn()
    // Warnings are emitted on the next tick.
    await new Promise(resolve => setImmediate(resolve))
  } finally {
    process.off('warning', onWarning)
  }
  return seen
}

describe('cli: a large get leaks no listeners', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-warnings-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('through a stub daemon, to a file and to stdout, with the signal of a command', async () => {
    const files = new FileStore()
    files.add('big.bin', randomBytes(24 * 1024 * 1024))
    const daemon = await startStubDaemon({}, { files })
    try {
      const warnings = await listenerWarnings(async () => {
        const signals = new EventEmitter()
        const toFile = await runCli(['get', 'big.bin', '-o', 'out.bin', '--api', daemon.url], { cwd: dir, isTTY: false, signals })
        assert.equal(toFile.code, 0, toFile.stderr)
        const toStdout = await runCli(['get', 'big.bin', '-o', '-', '--api', daemon.url],
          { cwd: dir, isTTY: false, signals, stdoutBytes: new ByteCapture() })
        assert.equal(toStdout.code, 0, toStdout.stderr)
      })
      assert.deepEqual(warnings, [])
    } finally {
      await daemon.close()
    }
  })

  it('through a real daemon (its API streams the file back in many chunks)', async () => {
    const signals = new EventEmitter()
    const stdout = new Capture()
    const stderr = new Capture()
    const node = join(dir, 'node')
    const done = main(['--bootstrap', '--k', '1', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--data-dir', node],
      { stdout, stderr, signals, exit: () => { throw new Error('unexpected second signal') } })
    try {
      await Promise.race([
        stdout.waitFor('press Ctrl-C', 20_000),
        done.then(code => { throw new Error(`daemon exited ${code}: ${stderr.text}`) })
      ])
      const cwd = join(dir, 'work')
      await mkdir(cwd)
      await writeFile(join(cwd, 'big.bin'), randomBytes(24 * 1024 * 1024))
      const put = await runCli(['put', 'big.bin', '--data-dir', node], { cwd, isTTY: false })
      assert.equal(put.code, 0, put.stderr)
      const warnings = await listenerWarnings(async () => {
        const get = await runCli(['get', 'big.bin', '-o', 'fetched.bin', '--data-dir', node],
          { cwd, isTTY: false, signals: new EventEmitter() })
        assert.equal(get.code, 0, get.stderr)
      })
      assert.deepEqual(warnings, [])
    } finally {
      signals.emit('SIGINT')
      await done
    }
  })
})
