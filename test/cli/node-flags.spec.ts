// The Node flags a daemon runs with are set in three places: the `chord-peer` command's shebang, `npm start`, and
// the benchmarks' children (which measure what users run). They must agree, and this Node must accept them (V8
// flags come and go between Node versions; an unknown one stops node before it runs a line).
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { DAEMON_NODE_FLAGS } from '../../bench/lib/children.js'

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

describe('cli: node flags', () => {
  it('the chord-peer command, npm start and the benchmarks run node with the same flags', () => {
    const shebang = read('bin/chord-peer.js').split('\n')[0]
    const match = /^#!\/usr\/bin\/env -S node((?: --[\w=-]+)*)$/.exec(shebang)
    assert.ok(match !== null, `unexpected shebang: ${shebang}`)
    const fromShebang = match[1].trim().split(' ')
    const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start
    assert.equal(start, `node ${fromShebang.join(' ')} bin/chord-peer.js`)
    assert.deepEqual(DAEMON_NODE_FLAGS, fromShebang)
  })

  it('this node accepts every one of them', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [...DAEMON_NODE_FLAGS, '-e', 'console.log("ok")'])
    assert.equal(stdout.trim(), 'ok')
  })
})
