// `chord-peer get <name> -o - | head`: the reader goes away early, and the command ends quietly with exit 0.
// The real command in a child process (bin/chord-peer.js runs dist/: `npm run build` first), against the stub
// daemon in this process, its stdout a pipe that is closed after the first bytes.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { startStubDaemon } from '../utils/cli.js'
import { FileStore } from '../utils/file-stub.js'

const BIN = fileURLToPath(new URL('../../bin/chord-peer.js', import.meta.url))

describe('cli: get -o - into a closed pipe', () => {
  it('exits 0 with nothing on stderr once the reader stops reading', async () => {
    const files = new FileStore()
    files.add('big.bin', randomBytes(16 * 1024 * 1024))
    const daemon = await startStubDaemon({}, { files })
    try {
      const child = spawn(process.execPath, [BIN, 'get', 'big.bin', '-o', '-', '--api', daemon.url], {
        stdio: ['ignore', 'pipe', 'pipe']
      })
      let stderr = ''
      child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text })
      // Like `head -c`: take the first bytes, then close the pipe.
      child.stdout.once('data', () => { child.stdout.destroy() })
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => {
        child.on('close', (c, s) => { resolve([c, s]) })
      })
      assert.equal(stderr, '')
      assert.deepEqual({ code, signal }, { code: 0, signal: null })
    } finally {
      await daemon.close()
    }
  })
})
