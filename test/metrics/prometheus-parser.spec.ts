// The tests' Prometheus text parser (test/utils/prometheus.ts) is strict: it reads what prom-client writes, and
// refuses each way an exposition can break the format, so the metrics specs that use it can fail.
import assert from 'node:assert/strict'
import { Counter, Histogram, Registry } from 'prom-client'
import { counterOf, parsePrometheus, valueOf } from '../utils/prometheus.js'

describe('metrics: the tests\' Prometheus text parser', () => {
  it('reads what prom-client writes: types, help, labels with escapes, histograms', async () => {
    const registry = new Registry()
    const counter = new Counter({ name: 'x_total', help: 'a "help" with \\ and\nlines', labelNames: ['a'], registers: [registry] })
    counter.inc({ a: 'quote " back \\ line \n end' }, 3)
    const histogram = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['op'], buckets: [0.1, 1], registers: [registry] })
    histogram.observe({ op: 'put' }, 0.5)
    histogram.observe({ op: 'put' }, 5)
    const families = parsePrometheus(await registry.metrics())
    assert.equal(families.get('x_total')?.type, 'counter')
    assert.equal(families.get('x_total')?.help, 'a "help" with \\ and\nlines')
    assert.equal(valueOf(families, 'x_total', { a: 'quote " back \\ line \n end' }), 3)
    assert.equal(families.get('h_seconds')?.type, 'histogram')
    assert.equal(valueOf(families, 'h_seconds_bucket', { op: 'put', le: '1' }), 1)
    assert.equal(valueOf(families, 'h_seconds_bucket', { op: 'put', le: '+Inf' }), 2)
    assert.equal(valueOf(families, 'h_seconds_count', { op: 'put' }), 2)
    assert.equal(counterOf(families, 'x_total', { a: 'other' }), 0)
  })

  it('refuses what the format does not allow', () => {
    const bad: Array<[string, string]> = [
      ['no final line feed', '# TYPE a counter\na 1'],
      ['a bad metric name', '1a 1\n'],
      ['a value that is no number', 'a one\n'],
      ['no value', 'a{b="c"}\n'],
      ['an unquoted label value', 'a{b=c} 1\n'],
      ['an unknown escape', 'a{b="\\t"} 1\n'],
      ['an unterminated label value', 'a{b="c} 1\n'],
      ['a label twice', 'a{b="1",b="2"} 1\n'],
      ['a series twice', 'a{b="1"} 1\na{b="1"} 2\n'],
      ['a second TYPE', '# TYPE a counter\n# TYPE a gauge\na 1\n'],
      ['a TYPE after the samples', 'a 1\n# TYPE a counter\n'],
      ['a family split in two', 'a 1\nb 1\na{c="d"} 1\n'],
      ['an unknown type', '# TYPE a meter\na 1\n'],
      ['a negative counter', '# TYPE a counter\na -1\n'],
      ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
      ['buckets that are not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
      ['+Inf unlike _count', '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 2\n'],
      ['a bucket without le', '# TYPE h histogram\nh_bucket 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
      ['le on a histogram\'s _sum', '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum{le="1"} 1\nh_count 1\n'],
      ['a bad timestamp', 'a 1 soon\n']
    ]
    for (const [what, text] of bad) assert.throws(() => parsePrometheus(text), Error, `accepted ${what}`)
  })
})
