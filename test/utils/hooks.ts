// Root hooks (.mocharc.json `require`): when a test fails, print what the daemons it started printed and the end
// of their debug channel, so that a failure in CI says what the nodes saw, not only what the test saw.
import { reportDaemons, takeStarted } from '../../harness/processes.js'
import type { Context } from 'mocha'

/** The most of each daemon's output and debug channel printed, from the end. */
const TAIL_CHARS = 6_000

reportDaemons()

export const mochaHooks = {
  afterEach (this: Context): void {
    const daemons = takeStarted()
    if (this.currentTest?.state !== 'failed') return
    for (const d of daemons) {
      process.stdout.write(`\n----- daemon ${d.peerId === '' ? '(not up)' : d.peerId}: output -----\n${d.output().slice(-TAIL_CHARS)}` +
        `\n----- daemon ${d.peerId}: debug channel (the end) -----\n${d.debug().slice(-TAIL_CHARS)}\n`)
    }
  }
}
