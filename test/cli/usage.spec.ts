// Usage errors exit 2 with a message on stderr; --help and --version exit 0 on stdout.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { runCli } from '../utils/cli.js'

describe('cli: usage', () => {
  it('--help lists the commands and exits 0', async () => {
    const { code, stdout, stderr } = await runCli(['--help'])
    assert.equal(code, 0)
    assert.equal(stderr, '')
    const words = ['status', 'ring', 'lookup', 'put', 'get', 'ls', 'locate', 'rm', '--bootstrap', '--connect', 'Exit codes']
    for (const word of words) assert.ok(stdout.includes(word), word)
    assert.match(stdout, /chord-peer get notes\.pdf -o out\.pdf/)
  })

  it('each command has --help', async () => {
    for (const command of ['status', 'ring', 'lookup', 'put', 'get', 'ls', 'locate', 'rm']) {
      const { code, stdout } = await runCli([command, '--help'])
      assert.equal(code, 0, command)
      assert.match(stdout, new RegExp(`^Usage: chord-peer ${command}`, 'm'))
    }
    const help = await runCli(['help', 'ring'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /--check/)
  })

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    const { code, stdout } = await runCli(['--version'])
    assert.equal(code, 0)
    assert.equal(stdout.trim(), version)
  })

  const usageErrors: Array<[string, string[], RegExp]> = [
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['an unknown option', ['status', '--frob'], /unknown option '--frob'/],
    ['a daemon flag given to a client command', ['ring', '--bootstrap'], /unknown option '--bootstrap'/],
    ['a missing argument', ['lookup'], /missing required argument/],
    ['--id with --name', ['lookup', 'x', '--id', '--name', '--api', '127.0.0.1:9'], /either --id or --name/],
    ['an --api that is not host:port', ['status', '--api', 'localhost'], /expected host:port/],
    ['an --api with a path', ['status', '--api', 'http://127.0.0.1:4001/api'], /origin/],
    ['an --api without a value', ['status', '--api'], /argument missing/],
    ['put - without --name', ['put', '-', '--api', '127.0.0.1:9'], /needs --name/],
    ['put without a path', ['put'], /missing required argument 'path'/],
    ['get without a name', ['get'], /missing required argument 'name'/],
    ['get of the name ..', ['get', '..', '--api', '127.0.0.1:9'], /cannot be "\.\."/],
    ['get -o - with --json', ['get', 'x', '-o', '-', '--json', '--api', '127.0.0.1:9'], /cannot also print --json/],
    ['rm of the name .', ['rm', '.', '--api', '127.0.0.1:9'], /cannot be "\."/],
    ['locate with an empty name', ['locate', '', '--api', '127.0.0.1:9'], /cannot be empty/],
    ['ls --limit 0', ['ls', '--limit', '0', '--api', '127.0.0.1:9'], /--limit must be/],
    ['an extra argument to status', ['status', 'extra', '--api', '127.0.0.1:9'], /^error: status: unexpected argument 'extra'$/m],
    ['an extra argument to ls', ['ls', 'x', '--api', '127.0.0.1:9'], /^error: ls: unexpected argument 'x'$/m],
    ['extra arguments to get', ['get', 'a.txt', 'b.txt', 'c.txt', '--api', '127.0.0.1:9'],
      /^error: get: unexpected arguments 'b\.txt' 'c\.txt'$/m],
    ['an extra argument to locate', ['locate', 'a', 'b', '--api', '127.0.0.1:9'], /^error: locate: unexpected argument 'b'$/m],
    ['an extra argument to rm', ['rm', 'a', 'b', '--api', '127.0.0.1:9'], /^error: rm: unexpected argument 'b'$/m],
    ['an extra argument to lookup', ['lookup', 'a', 'b', '--api', '127.0.0.1:9'], /^error: lookup: unexpected argument 'b'$/m],
    ['an extra argument to ring', ['ring', 'x', '--api', '127.0.0.1:9'], /^error: ring: unexpected argument 'x'$/m],
    ['an extra argument to leader', ['leader', 'x', '--api', '127.0.0.1:9'], /^error: leader: unexpected argument 'x'$/m],
    ['an extra argument to invite', ['invite', 'x', '--api', '127.0.0.1:9'], /^error: invite: unexpected argument 'x'$/m],
    ['an extra argument to swarm-key', ['swarm-key', 'a.key', 'b.key'], /^error: swarm-key: unexpected argument 'b\.key'$/m],
    ['put of two paths with --name', ['put', 'a', 'b', '--name', 'n', '--api', '127.0.0.1:9'], /--name names one file/]
  ]
  for (const [what, argv, message] of usageErrors) {
    it(`${what} exits 2`, async () => {
      const { code, stdout, stderr } = await runCli(argv)
      assert.equal(code, 2)
      assert.equal(stdout, '')
      assert.match(stderr, message)
    })
  }
})
