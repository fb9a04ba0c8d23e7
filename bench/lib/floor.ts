// The work a put cannot do without, measured piece by piece in the same run as the puts it bounds, and the most a
// put could reach on this machine's cores if it did nothing else. The pieces:
//   - the HTTP body alone: the bench sends it to a bare node:http server that drops it (both processes' CPU);
//   - one SHA-256 pass over the bytes in 64 KiB pieces (the entry makes two: the chunk hashes and the whole file);
//   - the bytes written into a new file as a blob is written (the page cache, a datasync every 32 MiB, one fsync),
//     and the same write into memory the page cache has just given back, which costs a tenth of that here: this
//     machine is a virtual machine whose host takes back memory the guest leaves free, and fresh memory is
//     expensive to touch again;
//   - the raw libp2p stream's runs (sender and receiver; the receiver hashes once, as a storing hop does).
// A put with k = 1 cannot cost less than HTTP + one raw stream + two SHA-256 passes + one write; with k = 3, HTTP +
// three raw streams (entry → primary → replica → replica) + two passes + three writes.
import { availableParallelism } from 'node:os'
import { CHILD_SCRIPT, makeTempDir, message, removeTempDir, spawnChild, stopChild } from './children.js'
import { MiB } from './content.js'
import { sendBody } from './http.js'
import { measure, transferTimeout } from './measure.js'
import { FLOOR_PREFIX, MB, mbps, medianRow, type Row } from './report.js'
import { fmt, median } from './stats.js'
import type { SinkReady, Worked } from './child.js'

const HTTP_ROW = `${FLOOR_PREFIX}HTTP body alone (the bench → a node:http server that drops it)`
const SHA_ROW = `${FLOOR_PREFIX}SHA-256, one pass (64 KiB pieces)`
const WRITE_ROW = `${FLOOR_PREFIX}write into a new file (writev per MiB, datasync every 32 MiB, fsync)`
const REUSED_ROW = `${FLOOR_PREFIX}the same write right after writing and deleting a file as large (memory the page cache just gave back)`

/**
 * The least size the floor is measured for: below it a piece of work takes a few of the 10 ms CPU ticks /proc
 * counts in, and process start-up is most of a transfer, so a sum of pieces says nothing.
 */
export const FLOOR_MIN_BYTES = 256 * MiB

/** Runs of each piece of work; the median run is reported. */
const FLOOR_RUNS = 3

/** The four floor rows for `size` bytes whose SHA-256 is `hash`, each the median of FLOOR_RUNS runs. */
export async function floorRuns (size: number, hash: string): Promise<Row[]> {
  const runs: Row[][] = [[], [], [], []]
  for (let i = 0; i < FLOOR_RUNS; i++) {
    runs[0].push(await httpRun(size))
    runs[1].push(await workRun(SHA_ROW, size, hash))
    runs[2].push(await workRun(WRITE_ROW, size, hash))
    runs[3].push(await workRun(REUSED_ROW, size, hash))
  }
  return runs.map(medianRow)
}

/**
 * glibc's malloc settings of the HTTP server: the top of its heap is not given back to the kernel until 64 MiB
 * are free there. With the defaults the bare server's CPU per GiB swings between 0.4 and 4.6 from run to run on
 * this machine (the read buffers' memory given back and faulted in again); so the floor takes its least. The
 * nodes run with the defaults: the same settings did not make them cheaper (BENCHMARKS.md).
 */
const SINK_MALLOC = { MALLOC_TRIM_THRESHOLD_: String(64 * MiB), MALLOC_TOP_PAD_: String(16 * MiB) }

/** The HTTP body alone: the bench sends it, a bare node:http server reads and drops it. */
async function httpRun (size: number): Promise<Row> {
  const sink = spawnChild('server', ['http-sink'], CHILD_SCRIPT, SINK_MALLOC)
  try {
    const { url } = await message<SinkReady>(sink, 'ready', 30_000)
    const m = await measure([sink], async () => {
      const { status, body } = await sendBody(new URL(url), { 'content-type': 'application/octet-stream' }, size)
      const got = (JSON.parse(body) as { bytes?: number }).bytes
      if (status !== 201 || got !== size) throw new Error(`the HTTP sink answered ${status} ${body}, expected 201 and ${size} bytes`)
    })
    return floorRow(HTTP_ROW, size, m)
  } finally {
    await stopChild(sink)
  }
}

/**
 * One pass of SHA-256, or one write into a new file (removed after it, as a put's previous version is, so that
 * the next run may reuse its memory), by a worker process.
 */
async function workRun (what: string, size: number, hash: string): Promise<Row> {
  const dir = await makeTempDir('chord-peer-bench-floor-')
  const kind = what === SHA_ROW ? 'sha256' : what === WRITE_ROW ? 'write' : 'write-reused'
  const worker = spawnChild('worker', ['work', kind, String(size), dir])
  try {
    await message(worker, 'ready', 30_000)
    const m = await measure([worker], async () => {
      worker.proc.stdin!.write('go\n')
      const done = await message<Worked>(worker, 'worked', transferTimeout(size))
      if (done.bytes !== size || (what === SHA_ROW && done.hash !== hash)) {
        throw new Error(`the worker did ${done.bytes} B ${done.hash.slice(0, 12)}, expected ${size} B ${hash.slice(0, 12)}`)
      }
      return done
    })
    // The worker's own clock: the work alone, without the messages to and from it.
    return floorRow(what, size, { ...m, ms: m.value?.ms ?? m.ms })
  } finally {
    await stopChild(worker)
    await removeTempDir(dir)
  }
}

