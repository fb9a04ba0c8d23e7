// A strict parser of the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/), for tests: it throws on anything the format does
// not allow, so a test that scrapes /metrics also checks that a Prometheus server could read it. Checked: metric
// and label names, label value escapes, values (floats, NaN, ±Inf) and timestamps; one HELP and one TYPE per family,
// TYPE before the family's samples; each family's samples together; no series twice; histogram series
// (_bucket with `le`, _sum, _count), buckets cumulative and the +Inf bucket equal to _count; summaries' quantiles.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'

export interface Sample {
  /** The sample's own name (with `_bucket`, `_sum`, `_count` for a histogram's series). */
  name: string
  labels: Record<string, string>
  value: number
}

export interface Family {
  name: string
  type: MetricType
  help?: string
  samples: Sample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf|inf)$/

/** Parse an exposition; a descriptive Error on the first line that breaks the format. */
export function parsePrometheus (text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  const closed = new Set<string>() // families whose samples ended: none may follow
  const series = new Set<string>()
  let current: string | undefined
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition must end with a line feed')
  const lines = text.split('\n')
  lines.pop()
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1} (${JSON.stringify(line.slice(0, 80))})`
    try {
      if (line.trim() === '') continue
      if (line.startsWith('#')) {
        const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line)
        if (m === null) continue // a comment
        const [, keyword, name, rest = ''] = m
        if (!METRIC_NAME.test(name)) throw new Error(`bad metric name ${name}`)
        const family = familyOf(families, name)
        if (family.samples.length > 0 || closed.has(name)) throw new Error(`${keyword} of ${name} after its samples`)
        if (keyword === 'HELP') {
          if (family.help !== undefined) throw new Error(`a second HELP for ${name}`)
          family.help = unescape(rest, false)
        } else {
          if (family.typed === true) throw new Error(`a second TYPE for ${name}`)
          if (!TYPES.has(rest.trim())) throw new Error(`unknown type ${rest}`)
          family.type = rest.trim() as MetricType
          family.typed = true
        }
        continue
      }
      const sample = parseSample(line)
      const familyName = familyNameOf(families, sample.name)
      if (current !== familyName) {
        if (current !== undefined) closed.add(current)
        if (closed.has(familyName)) throw new Error(`the samples of ${familyName} are not together`)
        current = familyName
      }
      const family = familyOf(families, familyName)
      checkSeriesName(family, sample)
      const labels = Object.entries(sample.labels).sort(([a], [b]) => a < b ? -1 : 1)
      const key = `${sample.name}{${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`
      if (series.has(key)) throw new Error(`series ${key} twice`)
      series.add(key)
      family.samples.push(sample)
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`)
    }
  }
  for (const family of families.values()) {
    if (family.type === 'histogram') checkHistogram(family)
    delete (family as { typed?: boolean }).typed
  }
  return families
}

/** The value of the series `name{labels}` (exactly those labels); undefined when it is absent. */
export function valueOf (families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name !== name) continue
      const keys = Object.keys(s.labels)
      if (keys.length === Object.keys(labels).length && keys.every(k => s.labels[k] === labels[k])) return s.value
    }
  }
  return undefined
}

/** The value of a counter series, 0 when it has not appeared yet (counters start absent until first incremented). */
export function counterOf (families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  return valueOf(families, name, labels) ?? 0
}

function familyOf (families: Map<string, Family>, name: string): Family & { typed?: boolean } {
  let family = families.get(name)
  if (family === undefined) {
    family = { name, type: 'untyped', samples: [] }
    families.set(name, family)
  }
  return family
}

/** The family a sample belongs to: its own name, or a histogram's or summary's name without the suffix. */
function familyNameOf (families: Map<string, Family>, name: string): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue
    const base = families.get(name.slice(0, -suffix.length))
    if (base !== undefined && (base.type === 'histogram' || base.type === 'summary')) return base.name
  }
  return name
}

function checkSeriesName (family: Family, sample: Sample): void {
  const suffix = sample.name.slice(family.name.length)
  if (family.type === 'histogram') {
    if (!['_bucket', '_sum', '_count'].includes(suffix)) throw new Error(`histogram ${family.name} has a series ${sample.name}`)
    if (suffix === '_bucket' && sample.labels.le === undefined) throw new Error(`bucket without le: ${sample.name}`)
    if (suffix !== '_bucket' && sample.labels.le !== undefined) throw new Error(`le on ${sample.name}`)
  } else if (family.type === 'summary') {
    if (!['', '_sum', '_count'].includes(suffix)) throw new Error(`summary ${family.name} has a series ${sample.name}`)
    if (suffix === '' && sample.labels.quantile === undefined) throw new Error(`summary sample without quantile: ${sample.name}`)
  } else if (suffix !== '') {
    throw new Error(`${sample.name} in family ${family.name}`)
  }
  if (family.type === 'counter' && !(sample.value >= 0)) throw new Error(`counter ${sample.name} is ${sample.value}`)
}

