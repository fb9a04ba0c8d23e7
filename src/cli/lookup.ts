// `chord-peer lookup <name-or-key>`: which node owns a key, and the iterative lookup's path to it.
// A name is hashed by the daemon (key = SHA-256 of the name); `--id`, or an argument of 64 hex digits, is a key.
import { InvalidInputError } from '../errors.js'
import { fieldBlock, formatNode } from './format.js'
import { EXIT_OK } from './context.js'
import type { CommandContext } from './context.js'
import type { LookupJson } from '../api/types.js'
import type { LookupOptions } from '../client/index.js'

export interface LookupArgs {
  target: string
  json?: boolean
  /** Treat the argument as a raw key in hex. */
  id?: boolean
  /** Treat the argument as a file name even if it looks like a key. */
  name?: boolean
}

const FULL_KEY = /^[0-9a-f]{64}$/i
const HEX_KEY = /^(?:0x)?([0-9a-f]{1,64})$/i

export async function lookupCommand (ctx: CommandContext, args: LookupArgs): Promise<number> {
  const result = await ctx.client.lookup({ ...lookupQuery(args), signal: ctx.signal })
  if (args.json === true) ctx.printJson(result)
  else ctx.print(formatLookup(result))
  return EXIT_OK
}

/** Decide between a name and a raw key. */
export function lookupQuery (args: LookupArgs): LookupOptions {
  if (args.id === true && args.name === true) throw new InvalidInputError('give either --id or --name, not both')
  if (args.target === '') throw new InvalidInputError('the name or key must not be empty')
  if (args.id === true) {
    const match = HEX_KEY.exec(args.target)
    if (match == null) throw new InvalidInputError(`--id expects a key of 1 to 64 hex digits, got "${args.target}"`)
    return { id: match[1].toLowerCase().padStart(64, '0') } // the ring point as the daemon takes it: 64 digits
  }
  if (args.name !== true && FULL_KEY.test(args.target)) return { id: args.target.toLowerCase() }
  return { name: args.target }
}

export function formatLookup (r: LookupJson): string {
  return fieldBlock([
    ...(r.name == null ? [] : [['name', r.name] as [string, string]]),
    ['key', r.key],
    ['owner', formatNode(r.owner)],
    ['successors', r.successors.map((node, i) => `${i + 1}. ${formatNode(node)}`)],
    ['hops', String(r.hops)],
    ['path', r.path.map((node, i) => `${i + 1}. ${formatNode(node)}`)],
    ['time', `${r.ms < 10 ? r.ms.toFixed(1) : Math.round(r.ms)} ms`]
  ])
}
