// The progress module: when bars are drawn at all, and what a cli-progress bar shows on a (fake) terminal.
import assert from 'node:assert/strict'
import { barFactory, progressFor, progressLine } from '../../src/cli/progress.js'
import { Capture } from '../utils/cli.js'
import type { ProgressFactory } from '../../src/cli/progress.js'

/** A stderr that says it is a terminal. */
function fakeTerminal (columns = 120): Capture & { isTTY: boolean, columns: number } {
  return Object.assign(new Capture(), { isTTY: true, columns })
}

/** The lines a bar drew, without cli-progress's cursor moves (ESC 7, ESC [1G, ESC [0K, ESC 8). */
function drawnLines (text: string): string[] {
  // eslint-disable-next-line no-control-regex
  return text.split(/\x1b\[\d*[GK]|\x1b[78]|\r|\n/).filter(line => line !== '')
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

  it('on an 80-column terminal a long label still leaves room for the speed and the ETA', () => {
    const terminal = fakeTerminal(80)
    const bar = barFactory(terminal)({ label: 'get photos/2024/holiday-in-the-mountains-day-3.tar.gz', total: 5 * 1024 ** 3 })
    bar.update(1024 ** 3)
    bar.stop()
    const lines = drawnLines(terminal.text)
    assert.ok(lines.length > 0)
    for (const line of lines) {
      assert.ok([...line].length < 80, `fits in 80 columns: ${JSON.stringify(line)}`)
      assert.match(line, /^get photos\/\S*… \d+% \| [\d.]+ \w*B \/ 5\.0 GiB \| (-|[\d.]+ \w+\/s) \| ETA (\?|\d+s|\d+m\d\ds|\d+h\d\dm)$/)
    }
    assert.match(lines.at(-1) ?? '', / 20% \| 1\.0 GiB \/ 5\.0 GiB \| /)
  })

  it('shrinks the bar first, then drops it, then cuts the label', () => {
    const fields = { label: 'put notes.pdf', fraction: 0.5, done: '1.0 MiB', size: '2.0 MiB', speed: '3.1 MiB/s', time: '1s' }
    const tail = ' 50% | 1.0 MiB / 2.0 MiB | 3.1 MiB/s | ETA 1s'
    /** The columns that leave room for a bar of `n` (one column stays free). */
    const withBar = (n: number): number => 'put notes.pdf'.length + ' ['.length + n + ']'.length + tail.length + 1
    assert.equal(progressLine(fields, 120), `put notes.pdf [${'='.repeat(12)}${'-'.repeat(12)}]${tail}`, 'full bar when wide')
    const narrow = progressLine(fields, withBar(12))
    assert.equal(narrow, `put notes.pdf [${'='.repeat(6)}${'-'.repeat(6)}]${tail}`)
    assert.equal(narrow.length, withBar(12) - 1)
    assert.equal(progressLine(fields, withBar(5)), `put notes.pdf${tail}`, 'no bar once it would be too small')
    assert.equal(progressLine(fields, tail.length + 1 + 8), `put not…${tail}`, 'then the label is cut')
    const unknown = progressLine({ ...fields, fraction: undefined, label: 'put a-very-long-name-from-stdin.tar' }, 40)
    assert.equal(unknown, 'put a-very-lo… 1.0 MiB | 3.1 MiB/s | 1s')
    assert.equal(unknown.length, 39)
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
