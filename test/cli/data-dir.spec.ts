// The default data dir rule shared by the daemon and the client commands.
import assert from 'node:assert/strict'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultDataDir, resolveDataDir } from '../../src/cli/data-dir.js'

describe('cli: data dir', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chord-peer-datadir-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('is ./.chord-peer when that directory exists', async () => {
    await mkdir(join(dir, '.chord-peer'))
    assert.equal(defaultDataDir({ cwd: dir, home: '/home/u' }), join(dir, '.chord-peer'))
  })

  it('is ~/.chord-peer otherwise (a file named .chord-peer does not count)', async () => {
    assert.equal(defaultDataDir({ cwd: dir, home: '/home/u' }), '/home/u/.chord-peer')
    await writeFile(join(dir, '.chord-peer'), '')
    assert.equal(defaultDataDir({ cwd: dir, home: '/home/u' }), '/home/u/.chord-peer')
  })

  it('--data-dir wins and is resolved against cwd', () => {
    assert.equal(resolveDataDir('data', { cwd: dir, home: '/home/u' }), join(dir, 'data'))
    assert.equal(resolveDataDir('/abs', { cwd: dir }), '/abs')
    assert.equal(resolveDataDir(undefined, { cwd: dir, home: '/home/u' }), '/home/u/.chord-peer')
  })
})
