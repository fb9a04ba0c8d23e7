// `chord-peer dashboard [--no-open]`: ask the daemon for a one-time login code and print the dashboard's URL with
// it; on a desktop, open that URL in the browser too. The code travels in the URL's fragment (`#code=…`), which a
// browser never sends to a server, so no log or proxy sees it; the page trades it for a session cookie at once,
// and it is worth nothing after that, or after a minute.
import { spawn } from 'node:child_process'
import { EXIT_OK } from './context.js'
import type { CommandContext } from './context.js'

export interface DashboardArgs {
  /** Open the URL in a browser when there is a desktop (default true; `--no-open`). */
  open?: boolean
  json?: boolean
}

export interface UrlOpener {
  /** Whether a browser can be opened here (desktop-ish, not CI). */
  desktop: boolean
  open: (url: string) => void
}

export async function dashboardCommand (ctx: CommandContext, args: DashboardArgs, opener: UrlOpener): Promise<number> {
  const login = await ctx.client.loginCode({ signal: ctx.signal })
  const opening = args.open !== false && opener.desktop
  if (args.json === true) {
    ctx.printJson(login)
  } else {
    const seconds = Math.max(1, Math.round((login.expires - Date.now()) / 1000))
    ctx.print([
      `${opening ? 'opening' : 'open'} the dashboard in a browser on this machine (the link logs in once, within ${seconds} s):`,
      `  ${login.url}`
    ].join('\n'))
  }
  if (opening) opener.open(login.url)
  return EXIT_OK
}

/** A browser can be opened: macOS or Windows, or a Linux/BSD session with a display; never in CI. */
export function hasDesktop (env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  if (env.CI !== undefined && env.CI !== '' && env.CI !== 'false') return false
  if (platform === 'darwin' || platform === 'win32') return true
  return (env.DISPLAY ?? '') !== '' || (env.WAYLAND_DISPLAY ?? '') !== ''
}

/** Hand `url` to the desktop's opener (open, start, xdg-open), detached; if there is none, the printed URL does. */
export function openInBrowser (url: string, platform: NodeJS.Platform = process.platform): void {
  const [command, args] = platform === 'darwin'
    ? ['open', [url]]
    : platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]]
  const child = spawn(command, args, { detached: true, stdio: 'ignore' })
  child.on('error', () => {})
  child.unref()
}
