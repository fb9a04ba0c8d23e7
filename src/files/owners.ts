// Who owns a name (protocols/README.md §10.3): the writer of its live (newest, not tombstone) version. Only the
// owner writes a new version over it; a delete by a supernode (moderation) is the one exception, and once a
// tombstone is the newest version anyone may write the name again. The entry checks this before it streams a put
// or delete (service.ts), and every holder checks it again against its own record (a store hop: store.ts; a
// replica sync pull: replication/copies.ts), so a member that skips its entry's check still cannot replace
// another member's file. Signatures (signature.ts) make the writer field trustworthy.
import { NotOwnerError } from '../errors.js'
import { compareVersions, type FileRecord } from './record.js'

/** Is the node with this PeerId a supernode? */
export type IsSupernode = (address: string) => boolean

/** The PeerId that owns a name whose newest version is `current`: its writer while it is live, else nobody. */
export function ownerOf (current: FileRecord | undefined): string | undefined {
  return current === undefined || current.tombstone ? undefined : current.version.writer
}

/** NotOwnerError unless `writer` may write a new version (a tombstone when `tombstone`) over `current`. */
export function checkOwner (current: FileRecord | undefined, writer: string, tombstone: boolean, isSupernode: IsSupernode): void {
  const owner = ownerOf(current)
  if (owner === undefined || owner === writer) return
  if (tombstone && isSupernode(writer)) return
  const may = tombstone ? 'only its owner or a supernode may delete it' : 'only its owner may overwrite it'
  throw new NotOwnerError(`${JSON.stringify(current?.name)} belongs to ${owner}: ${may}`, { owner })
}

/**
 * The same rule for a version arriving at a holder that holds `current`: a version that is not newer than
 * `current` replaces nothing, so only a newer one is checked. With `lastWriterWins` (the name's primary pulling
 * from its replicas, or a replica taking a push from the primary) the newer version wins whoever wrote it: two
 * members who wrote a name on the two sides of a partition each own it on their side, and once the partition
 * heals the primary settles the name on the newest of the two, as reads already do.
 */
export function checkReplace (
  current: FileRecord | undefined, next: FileRecord, isSupernode: IsSupernode, options: { lastWriterWins?: boolean } = {}
): void {
  if (current === undefined || compareVersions(next.version, current.version) <= 0) return
  if (options.lastWriterWins === true) return
  checkOwner(current, next.version.writer, next.tombstone, isSupernode)
}
