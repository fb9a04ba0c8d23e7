// Transfer benchmark: `node --import tsx --import ./src/polyfill.ts bench/transfer.ts [--size MiB[,MiB…]] [--quick]`.
// Every node is its own process. In one run it measures
//   1. the baseline: one raw libp2p stream (tcp + noise + yamux, the stack the nodes use) between two processes,
//      1 MiB send()s with onDrain() backpressure, the receiver SHA-256-hashing what it reads (three runs: at the
//      start, between the rings and at the end; the median is the baseline);
//   2. put and get over the HTTP API of a node that holds no copy, on a 2-process ring with k = 1 (entry + owner)
//      and a 4-process ring with k = 3 (entry + the 3 holders): the bytes cross the network on every hop. The
//      PUT body is generated on the fly and the GET body hashed on the fly; the hash is checked both ways;
//   3. the same get read inside the entry node (`{"read": name}` on its stdin: FilesService.read, every chunk
//      verified there against the record, whose whole-file hash is checked), without the HTTP hop to a third
//      process — the like-for-like of the raw stream (one SHA-256 pass on the receiving side in both);
//   4. the same bytes through Helia 7 (bitswap; unixfs, 1 MiB raw leaves) between two processes, when the separate
//      package bench/helia is installed (`npm ci --prefix bench/helia`); otherwise that row is skipped;
//   5. the peak RSS (VmHWM, reset before each transfer) and CPU seconds of every process, this one included.
// --size takes MiB (default 1024; a comma list runs each size); --quick makes the default 64 MiB and writes no file.
// Results (MB = 10^6 bytes) go to stdout and, unless --quick, to bench/transfer-results.md. A transfer that fails
// is reported as FAILED with the error and the nodes' log lines; when a put fails, the file is put through its
// primary instead so that get can still be measured.
// Run `npm run build` first: the children run the compiled dist/ tree (see transfer-child.ts).
import '../src/polyfill.js'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, rmSync, statSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request, type IncomingMessage } from 'node:http'
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { fmt, median } from './stats.js'
import { MiB, cpuSecondsOf, expectedHash, memoryOf, pseudoRandomChunks, resetPeak } from './transfer-data.js'
import type { PeerArgs, PeerReady, RawReady, RawReceived, RawSent, ReadDone } from './transfer-child.js'
import type { LocateJson, PutJson, RingJson } from '../src/api/types.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RESULTS = join(ROOT, 'bench', 'transfer-results.md')
const COMMAND = 'node --import tsx --import ./src/polyfill.ts bench/transfer.ts'
const MB = 1e6
/** Targets from the issue. */
const GET_RATIO_TARGET = 0.9
const HELIA_TARGET = 3
const RSS_TARGET = 200 * MB
const RAW_RUNS = 3
const GET_RUNS = 5

// ---- child processes ---------------------------------------------------------------------------------------

interface Child {
  name: string
  proc: ChildProcess
  pid: number
  messages: Array<Record<string, unknown>>
  waiters: Array<() => void>
  stderr: string[]
  exited?: string
}

const children = new Set<Child>()
const tempDirs = new Set<string>()
let childDir = ''

