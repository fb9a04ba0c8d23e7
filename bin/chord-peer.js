#!/usr/bin/env -S node --single-threaded-gc --no-incremental-marking --max-semi-space-size=4
// The `chord-peer` command: a shim into the compiled CLI (run `npm run build` first). The polyfill goes first.
import '../dist/src/polyfill.js'
import { main } from '../dist/src/cli/index.js'

const code = await main(process.argv.slice(2))
// Exit once stdout/stderr have flushed (piped output must not be cut), without waiting for idle keep-alive
// connections of the HTTP client to time out.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))
