// Re-filing a store written before blobs were filed under their chunk roots (src/files/refile.ts): opening it
// moves each blob its records name to the new address, once, checked chunk by chunk; a rotten old blob is left
// for repair; later opens skip the scan.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { collect } from '../../harness/bytes.js'
import { blobAddress, ChunkHasher, sha256Hex } from '../../src/files/hashing.js'
import { RecordStore } from '../../src/files/record-store.js'
import { REFILED_MARKER } from '../../src/files/refile.js'
import { NodeStores } from '../../src/files/stores.js'
import { FsBlobStore } from '../../src/storage/fs-blob-store.js'
import { chunks } from '../storage/blob-store-compliance.js'
import type { FileRecord } from '../../src/files/record.js'

const CHUNK = 64 * 1024

function recordOf (name: string, content: Uint8Array): FileRecord {
  const hasher = new ChunkHasher(CHUNK)
  hasher.update(content)
  const { size, hash, chunkHashes } = hasher.digest()
  return {
    name, key: sha256Hex(name), size, hash, chunkSize: CHUNK, chunkHashes,
    version: { time: 1, counter: 0, writer: 'w' }, tombstone: false, contentType: '', created: 1, modified: 1, signature: ''
  }
}

describe('re-filing blobs under their chunk roots', () => {
  let dataDir: string
  beforeEach(async () => { dataDir = await mkdtemp(join(tmpdir(), 'chord-peer-refile-')) })
  afterEach(async () => { await rm(dataDir, { recursive: true, force: true }) })

  it('moves every blob a record names, once; two names sharing a blob keep it; a rotten one is left for repair', async () => {
    const dir = join(dataDir, 'store')
    const shared = randomBytes(200_000) // four chunks
    const rotten = randomBytes(100_000)
    const records = [recordOf('a.bin', shared), recordOf('b.bin', shared), recordOf('rotten.bin', rotten)]
    // The store as an older node left it: blobs under the SHA-256 of their content.
    {
      const blobs = await FsBlobStore.open(dir)
      const index = await RecordStore.open(dir)
      await blobs.put(chunks(shared))
      await blobs.put(chunks(rotten))
      const bad = await readFile(blobs.path(records[2].hash))
      bad[70_000] ^= 1
      await writeFile(blobs.path(records[2].hash), bad)
      for (const r of records) await index.put(r)
      await index.close()
      await blobs.close()
    }

    const stores = new NodeStores(dataDir)
    await stores.start()
    try {
      const [a, b, bad] = records
      assert.equal(blobAddress(a), blobAddress(b))
      assert.deepEqual(await collect(stores.blobs.get(blobAddress(a))), shared)
      assert.equal(await stores.blobs.has(a.hash), false, 'the old file is gone')
      assert.equal(await stores.blobs.has(blobAddress(bad)), false, 'no rotten bytes under the new address')
      assert.equal(await stores.blobs.has(bad.hash), true, 'the rotten blob stays where it was')
      await access(join(dir, REFILED_MARKER))
    } finally {
      await stores.stop()
    }

    // Opened again: the marker skips the scan (an old-style blob put now stays where it is).
    {
      const blobs = await FsBlobStore.open(dir)
      await blobs.put(chunks(shared))
      await blobs.close()
    }
    const again = new NodeStores(dataDir)
    await again.start()
    try {
      assert.equal(await again.blobs.has(records[0].hash), true)
    } finally {
      await again.stop()
    }
  })
})