/** Compile transfer-child.ts and transfer-data.ts to .mjs in a temp dir, imports pointed at dist/ and node_modules. */
async function buildChildScript (): Promise<string> {
  const peerJs = join(ROOT, 'dist', 'src', 'peer.js')
  if (!existsSync(peerJs)) throw new Error('dist/ is missing: run `npm run build` first')
  const stale = ['src/peer.ts', 'src/files/service.ts', 'src/files/store.ts', 'src/files/fetch.ts', 'src/api/server.ts']
    .filter(f => statSync(join(ROOT, f)).mtimeMs > statSync(peerJs).mtimeMs)
  if (stale.length > 0) console.error(`warning: ${stale.join(', ')} newer than dist/: run \`npm run build\` to measure the current code`)
  childDir = await mkdtemp(join(tmpdir(), 'chord-peer-bench-'))
  tempDirs.add(childDir)
  const resolve = (spec: string): string => {
    if (spec.startsWith('node:')) return spec
    if (spec.startsWith('../src/')) return pathToFileURL(join(ROOT, 'dist', 'src', spec.slice('../src/'.length))).href
    if (spec.startsWith('./')) return spec.replace(/\.js$/, '.mjs')
    return import.meta.resolve(spec)
  }
  // typescript's transpiler runs in a short-lived process: loaded here it would add ≈ 150 MB to this process's RSS.
  const names = ['transfer-child', 'transfer-data']
  const transpile = `import ts from 'typescript'; import { readFileSync } from 'node:fs'
    const out = {}
    for (const name of ${JSON.stringify(names)}) {
      const source = readFileSync(${JSON.stringify(join(ROOT, 'bench'))} + '/' + name + '.ts', 'utf8')
      out[name] = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText
    }
    process.stdout.write(JSON.stringify(out))`
  const compiled = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', transpile], { cwd: ROOT, maxBuffer: 16 * MiB, encoding: 'utf8' })) as Record<string, string>
  for (const name of names) {
    const js = compiled[name].replace(/^(import\s+(?:[^'"]*?\s+from\s+)?)(['"])([^'"]+)\2/gm, (_m, head: string, q: string, spec: string) => `${head}${q}${resolve(spec)}${q}`)
    await writeFile(join(childDir, `${name}.mjs`), js)
  }
  return join(childDir, 'transfer-child.mjs')
}

/**
 * Node flags of every child: the ones `chord-peer` runs with (bin/chord-peer.js, `npm start`), given to the raw
 * stream's and Helia's processes too so that every process runs on the same runtime settings.
 */
const DAEMON_NODE_FLAGS = ['--single-threaded-gc']

function spawnChild (name: string, args: string[], script = join(childDir, 'transfer-child.mjs')): Child {
  // BENCH_CHILD_NODE_ARGS: extra node flags for the children (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
  const nodeArgs = [...DAEMON_NODE_FLAGS, ...(process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(a => a !== '')]
  // The files log says why a store or fetch failed; it is shown when a transfer fails.
  const env = { ...process.env, DEBUG: process.env.DEBUG ?? 'chord-peer:files' }
  const proc = spawn(process.execPath, [...nodeArgs, script, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] })
  if (proc.pid === undefined) throw new Error(`cannot start ${name}`)
  const child: Child = { name, proc, pid: proc.pid, messages: [], waiters: [], stderr: [] }
  children.add(child)
  const wake = (): void => { for (const w of child.waiters.splice(0)) w() }
  createInterface({ input: proc.stdout! }).on('line', line => {
    if (line.startsWith('@@')) child.messages.push(JSON.parse(line.slice(2)) as Record<string, unknown>)
    wake()
  })
  createInterface({ input: proc.stderr! }).on('line', line => {
    child.stderr.push(line)
    if (child.stderr.length > 40) child.stderr.shift()
  })
  proc.stdin!.on('error', () => {})
  proc.on('exit', (code, signal) => {
    child.exited = `exited with ${signal ?? code}`
    children.delete(child)
    wake()
  })
  return child
}

/** The first message of `child` with field `key`, removed from its queue. */
async function message<T> (child: Child, key: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const i = child.messages.findIndex(m => key in m)
    if (i >= 0) return child.messages.splice(i, 1)[0] as T
    if (child.exited !== undefined) throw new Error(`${child.name} ${child.exited} before "${key}":\n${child.stderr.join('\n')}`)
    const left = deadline - Date.now()
    if (left <= 0) throw new Error(`${child.name} sent no "${key}" within ${timeoutMs} ms:\n${child.stderr.join('\n')}`)
    await new Promise<void>(resolve => {
      const t = setTimeout(resolve, left)
      child.waiters.push(() => { clearTimeout(t); resolve() })
    })
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
async function stopChild (child: Child): Promise<void> {
  if (child.exited !== undefined) return
  const gone = new Promise<void>(resolve => child.proc.once('exit', () => resolve()))
  child.proc.kill('SIGTERM')
  child.proc.stdin?.end()
  const t = setTimeout(() => child.proc.kill('SIGKILL'), 5_000)
  await gone
  clearTimeout(t)
}

function cleanupSync (): void {
  for (const child of children) child.proc.kill('SIGKILL')
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
}

async function cleanup (): Promise<void> {
  await Promise.all([...children].map(stopChild))
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true })
  tempDirs.clear()
}

// ---- measuring a phase -------------------------------------------------------------------------------------

interface ProcFigures { name: string, peak: number, cpu: number }
interface Measured<T> { ms: number, value?: T, error?: Error, procs: ProcFigures[] }

