// `chord-peer config [--data-dir <dir>] [--json]`: how the daemon of a data dir starts when given only
// `--data-dir` (its config.json, written at each start). Needs no running daemon.
import { join } from 'node:path'
import { CONFIG_FILE, DEFAULT_LISTEN, loadConfigOrFail } from './daemon-config.js'
import { fieldBlock, printable } from './format.js'
import { EXIT_OK } from './context.js'
import type { Field } from './format.js'
import type { Printers } from './context.js'
import type { DaemonConfig } from './daemon-config.js'

export async function configCommand (io: Printers, args: { dataDir: string, json?: boolean }): Promise<number> {
  const config = await loadConfigOrFail(args.dataDir)
  if (args.json === true) io.printJson(config)
  else io.print(formatConfig(config, join(args.dataDir, CONFIG_FILE)))
  return EXIT_OK
}

export function formatConfig (c: DaemonConfig, file: string): string {
  const fields: Field[] = [
    ['file', printable(file)],
    ['role', c.role],
    ['connect', (c.connect ?? []).map(printable)],
    ['listen', (c.listen ?? [DEFAULT_LISTEN]).map(printable)],
    ['api', printable(c.api ?? '127.0.0.1:0')]
  ]
  const optional: Array<[string, string | string[] | undefined]> = [
    ['api hosts', c.apiHost],
    ['k', c.k],
    ['admission', c.admission],
    ['join timeout', c.joinTimeout === undefined ? undefined : `${c.joinTimeout} s`],
    ['s3 bucket', c.s3Bucket],
    ['s3 endpoint', c.s3Endpoint],
    ['s3 region', c.s3Region],
    ['s3 prefix', c.s3Prefix],
    ['swarm key', c.swarmKey],
    ['max storage', c.maxStorage],
    ['scrub rate', c.scrubRate],
    ['log level', c.logLevel],
    ['log format', c.logFormat]
  ]
  for (const [label, value] of optional) {
    if (value !== undefined) fields.push([label, Array.isArray(value) ? value.map(printable) : printable(value)])
  }
  return fieldBlock(fields)
}
