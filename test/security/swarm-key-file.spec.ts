// Swarm key files (src/config.ts): Kubo's `swarm.key` format is accepted (any line ends, a trailing newline,
// upper-case hex) and returned in one canonical form; anything else is an InvalidInputError naming the file.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseSwarmKey, readSwarmKey } from '../../src/config.js'

const HEX = '0123456789abcdef'.repeat(4)
const CANONICAL = `/key/swarm/psk/1.0.0/\n/base16/\n${HEX}`
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
const encode = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('swarm key files', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'chord-peer-swarm-key-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  const accepted: Array<[string, string]> = [
    ['the canonical form', CANONICAL],
    ['a trailing newline', `${CANONICAL}\n`],
    ['CRLF line ends', CANONICAL.replaceAll('\n', '\r\n') + '\r\n'],
    ['upper-case hex', `/key/swarm/psk/1.0.0/\n/base16/\n${HEX.toUpperCase()}`]
  ]
  for (const [what, content] of accepted) {
    it(`accepts ${what}`, () => {
      assert.equal(text(parseSwarmKey(encode(content))), CANONICAL)
    })
  }

  const rejected: Array<[string, string | Uint8Array, RegExp]> = [
    ['an empty file', '', /first line is not \/key\/swarm\/psk\/1\.0\.0\//],
    ['another header', `/key/swarm/psk/2.0.0/\n/base16/\n${HEX}`, /first line/],
    ['a base64 key (Kubo knows it, @libp2p/pnet does not)', `/key/swarm/psk/1.0.0/\n/base64/\n${'A'.repeat(44)}`, /only \/base16\/ is supported/],
    ['no encoding line', `/key/swarm/psk/1.0.0/\n${HEX}`, /second line is not \/base16\//],
    ['a short key', `/key/swarm/psk/1.0.0/\n/base16/\n${HEX.slice(2)}`, /64 hex digits/],
    ['a key that is not hex', `/key/swarm/psk/1.0.0/\n/base16/\n${'g'.repeat(64)}`, /64 hex digits/],
    ['a fourth line', `${CANONICAL}\nmore`, /more than three lines/],
    ['bytes that are not UTF-8', new Uint8Array([0xff, 0xfe, 0x00, 0x80]), /not text/]
  ]
  for (const [what, content, reason] of rejected) {
    it(`rejects ${what}, naming the file`, async () => {
      const file = join(dir, 'bad.key')
      await writeFile(file, content)
      assert.throws(() => readSwarmKey(file), (err: Error) => {
        assert.equal(err.name, 'InvalidInputError')
        assert.ok(err.message.includes(file), err.message)
        assert.match(err.message, /is not a swarm key/)
        assert.match(err.message, reason)
        return true
      })
    })
  }

  it('reads a file in the format and returns its canonical form', async () => {
    const file = join(dir, 'ok.key')
    await writeFile(file, `${CANONICAL}\n`)
    assert.equal(text(readSwarmKey(file)), CANONICAL)
  })

  it('rejects a missing file, a directory and a large file with InvalidInputError naming them', async () => {
    const missing = join(dir, 'missing.key')
    assert.throws(() => readSwarmKey(missing), (err: Error) => err.name === 'InvalidInputError' && /does not exist/.test(err.message) &&
      err.message.includes(missing))
    assert.throws(() => readSwarmKey(dir), (err: Error) => err.name === 'InvalidInputError' && err.message.includes(dir))
    const big = join(dir, 'big.key')
    await writeFile(big, `${CANONICAL}\n${'#'.repeat(10_000)}`)
    assert.throws(() => readSwarmKey(big), (err: Error) => err.name === 'InvalidInputError' && /10\d{3} bytes/.test(err.message))
  })
})