/** Run `fn` with every process's VmHWM reset first; report each one's peak RSS and CPU seconds over it, and fn's result or error. */
async function measure<T> (procs: Child[], fn: () => Promise<T>): Promise<Measured<T>> {
  const all = [...procs.map(c => ({ name: c.name, pid: c.pid })), { name: 'bench', pid: process.pid }]
  const peaks = new Map<number, number>()
  const cpu0 = new Map<number, number>()
  for (const p of all) {
    if (!resetPeak(p.pid)) peaks.set(p.pid, memoryOf(p.pid)?.rss ?? NaN)
    cpu0.set(p.pid, cpuSecondsOf(p.pid) ?? NaN)
  }
  // Sampling backs up VmHWM where clear_refs is not allowed.
  const sampler = setInterval(() => {
    for (const p of all) peaks.set(p.pid, Math.max(peaks.get(p.pid) ?? 0, memoryOf(p.pid)?.rss ?? 0))
  }, 100)
  const t0 = performance.now()
  let value: T | undefined
  let error: Error | undefined
  try {
    value = await fn()
  } catch (err) {
    error = err as Error
  } finally {
    clearInterval(sampler)
  }
  const ms = performance.now() - t0
  return {
    ms,
    value,
    error,
    procs: all.map(p => ({
      name: p.name,
      peak: Math.max(peaks.get(p.pid) ?? 0, memoryOf(p.pid)?.peak ?? 0),
      cpu: (cpuSecondsOf(p.pid) ?? NaN) - (cpu0.get(p.pid) ?? NaN)
    }))
  }
}

// ---- the raw baseline ----------------------------------------------------------------------------------------

interface Row {
  what: string
  size: number
  ms: number
  procs: ProcFigures[]
  note?: string
  /** Why the transfer failed (its time is then not a throughput). */
  failed?: string
}

async function rawRun (size: number, hash: string, label: string): Promise<Row> {
  const recv = spawnChild(`receiver`, ['raw-recv'])
  try {
    const ready = await message<RawReady>(recv, 'ready', 30_000)
    const send = spawnChild('sender', ['raw-send', ready.multiaddrs[0], String(size)])
    await message(send, 'connected', 30_000)
    const m = await measure([send, recv], async () => {
      send.proc.stdin!.write('go\n')
      const sent = await message<RawSent>(send, 'sent', transferTimeout(size))
      const received = await message<RawReceived>(recv, 'received', 10_000)
      return { sent, received }
    })
    if (m.value === undefined) throw m.error!
    const { sent, received } = m.value
    if (received.bytes !== size || received.hash !== hash || sent.hash !== hash) {
      throw new Error(`raw stream: received ${received.bytes} B with hash ${received.hash.slice(0, 12)}, expected ${size} B ${hash.slice(0, 12)}`)
    }
    await stopChild(send)
    // The sender's own clock: first send() to the receiver's reply (excludes process start and connection set-up).
    return { what: `raw libp2p stream (${label})`, size, ms: sent.ms, procs: m.procs }
  } finally {
    await stopChild(recv)
  }
}

// ---- rings ---------------------------------------------------------------------------------------------------

interface RingNode { child: Child, ready: PeerReady }

async function startRing (n: number, k: number): Promise<{ nodes: RingNode[], dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), `chord-peer-bench-ring${n}-`))
  tempDirs.add(dir)
  const nodes: RingNode[] = []
  const start = async (name: string, args: PeerArgs): Promise<RingNode> => {
    const child = spawnChild(name, ['peer', JSON.stringify(args)])
    return { child, ready: await message<PeerReady>(child, 'ready', 60_000) }
  }
  nodes.push(await start('node0', { bootstrap: true, k, dataDir: join(dir, 'node0') }))
  for (let i = 1; i < n; i++) nodes.push(await start(`node${i}`, { connect: [nodes[0].ready.multiaddrs[0]], dataDir: join(dir, `node${i}`) }))
  await until(`a correct ring of ${n}`, 60_000, async () => {
    const ring = await getJson<RingJson>(nodes[0].ready.apiUrl, '/api/ring?check=1')
    return ring.closed && ring.check?.ok === true && ring.members.length === n
  })
  return { nodes, dir }
}

async function stopRing (ring: { nodes: RingNode[], dir: string }): Promise<void> {
  await Promise.all(ring.nodes.map(async n => stopChild(n.child)))
  await rm(ring.dir, { recursive: true, force: true })
  tempDirs.delete(ring.dir)
}

/** The k nodes that hold `key` on a ring of `ids` (successor(key) and the next k − 1). */
function placement (key: string, ids: string[], k: number): string[] {
  const sorted = [...ids].sort((a, b) => (BigInt('0x' + a) < BigInt('0x' + b) ? -1 : 1))
  const kk = BigInt('0x' + key)
  let owner = sorted.findIndex(id => BigInt('0x' + id) >= kk)
  if (owner < 0) owner = 0
  return Array.from({ length: Math.min(k, sorted.length) }, (_, i) => sorted[(owner + i) % sorted.length])
}

/** A name whose k holders exclude `entry`, confirmed by the entry's own lookup (which waits for its successor lists). */
async function farName (prefix: string, entry: RingNode, nodes: RingNode[], k: number): Promise<{ name: string, holders: RingNode[] }> {
  const ids = nodes.map(n => n.ready.id)
  for (let i = 0; ; i++) {
    const name = `${prefix}-${i}`
    const want = placement(createHash('sha256').update(name).digest('hex'), ids, k)
    if (want.includes(entry.ready.id)) continue
    await until(`the entry to see the placement of ${name}`, 60_000, async () => {
      const loc = await getJson<LocateJson>(entry.ready.apiUrl, `/api/locate/${encodeURIComponent(name)}`)
      return loc.placement.map(p => p.id).join() === want.join()
    })
    return { name, holders: want.map(id => nodes.find(n => n.ready.id === id)!) }
  }
}

