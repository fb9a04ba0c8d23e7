// `chord-peer invite [--supernode] [--ttl <duration>]`: ask the daemon (a supernode) to mint an invite, and print
// the token with the command that uses it. An invite lets one node in, once, before it expires: a new supernode
// always needs one, a peer only when the ring admits by invite (`--admission invite`).
import { InvalidInputError } from '../errors.js'
import { fieldBlock, formatDate } from './format.js'
import { EXIT_OK } from './context.js'
import type { CommandContext } from './context.js'
import type { InviteJson } from '../api/types.js'

export interface InviteArgs {
  supernode?: boolean
  /** A duration: `90s`, `30m`, `12h`, `7d`, or plain ms. */
  ttl?: string
  json?: boolean
}

/**
 * The longest invite the daemon mints: a week (src/trust/invites.ts MAX_INVITE_TTL_MS, which the daemon enforces;
 * repeated here to refuse a bad --ttl before asking it, without loading the trust code into every command).
 */
const MAX_INVITE_TTL_MS = 7 * 24 * 3_600_000
const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** A duration such as `30m` in ms; a usage error when it is not one (checked before the daemon is asked). */
export function parseTtl (text: string | undefined): number | undefined {
  if (text == null) return undefined
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim())
  const ms = m === null ? NaN : Number(m[1]) * UNITS[m[2] ?? 'ms']
  if (!(ms >= 1_000 && ms <= MAX_INVITE_TTL_MS)) {
    throw new InvalidInputError(`--ttl must be a duration from 1s to 7d (like 90s, 30m, 12h, 7d), got "${text}"`)
  }
  return Math.round(ms)
}

export async function inviteCommand (ctx: CommandContext, args: InviteArgs): Promise<number> {
  const ttlMs = parseTtl(args.ttl)
  const supernode = args.supernode === true
  const invite = await ctx.client.invite({ supernode, ...(ttlMs !== undefined ? { ttlMs } : {}), signal: ctx.signal })
  if (args.json === true) ctx.printJson(invite)
  else ctx.print(formatInvite(invite))
  return EXIT_OK
}

export function formatInvite (invite: InviteJson): string {
  const flags = invite.role === 'supernode' ? '--bootstrap --connect <a supernode\'s multiaddr>' : '--connect <a supernode\'s multiaddr>'
  return [
    fieldBlock([
      ['invite', invite.token],
      ['for', invite.role === 'supernode' ? 'one new supernode' : 'one peer'],
      ['expires', formatDate(invite.expires)]
    ]),
    `use it once: chord-peer ${flags} --invite ${invite.token}`
  ].join('\n')
}
