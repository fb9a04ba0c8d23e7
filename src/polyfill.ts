// The runtime prelude every entry point imports first.
// - Node 20 lacks Promise.withResolvers, which libp2p 3 uses on every inbound connection (without it every
//   inbound connection fails with EncryptionFailedError). Node 22+ has it natively and this does nothing.
// - libp2p makes a debug logger per stream, and each one asks isatty(stderr) for colours unless DEBUG_COLORS is
//   set; asking once here instead saves a system call per stream, a visible share of a small exchange's CPU.
import { isatty } from 'node:tty'

interface Resolvers<T> { promise: Promise<T>, resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void }

const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> }
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T> (): Resolvers<T> {
    let resolve!: Resolvers<T>['resolve']
    let reject!: Resolvers<T>['reject']
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

process.env.DEBUG_COLORS ??= isatty(2) ? 'true' : 'false'

export {}
