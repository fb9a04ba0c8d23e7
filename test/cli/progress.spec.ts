// The progress module: when bars are drawn at all, and what a cli-progress bar shows on a (fake) terminal.
import assert from 'node:assert/strict'
import { barFactory, progressFor } from '../../src/cli/progress.js'
import { Capture } from '../utils/cli.js'
import type { ProgressFactory } from '../../src/cli/progress.js'

/** A stderr that says it is a terminal. */
function fakeTerminal (): Capture & { isTTY: boolean, columns: number } {
  return Object.assign(new Capture(), { isTTY: true, columns: 120 })
}

describe('cli: progress', () => {
  it('is on only for a terminal, and io.isTTY overrides what the stream says', () => {
    const stub: ProgressFactory = () => ({ update: () => {}, stop: () => {} })
    assert.equal(progressFor({ stderr: new Capture(), progress: stub }), undefined)
    assert.equal(progressFor({ stderr: fakeTerminal(), progress: stub }), stub)
    assert.equal(progressFor({ stderr: fakeTerminal(), isTTY: false, progress: stub }), undefined)
    assert.equal(progressFor({ stderr: new Capture(), isTTY: true, progress: stub }), stub)
    assert.equal(typeof progressFor({ stderr: fakeTerminal() }), 'function', 'cli-progress bars by default')
  })

  it('a bar shows the label, bytes done of total, percentage and speed', () => {
    const terminal = fakeTerminal()
    const bar = barFactory(terminal)({ label: 'put notes.pdf', total: 2 * 1024 * 1024 })
    bar.update(1024 * 1024)
    bar.update(2 * 1024 * 1024)
    bar.stop()
    bar.stop() // twice is harmless
    assert.match(terminal.text, /put notes\.pdf \[[^\]]+\] 100% \| 2\.0 MiB \/ 2\.0 MiB \| (-|[\d.]+ \w+\/s) \| ETA/)
  })

  it('with an unknown total it shows bytes and speed, no percentage', () => {
    const terminal = fakeTerminal()
    const bar = barFactory(terminal)({ label: 'put stdin' })
    bar.update(5000)
    bar.stop()
    assert.match(terminal.text, /put stdin 4\.9 KiB \| /)
    assert.doesNotMatch(terminal.text, /%/)
  })
})
