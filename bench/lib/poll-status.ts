// A process of its own that asks a node's `GET /api/status` one request after another, 20 ms apart, until a line
// arrives on stdin, then reports every latency (ms) and how many requests failed or took over 5 s, as one stdout
// line `@@{"polled": true, latencies, failed}`. Run apart from the process that floods the node, the figures are
// the node's, not those of a flooder busy encrypting its own streams (bench/floods.ts). The API token comes in
// CHORD_PEER_API_TOKEN.
//   CHORD_PEER_API_TOKEN=<token> node --import tsx bench/lib/poll-status.ts <api url>
const url = new URL('/api/status', process.argv[2])
const headers = { authorization: `Bearer ${process.env.CHORD_PEER_API_TOKEN ?? ''}` }
let stopping = false
process.stdin.on('data', () => { stopping = true })
process.stdin.on('end', () => { stopping = true })

const latencies: number[] = []
let failed = 0
process.stdout.write('@@' + JSON.stringify({ ready: true }) + '\n')
while (!stopping) {
  const t0 = performance.now()
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) })
    await res.arrayBuffer()
    if (!res.ok) failed++
  } catch {
    failed++
  }
  latencies.push(performance.now() - t0)
  await new Promise(resolve => setTimeout(resolve, 20))
}
process.stdout.write('@@' + JSON.stringify({ polled: true, latencies, failed }) + '\n')
process.exit(0)
