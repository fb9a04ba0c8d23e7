// The one way tests wait for an effect that has no event to await: poll a predicate until it holds or a deadline
// passes, then fail naming what did not happen. It is the waitFor that chord-peer exports for scripts (one
// implementation, so a fix to it reaches every test).
export { waitFor } from '../../src/testnet.js'
