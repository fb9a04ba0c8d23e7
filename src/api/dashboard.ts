// The dashboard's static files: the page itself (the web/ folder at the package root, plain ES modules with no
// build step) and the few library files it imports, taken from their npm packages through an explicit
// allow-list. Nothing else on disk can be named by a URL. Every file is read once, on its first request, and
// kept with its gzipped bytes. Each answer carries a strict Content-Security-Policy: scripts and styles from
// this origin only (plus the page's inline import map, by its hash), connections to this origin only, no
// frames, no foreign fonts or images. So the page makes no request that leaves the node. These files hold no
// data: the routes that serve them are open (server.ts), and the page asks the API for everything it shows.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { dirname, extname, join } from 'node:path'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import { NotFoundError } from '../errors.js'
import { packageInfo } from './package.js'

/** The page's own files, in web/ (a test checks that this list and the folder agree). */
export const PAGE_FILES: readonly string[] = [
  'index.html', 'app.js', 'api.js', 'overview.js', 'ring.js', 'files.js', 'live.js', 'style.css', 'favicon.svg'
]

/**
 * `/vendor/<name>` → a file of an npm package (a dependency in package.json): the allow-list. The page's import
 * map (web/index.html) names the same URLs.
 */
export const VENDOR_FILES: Readonly<Record<string, { pkg: string, file: string }>> = {
  'preact.mjs': { pkg: 'preact', file: 'dist/preact.mjs' },
  'hooks.mjs': { pkg: 'preact', file: 'hooks/dist/hooks.mjs' },
  'htm.mjs': { pkg: 'htm', file: 'dist/htm.mjs' },
  'uPlot.esm.js': { pkg: 'uplot', file: 'dist/uPlot.esm.js' },
  'uPlot.min.css': { pkg: 'uplot', file: 'dist/uPlot.min.css' }
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml'
}

/** One file as it is served. */
export interface StaticFile {
  type: string
  raw: Buffer
  gzipped: Buffer
  etag: string
}

/** The policy of every answer; `scriptHashes`: the page's inline scripts (its import map) by SHA-256. */
export function contentSecurityPolicy (scriptHashes: readonly string[]): string {
  return [
    "default-src 'none'",
    `script-src 'self'${scriptHashes.map(h => ` 'sha256-${h}'`).join('')}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join('; ')
}

const gzipAsync = promisify(gzip)

/** The files of one package root, loaded on demand. */
export class DashboardFiles {
  private readonly loaded = new Map<string, Promise<StaticFile>>()
  private policy?: Promise<string>

  constructor (private readonly root: string = packageInfo().root) {}

  /** The web/ folder. */
  get webDir (): string {
    return join(this.root, 'web')
  }

  /** A page file (`index.html`) or a vendor file (`vendor/preact.mjs`); NotFoundError for any name not listed. */
  async get (name: string): Promise<StaticFile> {
    const path = this.pathOf(name)
    if (path === undefined) throw new NotFoundError(`no such file: /${name === 'index.html' ? '' : name}`)
    let file = this.loaded.get(name)
    if (file === undefined) {
      file = load(path, name.startsWith('vendor/'))
      this.loaded.set(name, file)
      file.catch(() => { this.loaded.delete(name) }) // a missing file is tried again next time
    }
    return await file
  }

  /** The Content-Security-Policy: it allows the inline import map of index.html by its hash. */
  async csp (): Promise<string> {
    this.policy ??= this.get('index.html').then(page => contentSecurityPolicy(inlineScriptHashes(page.raw.toString('utf8'))))
    this.policy.catch(() => { this.policy = undefined })
    return await this.policy
  }

  private pathOf (name: string): string | undefined {
    if (name.startsWith('vendor/')) {
      const entry = Object.hasOwn(VENDOR_FILES, name.slice(7)) ? VENDOR_FILES[name.slice(7)] : undefined
      return entry === undefined ? undefined : join(packageDir(this.root, entry.pkg), entry.file)
    }
    return PAGE_FILES.includes(name) ? join(this.webDir, name) : undefined
  }
}

async function load (path: string, vendor: boolean): Promise<StaticFile> {
  let raw: Buffer
  try {
    raw = await readFile(path)
  } catch (err) {
    throw new NotFoundError(`the dashboard file ${path} is missing: ${(err as Error).message}`, { cause: err })
  }
  // A library's source map is not on the list: drop the comment that would have a browser's tools ask for it.
  if (vendor) raw = Buffer.from(raw.toString('utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'))
  const type = TYPES[extname(path)] ?? 'application/octet-stream'
  const etag = `"${createHash('sha256').update(raw).digest('base64url').slice(0, 27)}"`
  return { type, raw, gzipped: await gzipAsync(raw, { level: 9 }), etag }
}

/** Where an npm package is installed: node_modules of the package root, or of a folder above (hoisted). */
function packageDir (root: string, pkg: string): string {
  for (let dir = root; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', pkg)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dirname(dir) === dir) return join(root, 'node_modules', pkg) // reported as missing when read
  }
}

/** SHA-256 (base64) of each inline `<script>` of a page, as CSP hash sources name them. */
export function inlineScriptHashes (html: string): string[] {
  const hashes: string[] = []
  for (const m of html.matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)) {
    hashes.push(createHash('sha256').update(m[1], 'utf8').digest('base64'))
  }
  return hashes
}

/** Answer `req` with `file`: gzipped when the client takes it, 304 when it has these bytes already. */
export function sendStatic (req: IncomingMessage, res: ServerResponse, file: StaticFile, csp: string): void {
  const headers: Record<string, string | number> = {
    'content-type': file.type,
    // The names carry no hash: a browser asks again each time, and a 304 answers when nothing changed.
    'cache-control': 'no-cache',
    etag: file.etag,
    vary: 'accept-encoding',
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin'
  }
  if (req.headers['if-none-match']?.split(',').some(tag => tag.trim() === file.etag) === true) {
    res.writeHead(304, headers)
    res.end()
    return
  }
  const zipped = acceptsGzip(req.headers['accept-encoding'])
  const body = zipped ? file.gzipped : file.raw
  if (zipped) headers['content-encoding'] = 'gzip'
  headers['content-length'] = body.byteLength
  res.writeHead(200, headers)
  res.end(req.method === 'HEAD' ? undefined : body)
}

/** Whether an Accept-Encoding header takes gzip (and does not refuse it with q=0). */
function acceptsGzip (header: string | undefined): boolean {
  if (header === undefined) return false
  return header.split(',').some(part => {
    const [coding, ...params] = part.trim().toLowerCase().split(';')
    if (coding.trim() !== 'gzip' && coding.trim() !== '*') return false
    const q = params.map(p => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(v => v !== undefined)
    return q === undefined || Number(q) > 0
  })
}
