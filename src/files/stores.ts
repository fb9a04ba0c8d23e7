// This node's two stores as one service: the content-addressed blobs and the record index, both under
// `<data-dir>/store`, or under a temporary directory removed at stop when the node has no data dir. A storage
// quota (`maxStorage`) bounds the bytes of the blobs. Opening a store written before blobs were filed under their
// chunk roots re-files them first (refile.ts).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { FsBlobStore } from '../storage/fs-blob-store.js'
import { RecordStore } from './record-store.js'
import { refileBlobs } from './refile.js'
import type { Service } from '../lifecycle.js'

export class NodeStores implements Service {
  private opened?: { dir: string, blobs: FsBlobStore, records: RecordStore }

  constructor (private readonly dataDir?: string, private readonly options: { maxStorage?: number } = {}) {}

  /** Where the stores live (after start). */
  get dir (): string {
    return this.get().dir
  }

  get blobs (): FsBlobStore {
    return this.get().blobs
  }

  get records (): RecordStore {
    return this.get().records
  }

  async start (): Promise<void> {
    const dir = this.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'chord-peer-store-')) : join(this.dataDir, 'store')
    const blobs = await FsBlobStore.open(dir, { maxBytes: this.options.maxStorage })
    let records: RecordStore | undefined
    try {
      records = await RecordStore.open(dir)
      await refileBlobs(dir, blobs, records, logger('chord-peer:files'))
      this.opened = { dir, blobs, records }
    } catch (err) {
      await records?.close()
      await blobs.close()
      if (this.dataDir === undefined) await rm(dir, { recursive: true, force: true })
      throw err
    }
  }

  async stop (): Promise<void> {
    const opened = this.opened
    this.opened = undefined
    if (opened === undefined) return
    await opened.records.close()
    await opened.blobs.close()
    if (this.dataDir === undefined) await rm(opened.dir, { recursive: true, force: true })
  }

  private get (): NonNullable<NodeStores['opened']> {
    if (this.opened === undefined) throw new Error('the stores are not open')
    return this.opened
  }
}