function floorRow (what: string, size: number, m: { ms: number, error?: Error, procs: Row['procs'] }): Row {
  const row: Row = { what, size, ms: m.ms, procs: m.procs }
  if (m.error !== undefined) row.failed = m.error.message
  return row
}

const GiB = 2 ** 30

/**
 * Per size with floor rows, the CPU-s per GiB a put with k = 1 and k = 3 costs at least (the sum of its pieces),
 * the MB/s that allows on this machine's cores with all of them busy on the put, and the measured puts against
 * it and the targets (`k1Ratio`: put k = 1 ÷ raw stream; `k3Ratio`: put k = 3 ÷ put k = 1). The same ceilings
 * with the write into reused memory say what a machine whose page cache costs that would allow.
 */
export function floorLines (rows: Row[], raw: Map<number, number>, targets: { k1Ratio: number, k3Ratio: number }): string[] {
  const cores = availableParallelism()
  const out: string[] = []
  const cpu = (r: Row, names?: string[]): number =>
    r.procs.filter(p => names === undefined || names.includes(p.name)).reduce((a, p) => a + p.cpu, 0) / (r.size / GiB)
  const ceiling = (cpuPerGiB: number): number => cores / cpuPerGiB * GiB / MB
  for (const [size, base] of raw) {
    const ok = (what: string): Row | undefined => rows.find(r => r.size === size && r.what.startsWith(what) && r.failed === undefined)
    const [http, sha, write, reused] = [HTTP_ROW, SHA_ROW, WRITE_ROW, REUSED_ROW].map(ok)
    const raws = rows.filter(r => r.size === size && r.what.startsWith('raw') && r.failed === undefined)
    if (http === undefined || sha === undefined || write === undefined || reused === undefined || raws.length === 0) continue
    const h = cpu(http)
    const s = cpu(sha, ['worker'])
    const w = cpu(write, ['worker'])
    const wr = cpu(reused, ['worker'])
    const r = median(raws.map(x => cpu(x)))
    const floor1 = (write: number): number => h + r + 2 * s + write
    const floor3 = (write: number): number => h + 3 * r + 2 * s + 3 * write
    const put1 = ok('put, k = 1 (')
    const put3 = ok('put, k = 3 (')
    const measured = (put: Row | undefined, floor: number): string => {
      if (put === undefined) return 'not measured in this run'
      const over = cpu(put) - floor
      return `measured ${fmt(mbps(put), 0)} MB/s, ${fmt(mbps(put) / ceiling(floor))} of that, with ${fmt(cpu(put), 1)} CPU-s ` +
        `per GiB (${fmt(Math.abs(over), 1)} ${over < 0 ? 'below' : 'above'} the sum of its pieces)`
    }
    out.push(
      `- ${size / MiB} MiB: HTTP body ${fmt(h, 2)}, raw stream ${fmt(r, 2)} (sender and receiver, median of ${raws.length}), ` +
        `SHA-256 ${fmt(s, 2)}, write ${fmt(w, 2)} (into reused memory ${fmt(wr, 2)}) CPU-s per GiB.`,
      `  - put, k = 1: at least ${fmt(floor1(w), 1)} CPU-s per GiB (HTTP + raw + 2 × SHA-256 + write), so at most ` +
        `${fmt(ceiling(floor1(w)), 0)} MB/s on ${cores} cores = ${fmt(ceiling(floor1(w)) / base)}× the raw stream ` +
        `(target ≥ ${targets.k1Ratio}× = ${fmt(targets.k1Ratio * base, 0)} MB/s); ${measured(put1, floor1(w))}. ` +
        `Writing into reused memory: ${fmt(ceiling(floor1(wr)) / base)}× the raw stream.`,
      `  - put, k = 3: at least ${fmt(floor3(w), 1)} CPU-s per GiB (HTTP + 3 × raw + 2 × SHA-256 + 3 × write), so at most ` +
        `${fmt(ceiling(floor3(w)), 0)} MB/s = ${fmt(floor1(w) / floor3(w))}× the k = 1 ceiling` +
        (put1 === undefined ? '' : ` and ${fmt(ceiling(floor3(w)) / mbps(put1))}× the k = 1 put measured`) +
        ` (target ≥ ${targets.k3Ratio}× the k = 1 put); ${measured(put3, floor3(w))}. ` +
        `Writing into reused memory: ${fmt(floor1(wr) / floor3(wr))}× the k = 1 ceiling.`
    )
  }
  const title = `The least a put costs (the floor rows and the raw stream of this run; ceilings with all ${cores} cores busy on the put):`
  return out.length === 0 ? [] : ['', title, ...out]
}
