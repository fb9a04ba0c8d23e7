// Blobs were once filed under the SHA-256 of their content; they are filed under the root over their chunk hashes
// now (hashing.ts `blobAddress`), which a storing node knows without a second pass over the bytes. A store opened
// for the first time since then re-files, once, each blob its records name that is still under the old address:
// the bytes are read, every chunk checked against the record, written under the new address, and the old file
// removed. A blob that fails the check stays where it is: under its new address the record finds nothing, and
// the scrubber and the replica pass fetch the version again from another holder. A marker file then records that
// the store is done, so later opens skip the scan; a crash before it only repeats the scan, which is idempotent.
import { access, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { verifiedChunks, verifiedPut } from './chunks.js'
import { blobAddress } from './hashing.js'
import type { RecordStore } from './record-store.js'
import type { BlobStore } from '../storage/blob-store.js'

/** The marker file, in the store's directory, of a store whose blobs are all under their chunk roots. */
export const REFILED_MARKER = 'blobs-by-chunk-root'

/** Re-file the blobs of `records` still under their content's SHA-256 (see above); how many moved and failed. */
export async function refileBlobs (
  dir: string, blobs: BlobStore, records: RecordStore, log: (format: string, ...args: unknown[]) => void
): Promise<{ refiled: number, failed: number }> {
  const marker = join(dir, REFILED_MARKER)
  if (await access(marker).then(() => true, () => false)) return { refiled: 0, failed: 0 }
  let refiled = 0
  let failed = 0
  const moved = new Set<string>()
  for await (const record of records.list({})) {
    if (record.tombstone) continue
    const address = blobAddress(record)
    if (address === record.hash || await blobs.has(address) || !await blobs.has(record.hash)) continue
    try {
      const all = { first: 0, end: record.chunkHashes.length }
      await blobs.put(verifiedChunks(record, all, blobs.get(record.hash), `blob ${record.hash.slice(0, 12)}`), verifiedPut(record))
      moved.add(record.hash)
      refiled++
    } catch (err) {
      failed++
      log('cannot re-file the blob of %s under its chunk root: %e', record.name, err)
    }
  }
  // Only now: two names with the same content shared the old file.
  for (const old of moved) await blobs.delete(old)
  if (refiled + failed > 0) log('re-filed %d blobs under their chunk roots, %d failed', refiled, failed)
  await writeFile(marker, 'every blob a record names is filed under the root over its chunk hashes\n')
  return { refiled, failed }
}
