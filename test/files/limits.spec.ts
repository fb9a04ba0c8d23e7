// The bounds of src/files/limits.ts on their own: the transfer budget (node-wide and per peer), and parseSize of
// src/config.ts (the --max-storage values). The token buckets of the index rates are tested in test/trust.
import assert from 'node:assert/strict'
import { parseSize } from '../../src/config.js'
import { TransferBudget } from '../../src/files/limits.js'

describe('files/limits', () => {
  describe('TransferBudget', () => {
    it('grants reservations up to its capacity, then refuses until one is released', () => {
      const budget = new TransferBudget(100, 100)
      const a = budget.reserve('p', 60)!
      assert.equal(budget.reserve('q', 41), undefined)
      const b = budget.reserve('q', 40)!
      assert.equal(budget.reserved, 100)
      a.release()
      a.release() // a second release gives nothing back twice
      assert.equal(budget.reserved, 40)
      assert.ok(budget.reserve('q', 60))
      b.release()
    })

    it('holds one peer to its share, so others still find room', () => {
      const budget = new TransferBudget(100, 50)
      assert.ok(budget.reserve('hog', 30))
      assert.equal(budget.reserve('hog', 30), undefined)
      assert.ok(budget.reserve('other', 50))
    })

    it('a reservation grows while there is room, and keeps what it held when there is none', () => {
      const budget = new TransferBudget(100, 100)
      const r = budget.reserve('p', 10)!
      assert.equal(r.grow(80), true)
      assert.equal(r.bytes, 80)
      assert.equal(r.grow(101), false)
      assert.equal(r.bytes, 80)
      assert.equal(r.grow(50), true, 'growing to less than it holds changes nothing')
      assert.equal(budget.reserved, 80)
      r.release()
      assert.equal(budget.reserved, 0)
      assert.equal(r.grow(20), false, 'a released reservation cannot grow')
    })
  })

  describe('parseSize', () => {
    it('reads plain bytes, decimal and binary units in any case', () => {
      assert.equal(parseSize('4096'), 4096)
      assert.equal(parseSize('500MB'), 500e6)
      assert.equal(parseSize('10GiB'), 10 * 2 ** 30)
      assert.equal(parseSize('1.5 kib'), 1536)
      assert.equal(parseSize('2TB'), 2e12)
      assert.equal(parseSize('7b'), 7)
    })

    it('rejects anything but a positive whole number of bytes with InvalidInputError', () => {
      for (const text of ['', '0', '0.1', '-1', 'GiB', '10 GiBs', '1e9', '1,000', '10 G']) {
        assert.throws(() => parseSize(text), (err: Error) => err.name === 'InvalidInputError', text)
      }
    })
  })
})
