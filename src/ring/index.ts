// The pure ring core: identifier arithmetic, routing state, the Chord protocol over an abstract transport.
export * from './id.js'
export * from './types.js'
export * from './successor-list.js'
export * from './finger-table.js'
export * from './chord-state.js'
export * from './lookup.js'
export * from './invariants.js'
export * from './node.js'