/** Per label set (without le): buckets cumulative, ending with +Inf equal to _count. */
function checkHistogram (family: Family): void {
  const groups = new Map<string, { buckets: Array<[number, number]>, count?: number }>()
  const keyOf = (labels: Record<string, string>): string =>
    JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le').sort(([a], [b]) => a < b ? -1 : 1))
  for (const s of family.samples) {
    const key = keyOf(s.labels)
    const group = groups.get(key) ?? { buckets: [] }
    groups.set(key, group)
    if (s.name.endsWith('_bucket')) group.buckets.push([parseFloatValue(s.labels.le), s.value])
    if (s.name.endsWith('_count')) group.count = s.value
  }
  for (const [key, group] of groups) {
    const sorted = [...group.buckets].sort((a, b) => a[0] - b[0])
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i][1] < sorted[i - 1][1]) throw new Error(`histogram ${family.name}${key}: buckets not cumulative`)
    }
    const inf = sorted.at(-1)
    if (inf === undefined || inf[0] !== Infinity) throw new Error(`histogram ${family.name}${key}: no +Inf bucket`)
    if (group.count !== inf[1]) throw new Error(`histogram ${family.name}${key}: +Inf bucket ${inf[1]} ≠ _count ${group.count}`)
  }
}

/** `name{labels} value [timestamp]`. */
function parseSample (line: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(.*)$/.exec(line)
  if (m === null) throw new Error('not a sample')
  const name = m[1]
  let rest = m[2]
  const labels: Record<string, string> = {}
  if (rest.startsWith('{')) {
    let i = 1
    while (true) {
      while (rest[i] === ' ' || rest[i] === '\t') i++
      if (rest[i] === '}') { i++; break }
      const label = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(rest.slice(i))?.[0]
      if (label === undefined || !LABEL_NAME.test(label)) throw new Error('bad label name')
      if (label in labels) throw new Error(`label ${label} twice`)
      i += label.length
      while (rest[i] === ' ' || rest[i] === '\t') i++
      if (rest[i] !== '=') throw new Error(`no = after label ${label}`)
      i++
      while (rest[i] === ' ' || rest[i] === '\t') i++
      if (rest[i] !== '"') throw new Error(`label ${label}: value not quoted`)
      i++
      let raw = ''
      while (true) {
        const c = rest[i]
        if (c === undefined) throw new Error(`label ${label}: unterminated value`)
        if (c === '\n') throw new Error(`label ${label}: raw line feed`)
        if (c === '\\') {
          raw += rest.slice(i, i + 2)
          i += 2
          continue
        }
        i++
        if (c === '"') break
        raw += c
      }
      labels[label] = unescape(raw, true)
      while (rest[i] === ' ' || rest[i] === '\t') i++
      if (rest[i] === ',') { i++; continue }
      if (rest[i] === '}') { i++; break }
      throw new Error(`after label ${label}: expected , or }`)
    }
    rest = rest.slice(i)
  }
  const parts = rest.trim().split(/[ \t]+/)
  if (!/^[ \t]/.test(rest) || parts.length < 1 || parts.length > 2 || parts[0] === '') throw new Error('expected a value (and a timestamp)')
  const value = parseFloatValue(parts[0])
  if (parts.length === 2 && !/^-?\d+$/.test(parts[1])) throw new Error(`bad timestamp ${parts[1]}`)
  return { name, labels, value }
}

function parseFloatValue (text: string): number {
  if (text === 'NaN' || text === 'Nan') return NaN
  if (!FLOAT.test(text)) throw new Error(`bad value ${text}`)
  if (/Inf|inf/.test(text)) return text.startsWith('-') ? -Infinity : Infinity
  return Number(text)
}

/** Undo the escapes: `\\` and `\n` everywhere, `\"` in label values; any other backslash escape is an error. */
function unescape (text: string, labelValue: boolean): string {
  return text.replace(/\\(.?)/g, (_whole, c: string) => {
    if (c === '\\') return '\\'
    if (c === 'n') return '\n'
    if (c === '"' && labelValue) return '"'
    if (!labelValue) return `\\${c}` // HELP text keeps other backslashes as they are
    throw new Error(`bad escape \\${c}`)
  })
}