// ---- HTTP ----------------------------------------------------------------------------------------------------

async function getJson<T> (api: string, path: string): Promise<T> {
  const res = await fetch(new URL(path, api), { signal: AbortSignal.timeout(10_000) })
  const text = await res.text()
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${text}`)
  return JSON.parse(text) as T
}

async function until (what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    try {
      if (await check()) return
    } catch (err) {
      last = (err as Error).message
    }
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  throw new Error(`timed out waiting for ${what}${last === '' ? '' : ` (${last})`}`)
}

/** Generous: 60 s plus 5 MB/s. */
function transferTimeout (size: number): number {
  return Math.round(60_000 + size / (5 * MB) * 1000)
}

async function readAll (res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = []
  for await (const p of res) parts.push(p as Buffer)
  return Buffer.concat(parts).toString('utf8')
}

/** The next 'drain' of a writable; rejects if it closes first. */
async function drained (w: NodeJS.EventEmitter): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onDrain = (): void => { w.off('close', onClose); resolve() }
    const onClose = (): void => { w.off('drain', onDrain); reject(new Error('closed before drain')) }
    w.once('drain', onDrain)
    w.once('close', onClose)
  })
}

/** PUT `size` generated bytes (Content-Length, streamed with backpressure); resolves with the 201 body. */
async function putFile (api: string, name: string, size: number): Promise<PutJson> {
  const signal = AbortSignal.timeout(transferTimeout(size))
  return new Promise<PutJson>((resolve, reject) => {
    let answered = false
    const req = request(new URL(`/api/files/${encodeURIComponent(name)}`, api), {
      method: 'PUT',
      agent: false,
      signal,
      headers: { 'content-type': 'application/octet-stream', 'content-length': size }
    })
    req.on('error', reject)
    req.on('response', res => {
      answered = true
      readAll(res).then(body => {
        if (res.statusCode !== 201) reject(new Error(`PUT ${name}: ${res.statusCode} ${body}`))
        else resolve(JSON.parse(body) as PutJson)
      }, reject)
    })
    void (async () => {
      for (const chunk of pseudoRandomChunks(size)) {
        if (answered) return // an early answer is an error; stop sending
        if (!req.write(chunk)) await drained(req)
      }
      req.end()
    })().catch((err: unknown) => { if (!answered) req.destroy(err as Error) })
  })
}

/** GET and hash the body on the fly. */
async function getFile (api: string, name: string, size: number): Promise<{ bytes: number, hash: string }> {
  const signal = AbortSignal.timeout(transferTimeout(size))
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(new URL(`/api/files/${encodeURIComponent(name)}`, api), { agent: false, signal })
    req.on('response', resolve)
    req.on('error', reject)
    req.end()
  })
  if (res.statusCode !== 200) throw new Error(`GET ${name}: ${res.statusCode} ${await readAll(res)}`)
  const sha = createHash('sha256')
  let bytes = 0
  for await (const piece of res) {
    sha.update(piece as Buffer)
    bytes += (piece as Buffer).byteLength
  }
  return { bytes, hash: sha.digest('hex') }
}

// ---- put and get on a ring -----------------------------------------------------------------------------------

/** Why a transfer failed: the error and the nodes' last log lines that say "failed". */
function failure (err: Error, nodes: RingNode[]): string {
  const logs = nodes.flatMap(nd => nd.child.stderr.filter(l => /fail|error/i.test(l)).slice(-2).map(l => `${nd.child.name}: ${l.replace(/^\S+Z /, '')}`))
  return [err.message.replace(/\s+/g, ' '), ...logs].join(' / ').slice(0, 600)
}

async function ringRuns (size: number, hash: string, k: number): Promise<Row[]> {
  const n = k + 1
  const ring = await startRing(n, k)
  try {
    const entry = ring.nodes[0]
    const { name, holders } = await farName(`transfer-${size}-k${k}`, entry, ring.nodes, k)
    const label = (c: Child): string => c === entry.child ? 'entry' : k === 1 ? 'holder' : holders[0].child === c ? 'primary' : `replica${holders.findIndex(h => h.child === c)}`
    const named = [entry, ...holders].map(nd => ({ ...nd.child, name: label(nd.child) }))
    const rows: Row[] = []

    const put = await measure(named, async () => {
      const res = await putFile(entry.ready.apiUrl, name, size)
      const stored = res.holders.map(h => h.id)
      if (res.file.hash !== hash || res.file.size !== size) throw new Error(`put stored ${res.file.size} B ${res.file.hash.slice(0, 12)}, expected ${size} B ${hash.slice(0, 12)}`)
      if (stored.join() !== holders.map(h => h.ready.id).join()) throw new Error(`put acknowledged by ${stored.length} nodes (${stored.map(s => s.slice(0, 8)).join(', ')}), expected the ${k} holders`)
      return res
    })
    const putRow: Row = { what: `put, k = ${k} (${n} processes)`, size, ms: put.ms, procs: put.procs }
    if (put.value !== undefined) {
      putRow.note = `acked by ${put.value.holders.length}/${k}; node-side ${fmt(put.value.ms / 1000, 1)} s`
    } else {
      putRow.failed = failure(put.error!, ring.nodes)
      // Seed the file through the primary itself (for k = 1 a local write) so that get can still be measured.
      try {
        await putFile(holders[0].ready.apiUrl, name, size)
        putRow.failed += ' — for the get below, the file was put through the primary instead'
      } catch (err) {
        putRow.failed += ` — putting it through the primary failed too: ${(err as Error).message.replace(/\s+/g, ' ').slice(0, 200)}`
        rows.push(putRow, { what: `get, k = ${k} (from a non-holder)`, size, ms: NaN, procs: [], failed: 'not measured: the file could not be stored' })
        return rows
      }
    }
    rows.push(putRow)

    // Gets are short and this machine's speed drifts by tens of % within minutes: each get runs GET_RUNS times,
    // the HTTP and the node-side one alternating, and the median run is reported.
    const http: Row[] = []
    const inside: Row[] = []
    for (let i = 0; i < GET_RUNS; i++) {
      const get = await measure(named, async () => {
        const res = await getFile(entry.ready.apiUrl, name, size)
        if (res.bytes !== size || res.hash !== hash) throw new Error(`get returned ${res.bytes} B ${res.hash.slice(0, 12)}, expected ${size} B ${hash.slice(0, 12)}`)
        return res
      })
      http.push({ what: `get, k = ${k} (from a non-holder)`, size, ms: get.ms, procs: get.procs, ...(get.error === undefined ? { note: 'hash verified' } : { failed: failure(get.error, ring.nodes) }) })
      // The same get read inside the entry node (FilesService.read, every chunk verified), without the HTTP hop
      // to another process: what the raw stream's two processes compare with.
      const read = await measure(named, async () => {
        entry.child.proc.stdin!.write(JSON.stringify({ read: name }) + '\n')
        const done = await message<ReadDone>(entry.child, 'readDone', transferTimeout(size))
        if (done.bytes !== size || done.hash !== hash) throw new Error(`the node-side read returned ${done.error ?? `${done.bytes} B ${done.hash.slice(0, 12)}`}`)
        return done
      })
      inside.push({ what: `get, k = ${k}, node-side (read inside the entry, no HTTP)`, size, ms: read.value?.ms ?? read.ms, procs: read.procs, ...(read.error === undefined ? { note: 'every chunk verified in the entry, the record\'s hash checked' } : { failed: failure(read.error, ring.nodes) }) })
    }
    rows.push(medianRow(http), medianRow(inside))
    return rows
  } finally {
    await stopRing(ring)
  }
}

/** The run with the median MB/s (a failed run if any failed), noting every run's MB/s. */
function medianRow (runs: Row[]): Row {
  const failed = runs.find(r => r.failed !== undefined)
  if (failed !== undefined) return failed
  const sorted = [...runs].sort((a, b) => mbps(a) - mbps(b))
  const mid = sorted[Math.floor(sorted.length / 2)]
  return { ...mid, note: `${mid.note ?? ''}; median of ${runs.length} runs: ${runs.map(r => fmt(mbps(r), 0)).join(' / ')} MB/s` }
}

// ---- Helia ---------------------------------------------------------------------------------------------------

const HELIA = join(ROOT, 'bench', 'helia')

/** The same bytes through Helia 7 (bitswap, unixfs with 1 MiB raw leaves) between two processes; undefined when bench/helia is not installed. */
async function heliaRun (size: number, hash: string): Promise<Row | undefined> {
  if (!existsSync(join(HELIA, 'node_modules', 'helia'))) {
    console.error('  Helia: skipped (install it with `npm ci --prefix bench/helia`)')
    return undefined
  }
  const dir = await mkdtemp(join(tmpdir(), 'chord-peer-bench-helia-'))
  tempDirs.add(dir)
  const script = join(HELIA, 'helia-child.mjs')
  const provider = spawnChild('provider', ['provider', String(size), join(dir, 'provider')], script)
  try {
    const ready = await message<{ multiaddrs: string[], cid: string, importMs: number }>(provider, 'ready', transferTimeout(size))
    const fetcher = spawnChild('fetcher', ['fetcher', ready.multiaddrs[0], ready.cid, join(dir, 'fetcher')], script)
    try {
      await message(fetcher, 'connected', 30_000)
      const m = await measure([provider, fetcher], async () => {
        fetcher.proc.stdin!.write('go\n')
        const got = await message<{ bytes: number, hash: string, ms: number, error?: string }>(fetcher, 'received', transferTimeout(size) * 4)
        if (got.error !== undefined) throw new Error(`Helia ${got.error}`)
        if (got.bytes !== size || got.hash !== hash) throw new Error(`Helia returned ${got.bytes} B ${got.hash.slice(0, 12)}, expected ${size} B ${hash.slice(0, 12)}`)
        return got
      })
      const row: Row = { what: 'Helia 7 bitswap get (2 processes)', size, ms: m.value?.ms ?? m.ms, procs: m.procs, note: `hash verified; the provider's import took ${fmt(ready.importMs / 1000, 1)} s` }
      if (m.error !== undefined) row.failed = m.error.message
      return row
    } finally {
      await stopChild(fetcher)
    }
  } finally {
    await stopChild(provider)
    // Both blockstores hold the whole file: remove them now rather than at the end of the run.
    await rm(dir, { recursive: true, force: true })
    tempDirs.delete(dir)
  }
}

