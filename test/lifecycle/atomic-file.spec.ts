// writeFileAtomic: the file holds the old content or the new, never a mix, and no temp file is left behind.
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeFileAtomic } from '../../src/atomic-file.js'

describe('writeFileAtomic', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'chord-peer-atomic-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('replaces the content whole, with the mode asked for a new file, and leaves no temp file', async () => {
    const file = join(dir, 'view.json')
    await writeFile(file, 'old')
    await writeFileAtomic(file, 'new content')
    assert.equal(await readFile(file, 'utf8'), 'new content')
    await writeFileAtomic(join(dir, 'secret'), 'x', { mode: 0o600 })
    assert.equal((await stat(join(dir, 'secret'))).mode & 0o777, 0o600)
    assert.deepEqual((await readdir(dir)).sort(), ['secret', 'view.json'])
  })

  it('a write that fails leaves the old file as it was and no temp file', async () => {
    const target = join(dir, 'taken')
    await mkdir(join(target, 'inside'), { recursive: true }) // a non-empty directory: the rename over it fails
    await assert.rejects(writeFileAtomic(target, 'new'))
    assert.deepEqual(await readdir(dir), ['taken'])
    assert.deepEqual(await readdir(target), ['inside'])
  })
})
