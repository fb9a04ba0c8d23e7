// One node per data dir, in-process (src/data-dir-lock.ts): a second createPeer on a dir in use fails naming the
// first; a stale lock (its pid dead) is taken over, by one of two nodes racing for it; a stop releases the lock;
// a failed start removes the data dir it made; libp2p's listen failure becomes one line naming --listen.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { DataDirLock } from '../../src/data-dir-lock.js'
import { createHost } from '../../src/net/host.js'
import { fromLibp2pListenError } from '../../src/net/listen.js'
import { createPeer, type Peer } from '../../src/peer.js'
import { closedPort } from '../utils/cli.js'

/** The pid of a process that has exited. */
async function deadPid (): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await once(child, 'exit')
  return child.pid!
}

async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}

describe('data dir lock', function () {
  this.timeout(60_000)
  let dir: string
  const peers: Peer[] = []

  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'chord-peer-lock-')) })
  afterEach(async () => {
    await Promise.all(peers.splice(0).map(async p => p.stop({ leave: false })))
    await rm(dir, { recursive: true, force: true })
  })

  it('a second createPeer on a data dir in use fails naming the first; a stop releases the dir', async () => {
    const dataDir = join(dir, 'node')
    const first = await createPeer({ bootstrap: true, dataDir, listen: ['/ip4/127.0.0.1/tcp/0'] })
    peers.push(first)
    await assert.rejects(createPeer({ bootstrap: true, dataDir, listen: ['/ip4/127.0.0.1/tcp/0'] }), (err: Error) => {
      assert.equal((err as { code?: string }).code, 'ERR_DATA_DIR_BUSY')
      assert.equal(err.message, `a chord-peer daemon (pid ${process.pid}, API ${first.apiUrl}) already uses ${dataDir}`)
      return true
    })
    assert.ok(await exists(join(dataDir, 'lock')))
    await first.stop({ leave: false })
    assert.equal(await exists(join(dataDir, 'lock')), false, 'the stop released the lock')
    const again = await createPeer({ bootstrap: true, dataDir, listen: ['/ip4/127.0.0.1/tcp/0'] })
    peers.push(again)
    assert.equal(again.peerId, first.peerId)
  })

  it('a lock whose process is dead is taken over', async () => {
    const dataDir = join(dir, 'node')
    await mkdir(dataDir)
    await writeFile(join(dataDir, 'lock'), JSON.stringify({ pid: await deadPid(), api: 'http://127.0.0.1:1' }))
    const peer = await createPeer({ bootstrap: true, dataDir, listen: ['/ip4/127.0.0.1/tcp/0'] })
    peers.push(peer)
    assert.deepEqual(JSON.parse(await readFile(join(dataDir, 'lock'), 'utf8')), { pid: process.pid, api: peer.apiUrl })
  })

  it('of two takers racing for a stale lock, one gets it', async () => {
    for (let round = 0; round < 20; round++) {
      const dataDir = join(dir, `race-${round}`)
      await mkdir(dataDir)
      await writeFile(join(dataDir, 'lock'), JSON.stringify({ pid: await deadPid() }))
      const results = await Promise.allSettled([DataDirLock.take(dataDir), DataDirLock.take(dataDir)])
      const won = results.filter(r => r.status === 'fulfilled')
      assert.equal(won.length, 1, `round ${round}: ${results.map(r => r.status).join(', ')}`)
      const lost = results.find(r => r.status === 'rejected')!
      assert.equal((lost.reason as { code?: string }).code, 'ERR_DATA_DIR_BUSY')
      await won[0].value.release()
      assert.equal(await exists(join(dataDir, 'lock')), false)
    }
  })

  it('a failed start removes the data dir it made, and leaves one that existed', async () => {
    const nobody = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const connect = [`/ip4/127.0.0.1/tcp/${await closedPort()}/p2p/${nobody}`]
    const fresh = join(dir, 'fresh', 'node')
    await assert.rejects(createPeer({ connect, dataDir: fresh, joinTimeoutMs: 200, listen: ['/ip4/127.0.0.1/tcp/0'] }),
      (err: Error) => err.name === 'JoinFailedError')
    assert.equal(await exists(join(dir, 'fresh')), false, 'the parent this start made is gone too')

    const existing = join(dir, 'existing')
    await mkdir(existing)
    await assert.rejects(createPeer({ connect, dataDir: existing, joinTimeoutMs: 200, listen: ['/ip4/127.0.0.1/tcp/0'] }))
    assert.ok(await exists(existing))
    assert.equal(await exists(join(existing, 'lock')), false, 'the lock is released')
  })

  it('libp2p\'s failure to listen becomes one line naming --listen and the address', async () => {
    const server: Server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    try {
      const addr = `/ip4/127.0.0.1/tcp/${(server.address() as AddressInfo).port}`
      const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [addr], start: false })
      const err = await Promise.resolve().then(async () => { await host.start() }).then(() => undefined, (e: unknown) => e)
      await host.stop()
      assert.ok(err instanceof Error, 'the host could not listen')
      const mapped = fromLibp2pListenError(err, [addr]) as Error
      assert.equal((mapped as { code?: string }).code, 'ERR_LISTEN')
      assert.equal(mapped.message, `--listen ${addr}: the address is already in use (by another process, or another chord-peer daemon)`)
    } finally {
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  })
})