// ---- report --------------------------------------------------------------------------------------------------

const mbps = (r: Row): number => r.size / MB / (r.ms / 1000)

function table (rows: Row[], raw: Map<number, number>): string {
  const lines = [
    '| transfer | size | time s | MB/s | × raw stream | peak RSS MB per process | CPU s per process | notes |',
    '|---|---|---|---|---|---|---|---|'
  ]
  for (const r of rows) {
    const base = raw.get(r.size) ?? NaN
    if (r.failed !== undefined) {
      lines.push(`| ${r.what} | ${r.size / MiB} MiB | FAILED after ${fmt(r.ms / 1000)} s | – | – | ${r.procs.map(p => `${p.name} ${fmt(p.peak / MB, 0)}`).join(', ')} | ${r.procs.map(p => `${p.name} ${fmt(p.cpu, 1)}`).join(', ')} | ${r.failed.replace(/\|/g, '/')} |`)
      continue
    }
    const ratio = r.what.startsWith('raw') ? '' : Number.isNaN(base) ? '–' : fmt(mbps(r) / base)
    const target = r.what.startsWith('get') && !Number.isNaN(base) ? ` (target ≥ ${GET_RATIO_TARGET}: ${mbps(r) / base >= GET_RATIO_TARGET ? 'met' : 'NOT met'})` : ''
    const helia = rows.find(h => h.size === r.size && h.what.startsWith('Helia') && h.failed === undefined)
    const vsHelia = r.what.startsWith('get') && helia !== undefined ? `; ${fmt(mbps(r) / mbps(helia), 1)}× Helia (target ≥ ${HELIA_TARGET}: ${mbps(r) / mbps(helia) >= HELIA_TARGET ? 'met' : 'NOT met'})` : ''
    const peaks = r.procs.map(p => `${p.name} ${fmt(p.peak / MB, 0)}`).join(', ')
    const cpu = r.procs.map(p => `${p.name} ${fmt(p.cpu, 1)}`).join(', ')
    lines.push(`| ${r.what} | ${r.size / MiB} MiB | ${fmt(r.ms / 1000)} | ${fmt(mbps(r), 0)} | ${ratio}${target}${vsHelia} | ${peaks} | ${cpu} | ${r.note ?? ''} |`)
  }
  return lines.join('\n')
}

