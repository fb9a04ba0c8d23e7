// Named errors shared by every room. Each class has a stable `name` and `code`; tests assert those, never text.
// Foreign errors are mapped to these at the boundary that catches them.

export class ChordPeerError extends Error {
  static readonly code: string = 'ERR_CHORD_PEER'
  readonly code: string

  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = (new.target as unknown as { code: string }).code
  }
}

/** A remote node did not answer in time or its connection failed. */
export class UnreachableError extends ChordPeerError {
  static override readonly code = 'ERR_UNREACHABLE'
}

/** A wire message could not be decoded, was too large, or broke a protocol rule. */
export class InvalidMessageError extends ChordPeerError {
  static override readonly code = 'ERR_INVALID_MESSAGE'
}

/** A lookup ran out of candidates or hops before it found the owner. */
export class LookupFailedError extends ChordPeerError {
  static override readonly code = 'ERR_LOOKUP_FAILED'
}

/** Joining the ring failed: no supernode answered, or the admission was refused. */
export class JoinFailedError extends ChordPeerError {
  static override readonly code = 'ERR_JOIN_FAILED'
}

/** A peer that holds no valid membership certificate asked for (or was about to be sent) what only members may. */
export class NotMemberError extends ChordPeerError {
  static override readonly code = 'ERR_NOT_MEMBER'
}

/** Bad input from a user: a flag, an argument, an HTTP parameter. */
export class InvalidInputError extends ChordPeerError {
  static override readonly code = 'ERR_INVALID_INPUT'
}

/** Another live process (a chord-peer daemon, or a script's createPeer) holds the data dir's lock. */
export class DataDirBusyError extends ChordPeerError {
  static override readonly code = 'ERR_DATA_DIR_BUSY'
}

/**
 * A node could not listen where it was told to (the address in use, not this machine's, no permission).
 * `option` is the setting, `listen`, `api` or `metrics`, the same name as the daemon's flag.
 */
export class ListenError extends ChordPeerError {
  static override readonly code = 'ERR_LISTEN'
  readonly option: 'listen' | 'api' | 'metrics'
  readonly address: string

  constructor (message: string, init: { option: 'listen' | 'api' | 'metrics', address: string }, options?: ErrorOptions) {
    super(message, options)
    this.option = init.option
    this.address = init.address
  }
}

/** Something that must exist does not. */
export class NotFoundError extends ChordPeerError {
  static override readonly code = 'ERR_NOT_FOUND'
}

/** The operation was attempted on a stopped node. */
export class NotStartedError extends ChordPeerError {
  static override readonly code = 'ERR_NOT_STARTED'
}

/** A daemon's HTTP API answered with an error status. `code` is the daemon's code (from ErrorJson), `status` the HTTP status. */
export class ApiError extends ChordPeerError {
  static override readonly code = 'ERR_API'
  readonly status: number
  /** Seconds the daemon asked the client to wait before trying again (a 503's `Retry-After`). */
  readonly retryAfterS?: number

  constructor (message: string, init: { status: number, code?: string, retryAfterS?: number }, options?: ErrorOptions) {
    super(message, options)
    this.status = init.status
    if (init.retryAfterS !== undefined) this.retryAfterS = init.retryAfterS
    // The daemon's own code (e.g. ERR_NOT_FOUND) is more useful to a caller than our generic one.
    if (init.code != null && init.code !== '') (this as { code: string }).code = init.code
  }
}

/** No daemon answered at the API URL (connection refused, no such host, timeout, or no URL on record). */
export class DaemonUnreachableError extends ChordPeerError {
  static override readonly code = 'ERR_DAEMON_UNREACHABLE'
  readonly url?: string

  constructor (message: string, init: { url?: string } = {}, options?: ErrorOptions) {
    super(message, options)
    this.url = init.url
  }
}

/** Bytes did not match the hash or size they were promised to have (a blob put, a chunk read back). */
export class IntegrityError extends ChordPeerError {
  static override readonly code = 'ERR_INTEGRITY'
}

/** A storage backend (disk, database, S3) failed for a reason other than a missing item; `cause` has the original. */
export class StorageError extends ChordPeerError {
  static override readonly code: string = 'ERR_STORAGE'
}

/** A disk write failed for want of space: a full disk, a quota, a file size limit (ENOSPC, EDQUOT, EFBIG). */
export class NoSpaceError extends StorageError {
  static override readonly code: string = 'ERR_NO_SPACE'
}

/** A blob would take this node's blob store past its storage quota (`maxStorage`, `--max-storage`). */
export class QuotaError extends NoSpaceError {
  static override readonly code = 'ERR_QUOTA'
}

/** This node has no room for a transfer now (its memory budget for inbound transfers is spent); try later. */
export class BusyError extends ChordPeerError {
  static override readonly code = 'ERR_BUSY'
}

/** A peer sent requests of one kind faster than this node serves them to one peer. */
export class RateLimitError extends ChordPeerError {
  static override readonly code = 'ERR_RATE_LIMITED'
}

/** An HTTP request body that stopped arriving: no bytes for the API's body idle time (HTTP 408). */
export class RequestTimeoutError extends ChordPeerError {
  static override readonly code = 'ERR_REQUEST_TIMEOUT'
}

/** An HTTP API request without the API's bearer token, or with another one. */
export class UnauthorizedError extends ChordPeerError {
  static override readonly code = 'ERR_UNAUTHORIZED'
}

/** An HTTP API request whose `Host` header names neither a loopback address, the API's own, nor an `--api-host`. */
export class ForbiddenHostError extends ChordPeerError {
  static override readonly code = 'ERR_FORBIDDEN_HOST'
}

/** An HTTP API request whose `Origin` header is not the API's own origin (a web page of another site). */
export class ForbiddenOriginError extends ChordPeerError {
  static override readonly code = 'ERR_FORBIDDEN_ORIGIN'
}

/** An HTTP request used a method its route does not serve. */
export class MethodNotAllowedError extends ChordPeerError {
  static override readonly code = 'ERR_METHOD_NOT_ALLOWED'
}

/** An HTTP Range header that cannot be served: malformed, several ranges, empty, or past the end of the file. */
export class RangeNotSatisfiableError extends ChordPeerError {
  static override readonly code = 'ERR_RANGE'
}

/** Fewer nodes than the write quorum acknowledged a put or delete. */
export class QuorumError extends ChordPeerError {
  static override readonly code = 'ERR_QUORUM'
}

/** A file version whose signature is not its writer's signature of it (or that carries none). */
export class BadSignatureError extends ChordPeerError {
  static override readonly code = 'ERR_BAD_SIGNATURE'
}

/** A write or delete of a name whose live version another member wrote; `owner` is that member's PeerId. */
export class NotOwnerError extends ChordPeerError {
  static override readonly code = 'ERR_NOT_OWNER'
  readonly owner: string

  constructor (message: string, init: { owner: string }, options?: ErrorOptions) {
    super(message, options)
    this.owner = init.owner
  }
}
