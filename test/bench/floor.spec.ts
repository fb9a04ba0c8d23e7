// The transfer benchmark's floor (bench/lib/floor.ts): the least CPU a put costs, summed from pieces measured
// apart, and the MB/s that allows on this machine's cores.
import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { floorLines } from '../../bench/lib/floor.js'
import type { Row } from '../../bench/lib/report.js'

const GiB = 2 ** 30
const MB = 1e6

/** A row of `size` bytes that took `ms` and the given CPU seconds per process. */
const row = (what: string, cpu: Record<string, number>, ms = 1000, size = GiB): Row =>
  ({ what, size, ms, procs: Object.entries(cpu).map(([name, s]) => ({ name, peak: 0, cpu: s })) })

const floorRows = (size = GiB): Row[] => [
  row('floor: HTTP body alone (the bench → a node:http server that drops it)', { server: 0.4, bench: 0.1 }, 1000, size),
  row('floor: SHA-256, one pass (64 KiB pieces)', { worker: 0.5, bench: 0.2 }, 1000, size),
  row('floor: write into a new file (writev per MiB, datasync every 32 MiB, fsync)', { worker: 1, bench: 0 }, 1000, size),
  row(
    'floor: the same write right after writing and deleting a file as large (memory the page cache just gave back)',
    { worker: 0.25 }, 1000, size
  )
]
// Three raw runs whose sender + receiver cost 2.5, 3 and 4 CPU-s per GiB: the floor takes the median, 3.
const rawRows = [
  row('raw libp2p stream (run 1)', { sender: 1, receiver: 1.5 }),
  row('raw libp2p stream (run 2)', { sender: 1, receiver: 2 }),
  row('raw libp2p stream (run 3)', { sender: 1, receiver: 3 })
]
const targets = { k1Ratio: 0.7, k3Ratio: 0.5 }
const includes = (text: string, part: string): void => assert.ok(text.includes(part), `expected ${JSON.stringify(part)} in:\n${text}`)
const ceiling = (cpuPerGiB: number): string => (availableParallelism() / cpuPerGiB * GiB / MB).toFixed(0)

describe('bench floor', () => {
  it('sums the pieces a put cannot avoid into its least CPU, and divides the cores by it', () => {
    // k = 1: HTTP 0.5 + raw 3 + 2 × SHA-256 0.5 (the worker's CPU only) + write 1 = 5.5; k = 3: 0.5 + 9 + 1 + 3 = 13.5.
    const put1 = row('put, k = 1 (2 processes)', { entry: 3, holder: 3 }, 4000)
    const text = floorLines([...rawRows, ...floorRows(), put1], new Map([[GiB, 400]]), targets).join('\n')
    includes(text, 'raw stream 3.00 (sender and receiver, median of 3)')
    includes(text, `put, k = 1: at least 5.5 CPU-s per GiB (HTTP + raw + 2 × SHA-256 + write), so at most ${ceiling(5.5)} MB/s`)
    includes(text, `put, k = 3: at least 13.5 CPU-s per GiB (HTTP + 3 × raw + 2 × SHA-256 + 3 × write), so at most ${ceiling(13.5)} MB/s`)
    includes(text, `= ${(5.5 / 13.5).toFixed(2)}× the k = 1 ceiling`)
    // The put used 6 CPU-s per GiB, 0.5 more than its pieces.
    includes(text, 'with 6.0 CPU-s per GiB (0.5 above the sum of its pieces)')
    // With the write into reused memory (0.25): k = 1 4.75.
    includes(text, `Writing into reused memory: ${(availableParallelism() / 4.75 * GiB / MB / 400).toFixed(2)}× the raw stream`)
    includes(text, 'not measured in this run')
  })

  it('says nothing for a size whose floor was not measured, or when a piece failed', () => {
    assert.deepEqual(floorLines(rawRows, new Map([[GiB, 400]]), targets), [])
    const failed = floorRows().map((r, i) => i === 1 ? { ...r, failed: 'worker exited' } : r)
    assert.deepEqual(floorLines([...rawRows, ...failed], new Map([[GiB, 400]]), targets), [])
  })
})
