import { describe, expect, it } from 'vitest'
import { divergentBranch, stashName, stashTime, termHead } from '../../src/core/stash-branch.js'

const n = (id: string, parent: string | null, origin: string, epoch: number, seq: number, holders: string[] = []) => ({ id, parent, origin, epoch, seq, time: seq, holders })

describe('divergentBranch: what a losing master stashes', () => {
  // s1 (epoch 1, taken by x) → a2, a3, a4 taken by a in epoch 2; b holds a2 only.
  const nodes = [n('s1', null, 'x', 1, 1, ['a', 'b']), n('a2', 's1', 'a', 2, 2, ['a', 'b']), n('a3', 'a2', 'a', 2, 3, ['a']), n('a4', 'a3', 'a', 2, 4, ['a'])]
  const map = new Map(nodes.map((x) => [x.id, x]))
  it.each([
    ['the snapshots after the newest one the winner holds, newest first', 'a4', 'b', ['a4', 'a3']],
    ['nothing when the winner holds the head', 'a2', 'b', []],
    ['the whole term when the winner holds none of it, never the base it started from', 'a4', 'c', ['a4', 'a3', 'a2']],
    ['nothing from an empty store', null, 'b', []]
  ] as const)('%s', (_what, head, winner, want) => {
    expect(divergentBranch(map, head, { origin: 'a', epoch: 2, winner, winnerEpoch: 3 })).toEqual(want)
  })
  it('stops at a snapshot of another term or origin (a same-epoch loser keeps only its own)', () => {
    expect(divergentBranch(map, 'a4', { origin: 'a', epoch: 3, winner: 'b', winnerEpoch: 3 })).toEqual([])
  })
  it('keeps the whole term when the winner claimed the same epoch, whatever it was pushed', () => {
    // b claimed epoch 2 too and was sent a2 while both served: its live data has none of a's term.
    expect(divergentBranch(map, 'a4', { origin: 'a', epoch: 2, winner: 'b', winnerEpoch: 2 })).toEqual(['a4', 'a3', 'a2'])
    expect(divergentBranch(map, 'a2', { origin: 'a', epoch: 2, winner: 'b', winnerEpoch: 2 })).toEqual(['a2'])
  })
  it('termHead: the newest own snapshot of the term, else the newest from before it', () => {
    expect(termHead(nodes, 'a', 2)).toBe('a4')
    expect(termHead(nodes, 'c', 2)).toBe('s1')
    expect(termHead([...nodes, n('b5', 'a2', 'b', 3, 3)], 'a', 2)).toBe('a4')
    expect(termHead([], 'a', 2)).toBeNull()
  })
})

describe('stash names', () => {
  it('are readable, carry their time, and keep to the store rules', () => {
    const at = new Date(Date.UTC(2026, 10, 26, 13, 5, 9))
    expect(stashName('counter', 4, 'node b', at)).toBe('counter-e4-node-b-20261126130509')
    expect(stashTime('counter-e4-node-b-20261126130509')).toBe(at.getTime())
    expect(stashName('x', 1, '...', at)).toBe('x-e1-node-20261126130509')
    const long = stashName('a'.repeat(63), 1, 'n'.repeat(40), at)
    expect(long.length).toBeLessThanOrEqual(100)
    expect(stashTime(long)).toBe(at.getTime())
    expect(stashTime('manual')).toBeNull()
  })
})
