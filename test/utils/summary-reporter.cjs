// Mocha's spec reporter plus a last line `N passed, N failed[, N skipped]`, the summary CI reads.
'use strict'
const { reporters: { Spec } } = require('mocha')

class SummaryReporter extends Spec {
  constructor (runner, options) {
    super(runner, options)
    runner.once('end', () => {
      const { passes, failures, pending } = runner.stats
      process.stdout.write(`${passes} passed, ${failures} failed${pending > 0 ? `, ${pending} skipped` : ''}\n`)
    })
  }
}

module.exports = SummaryReporter
