// File versions (src/files/record.ts): compareVersions is a total order (time, then counter, then writer), and
// the hybrid logical clock only moves forward: every version it issues is newer than everything it issued or
// observed, whatever the wall clock does.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { HybridClock, compareVersions, type Version } from '../../src/files/record.js'

const sign = (n: number): number => Math.sign(n)

const versionArb: fc.Arbitrary<Version> = fc.record({
  time: fc.integer({ min: 0, max: 20 }),
  counter: fc.integer({ min: 0, max: 5 }),
  writer: fc.constantFrom('12D3KooWA', '12D3KooWB', '12D3KooWC')
})

describe('files/record', () => {
  describe('compareVersions', () => {
    const v = (time: number, counter: number, writer: string): Version => ({ time, counter, writer })

    it('orders by time first, whatever the counter and writer', () => {
      assert.ok(compareVersions(v(1, 9, 'z'), v(2, 0, 'a')) < 0)
      assert.ok(compareVersions(v(2, 0, 'a'), v(1, 9, 'z')) > 0)
    })

    it('orders by counter within one time, whatever the writer', () => {
      assert.ok(compareVersions(v(5, 1, 'z'), v(5, 2, 'a')) < 0)
      assert.ok(compareVersions(v(5, 2, 'a'), v(5, 1, 'z')) > 0)
    })

    it('breaks exact ties by writer, and is 0 only for the same version', () => {
      assert.ok(compareVersions(v(5, 1, 'a'), v(5, 1, 'b')) < 0)
      assert.ok(compareVersions(v(5, 1, 'b'), v(5, 1, 'a')) > 0)
      assert.equal(compareVersions(v(5, 1, 'a'), v(5, 1, 'a')), 0)
    })

    it('is antisymmetric, reflexive and transitive (a total order)', () => {
      fc.assert(fc.property(versionArb, versionArb, versionArb, (a, b, c) => {
        assert.equal(sign(compareVersions(a, b)) + sign(compareVersions(b, a)), 0, 'a vs b is the opposite of b vs a')
        assert.equal(compareVersions(a, a), 0)
        const same = a.time === b.time && a.counter === b.counter && a.writer === b.writer
        assert.equal(compareVersions(a, b) === 0, same)
        if (compareVersions(a, b) < 0 && compareVersions(b, c) < 0) assert.ok(compareVersions(a, c) < 0)
      }), { numRuns: 1000 })
    })

    it('agrees with a field-by-field comparison of (time, counter, writer)', () => {
      const byFields = (a: Version, b: Version): number =>
        a.time - b.time || a.counter - b.counter || (a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : 0)
      fc.assert(fc.property(versionArb, versionArb, (a, b) => {
        assert.equal(sign(compareVersions(a, b)), sign(byFields(a, b)))
      }), { numRuns: 500 })
    })
  })

  describe('HybridClock', () => {
    it('takes the wall clock when it moves forward, with counter 0, and stamps its own writer', () => {
      const clock = new HybridClock('me')
      assert.deepEqual(clock.next(1_000), { time: 1_000, counter: 0, writer: 'me' })
      assert.deepEqual(clock.next(1_005), { time: 1_005, counter: 0, writer: 'me' })
      assert.equal(clock.writer, 'me')
    })

    it('counts up within a millisecond, and when the wall clock goes back', () => {
      const clock = new HybridClock('me')
      const a = clock.next(1_000)
      const b = clock.next(1_000)
      const c = clock.next(400) // the wall clock stepped back
      assert.deepEqual([b.time, b.counter], [1_000, 1])
      assert.deepEqual([c.time, c.counter], [1_000, 2])
      assert.ok(compareVersions(a, b) < 0 && compareVersions(b, c) < 0)
    })

    it('issues strictly increasing versions for any sequence of wall-clock readings', () => {
      fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 60 }), nows => {
        const clock = new HybridClock('me')
        let previous: Version | undefined
        for (const now of nows) {
          const version = clock.next(now)
          assert.ok(version.time >= now, 'never behind the wall clock')
          assert.equal(version.writer, 'me')
          if (previous !== undefined) assert.ok(compareVersions(previous, version) < 0,
            `${JSON.stringify(previous)} then ${JSON.stringify(version)}`)
          previous = version
        }
      }), { numRuns: 500 })
    })

    it('after observing a newer version from elsewhere, issues versions newer than it, even with a slower wall clock', () => {
      const clock = new HybridClock('a-writer')
      clock.next(1_000)
      const remote: Version = { time: 5_000, counter: 7, writer: 'z-writer' }
      clock.observe(remote, 2_000)
      const next = clock.next(2_000)
      assert.ok(compareVersions(next, remote) > 0)
      assert.equal(next.writer, 'a-writer')
    })

    it('an observed version equal in time and counter is still beaten by the next version', () => {
      const clock = new HybridClock('a')
      clock.next(100)
      clock.observe({ time: 100, counter: 0, writer: 'z' }, 100)
      assert.ok(compareVersions(clock.next(100), { time: 100, counter: 0, writer: 'z' }) > 0)
    })

    it('observing an older version does not move the clock back', () => {
      const clock = new HybridClock('me')
      const issued = clock.next(9_000)
      clock.observe({ time: 10, counter: 99, writer: 'other' }, 9_000)
      assert.ok(compareVersions(clock.next(20), issued) > 0)
    })

    it('every version issued is newer than everything issued or observed before it (any interleaving)', () => {
      const step = fc.oneof(
        fc.record({ kind: fc.constant('next' as const), now: fc.integer({ min: 0, max: 40 }) }),
        fc.record({ kind: fc.constant('observe' as const), version: versionArb })
      )
      fc.assert(fc.property(fc.array(step, { maxLength: 60 }), steps => {
        const clock = new HybridClock('12D3KooWB')
        const seen: Version[] = []
        for (const s of steps) {
          if (s.kind === 'observe') {
            clock.observe(s.version, s.version.time) // seen at its own time: never too far ahead
            seen.push(s.version)
            continue
          }
          const version = clock.next(s.now)
          for (const old of seen) assert.ok(compareVersions(version, old) > 0,
            `${JSON.stringify(version)} is not newer than ${JSON.stringify(old)}`)
          seen.push(version)
        }
      }), { numRuns: 1000 })
    })
  })
})
