import { describe, expect, it } from 'vitest'
import { selectRetained } from '../../src/core/retention.js'

const MIN = 60_000
const HOUR = 60 * MIN
const NOW = 1_000 * HOUR

/** One snapshot per `everyMs` going back `spanMs` from NOW; ids are their age in minutes. */
function series(spanMs: number, everyMs: number) {
  const out = []
  for (let age = 0, seq = 10_000; age <= spanMs; age += everyMs, seq--) out.push({ id: `m${age / MIN}`, time: NOW - age, seq })
  return out
}

describe('selectRetained', () => {
  const nodes = series(30 * HOUR, 10 * MIN)

  it('keeps everything from the last hour', () => {
    const keep = selectRetained(nodes, NOW)
    for (const age of [0, 10, 20, 30, 40, 50, 60]) expect(keep.has(`m${age}`)).toBe(true)
  })

  it('keeps one per hour between 1 h and 25 h, and nothing older', () => {
    const keep = selectRetained(nodes, NOW)
    const thinned = nodes.filter((n) => NOW - n.time > HOUR && keep.has(n.id))
    const buckets = new Set(thinned.map((n) => Math.floor(n.time / HOUR)))
    expect(thinned.length).toBe(buckets.size) // one per bucket
    expect(buckets.size).toBeGreaterThanOrEqual(24)
    expect(buckets.size).toBeLessThanOrEqual(25)
    // The kept one in each bucket is its newest.
    for (const n of thinned) {
      const sameBucket = nodes.filter((m) => Math.floor(m.time / HOUR) === Math.floor(n.time / HOUR))
      expect(Math.max(...sameBucket.map((m) => m.time))).toBe(n.time)
    }
    expect([...keep].some((id) => Number(id.slice(1)) * MIN > 25 * HOUR)).toBe(false)
  })

  it.each([
    ['a peer’s newest shared snapshot far in the past', ['m1800'], 'm1800'],
    ['a stashed snapshot', ['m1790'], 'm1790']
  ])('never prunes %s', (_name, protectedIds, id) => {
    expect(selectRetained(nodes, NOW, protectedIds).has(id)).toBe(true)
  })

  it('always keeps the head, even when it is old', () => {
    const old = [
      { id: 'old1', time: NOW - 100 * HOUR, seq: 1 },
      { id: 'old2', time: NOW - 90 * HOUR, seq: 2 }
    ]
    expect([...selectRetained(old, NOW)]).toEqual(['old2'])
  })

  it('ignores protected ids it does not know and honours a custom policy', () => {
    const keep = selectRetained(nodes, NOW, ['nope'], { keepAllMs: 20 * MIN, hourlyForMs: 0 })
    expect([...keep].sort()).toEqual(['m0', 'm10', 'm20'])
  })

  it('returns nothing for no snapshots', () => {
    expect(selectRetained([], NOW).size).toBe(0)
  })
})
