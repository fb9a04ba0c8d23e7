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

/** Bad input from a user: a flag, an argument, an HTTP parameter. */
export class InvalidInputError extends ChordPeerError {
  static override readonly code = 'ERR_INVALID_INPUT'
}

/** Something that must exist does not. */
export class NotFoundError extends ChordPeerError {
  static override readonly code = 'ERR_NOT_FOUND'
}

/** The operation was attempted on a stopped node. */
export class NotStartedError extends ChordPeerError {
  static override readonly code = 'ERR_NOT_STARTED'
}