function rssSummary (rows: Row[]): string {
  const worst = new Map<string, number>()
  for (const r of rows) for (const p of r.procs) worst.set(p.name, Math.max(worst.get(p.name) ?? 0, p.peak))
  // The target is for chord-peer nodes; the raw stream's bare hosts and the bench are references.
  const over = [...worst].filter(([name, v]) => !['bench', 'sender', 'receiver', 'provider', 'fetcher'].includes(name) && v >= RSS_TARGET)
  const list = [...worst].map(([name, v]) => `${name} ${fmt(v / MB, 0)}`).join(', ')
  const failed = rows.some(r => r.failed !== undefined)
  return `Highest peak RSS per role over all transfers (MB): ${list}. Target < 200 MB per chord-peer node process (entry, holder, primary, replicas; the raw stream's bare hosts and Helia's provider and fetcher are references): ${over.length === 0 ? 'met' : `NOT met (${over.map(o => o[0]).join(', ')})`}` +
    `${failed ? ' in the transfers that ran (failed ones were cut short, so their peaks say little)' : ''}. The bench process runs under tsx (≈ 47 MB of it).`
}

/** The commit measured, and whether src/ had uncommitted changes (read-only git queries). */
function codeVersion (): string {
  try {
    const git = (args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = git(['status', '--porcelain', '--', 'src', 'protocols']).split('\n').filter(l => l !== '').length
    return `commit ${git(['rev-parse', '--short', 'HEAD'])}${dirty > 0 ? ` with uncommitted changes to ${dirty} files under src/ and protocols/` : ''}`
  } catch {
    return 'not a git checkout'
  }
}

function machine (): string {
  return `nproc ${availableParallelism()} (${cpus()[0]?.model ?? 'unknown cpu'}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform} ${process.arch}`
}

function notes (rows: Row[], raw: Map<number, number>): string {
  const out: string[] = []
  for (const [size, base] of raw) {
    const runs = rows.filter(r => r.size === size && r.what.startsWith('raw')).map(r => fmt(mbps(r), 0))
    out.push(`- Raw stream, ${size / MiB} MiB: ${runs.join(' / ')} MB/s in the ${runs.length} runs; the baseline is their median, ${fmt(base, 0)} MB/s.`)
  }
  const perGiB = (r: Row, name: string): string => {
    const p = r.procs.find(q => q.name === name)
    return p === undefined ? '?' : fmt(p.cpu / (r.size / 2 ** 30), 1)
  }
  for (const r of rows) {
    if (r.failed !== undefined) continue
    const names = r.procs.map(p => p.name)
    out.push(`- ${r.what}, ${r.size / MiB} MiB: CPU s per GiB moved: ${names.map(n => `${n} ${perGiB(r, n)}`).join(', ')}; ` +
      `sum ${fmt(r.procs.reduce((a, p) => a + p.cpu, 0) / (r.size / 2 ** 30), 1)} s per GiB against ${fmt(r.ms / 1000 * availableParallelism() / (r.size / 2 ** 30), 1)} core-s per GiB available.`)
  }
  out.push(
    '',
    'Reading the figures (from the CPU columns and from CPU profiles of the children, `BENCH_CHILD_NODE_ARGS="--cpu-prof',
    '--cpu-prof-dir=DIR"`):',
    '- The raw stream is bound by one core on the receiving side: noise decryption (node:crypto chacha20-poly1305,',
    '  one cipher object per ≤ 64 KiB noise message), yamux/Uint8ArrayList copies and the SHA-256 of the bench',
    '  (≈ 0.8 s per GiB) cost the receiver ≈ 3–4 CPU-s per GiB, the sender ≈ 2. 2 cores, so a transfer whose',
    '  processes need more than ≈ 2 × its wall time of CPU is CPU-bound: the "core-s available" figure above.',
    '- The same work takes different CPU time from run to run on this machine (a holder serving 1 GiB: 2–6 CPU-s;',
    '  the bench hashing 1 GiB: 1.3–5.5 CPU-s), so single runs mislead; compare the medians and the CPU columns.',
    '- Garbage collection is the largest cost after crypto and hashing: every 1 MiB read from disk and every',
    '  noise message is a new ArrayBuffer, and V8 starts a full mark for each few tens of MB of them.',
    '- A get from a non-holder moves every byte over noise once (holder → entry) and, through the HTTP API, over',
    '  plain HTTP once more (entry → bench), and hashes it twice (the entry verifies every chunk, the bench checks',
    '  the whole file). The node-side get stops at the entry: two processes and one hash, like the raw stream.',
    '  Three processes on 2 cores make the HTTP get CPU-bound (the "core-s available" figure), so its ratio',
    '  drops by the HTTP hop and the third process; the machine\'s speed also drifts by tens of % between runs,',
    '  hence GET_RUNS (5) runs of each get and the median.',
    '- A put crosses noise once per hop (k = 3: entry → primary → replica1 → replica2, pipelined, so its wall time',
    '  is set by the slowest hop while 4 processes share 2 cores), hashes 2–3 times per hop, and fsyncs the blob',
    '  on every holder before it acknowledges (1 GiB of dirty pages per holder).',
    '- The get reads blobs that were just written, from the page cache; a cold cache adds the disk.'
  )
  return out.join('\n')
}

// ---- main ----------------------------------------------------------------------------------------------------

function parseSizes (argv: string[]): number[] {
  const i = argv.indexOf('--size')
  if (i < 0) return [(argv.includes('--quick') ? 64 : 1024) * MiB]
  const sizes = (argv[i + 1] ?? '').split(',').map(s => Number(s) * MiB)
  if (sizes.some(s => !Number.isInteger(s) || s <= 0)) throw new Error(`--size takes MiB (a whole number, or a comma list), got ${argv[i + 1]}`)
  return sizes
}

async function main (): Promise<void> {
  const argv = process.argv.slice(2)
  const quick = argv.includes('--quick')
  const sizes = parseSizes(argv)
  // --only raw|k1|k3|helia: one part, for debugging (the ratios need the raw part).
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined
  const t0 = performance.now()
  const loadStart = loadavg()[0]
  await buildChildScript()
  const rows: Row[] = []
  const raw = new Map<number, number>()
  for (const size of sizes) {
    const hash = expectedHash(size)
    const sizeRows: Row[] = []
    const say = (r: Row): void => {
      sizeRows.push(r)
      console.error(`  ${r.what}, ${r.size / MiB} MiB: ${r.failed !== undefined ? `FAILED (${r.failed})` : `${fmt(r.ms / 1000)} s, ${fmt(mbps(r), 0)} MB/s`}`)
    }
    const want = (part: string): boolean => only === undefined || only === part
    if (want('raw')) say(await rawRun(size, hash, 'run 1'))
    if (want('k1')) for (const r of await ringRuns(size, hash, 1)) say(r)
    if (want('raw')) say(await rawRun(size, hash, 'run 2'))
    if (want('k3')) for (const r of await ringRuns(size, hash, 3)) say(r)
    if (want('raw')) for (let i = 3; i <= RAW_RUNS; i++) say(await rawRun(size, hash, `run ${i}`))
    if (want('helia')) {
      // Bitswap now and then stalls for good (the fetcher gives up after 30 s without a block): one more try.
      let helia = await heliaRun(size, hash)
      if (helia?.failed !== undefined) {
        const first = helia.failed
        helia = await heliaRun(size, hash)
        if (helia !== undefined) helia.note = `${helia.note ?? ''}; a first attempt failed: ${first}`
      }
      if (helia !== undefined) say(helia)
    }
    raw.set(size, median(sizeRows.filter(r => r.what.startsWith('raw')).map(mbps)))
    rows.push(...sizeRows.filter(r => r.what.startsWith('raw')), ...sizeRows.filter(r => !r.what.startsWith('raw')))
  }
  const seconds = (performance.now() - t0) / 1000
  const command = `${COMMAND} ${argv.join(' ')}`.trim()
  const text = [
    table(rows, raw),
    '',
    `MB = 10^6 bytes. × raw stream = MB/s ÷ the median raw-stream MB/s of the same size in this run. ${rssSummary(rows)}`,
    '',
    notes(rows, raw)
  ].join('\n')
  console.log(text)
  if (quick) {
    console.log(`\nquick run: ${fmt(seconds, 0)} s (results not written)`)
    return
  }
  const header = [
    '# Transfer benchmark results',
    '',
    `Command: \`${command}\` (after \`npm run build\`)`,
    `Date: ${new Date().toISOString()}; whole run ${fmt(seconds, 0)} s`,
    `Code: ${codeVersion()}, built to dist/`,
    `Machine: ${machine()}; load average (1 min) ${fmt(loadStart)} at start, ${fmt(loadavg()[0])} at end`,
    `Targets (issue): get ≥ ${GET_RATIO_TARGET}× the raw libp2p stream measured in the same run; peak RSS < 200 MB per process whatever the file size.`,
    '',
    'Every node is its own process (the compiled dist/ tree started with plain `node`). Put and get go through the',
    'HTTP API of an entry node that holds no copy, so every byte crosses the libp2p network: k = 1 is a 2-process',
    'ring (entry → holder), k = 3 a 4-process ring (entry → primary → replica1 → replica2, pipelined). The bench',
    'process generates the PUT body (1 MiB views of a 9 MiB ChaCha20 keystream pool) and hashes the GET body on the fly; peak RSS is VmHWM, reset',
    'before each transfer; CPU is user + system seconds from /proc over the transfer.',
    ''
  ]
  await writeFile(RESULTS, [...header, text, ''].join('\n'))
  console.log(`\nwritten to ${RESULTS} (${fmt(seconds, 0)} s)`)
}

process.on('exit', cleanupSync)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => { cleanupSync(); process.exit(130) })
}
// A hard limit, so a hung transfer cannot keep processes around.
setTimeout(() => { console.error('the benchmark took over 20 minutes: stopping'); cleanupSync(); process.exit(1) }, 20 * 60_000).unref()

main().then(
  async () => { await cleanup(); process.exit(0) },
  async (err: unknown) => {
    console.error(err)
    for (const child of children) if (child.stderr.length > 0) console.error(`--- ${child.name} (pid ${child.pid}) stderr:\n${child.stderr.join('\n')}`)
    await cleanup().catch(() => {})
    process.exit(1)
  }
)
