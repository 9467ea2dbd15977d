import { describe, expect, it } from 'vitest'
import { placeApp, pickReplica, replicaSet, type PlacementCandidate } from '../../src/core/placement.js'
import { rankFailover, hasMajority } from '../../src/core/failover-rank.js'

const node = (id: string, zone: string, extra: Partial<PlacementCandidate> = {}): PlacementCandidate => ({
  id,
  name: `n-${id}`,
  zone,
  capacity: 1,
  cpu: 0.1,
  masters: 0,
  replicas: 0,
  ...extra
})
const spec = (over: Partial<{ replicas: number; zone: string; pin: string }> = {}) => ({ name: 'web', replicas: 2, zone: '', pin: '', ...over })

describe('initial placement', () => {
  const nodes = [node('a', 'z1'), node('b', 'z1'), node('c', 'z2', { cpu: 0.5 }), node('d', 'z3', { masters: 3 })]

  it.each([
    ['least loaded master, replica in the least loaded other zone', spec(), { master: 'a', replicas: ['d'] }],
    ['three copies spread over three zones', spec({ replicas: 3 }), { master: 'a', replicas: ['d', 'c'] }],
    ['preferred zone for the master', spec({ zone: 'z2' }), { master: 'c', replicas: ['a'] }],
    ['pinned node is the master', spec({ pin: 'd' }), { master: 'd', replicas: ['a'] }],
    ['four copies double up a zone only when zones run out', spec({ replicas: 4 }), { master: 'a', replicas: ['d', 'c', 'b'] }]
  ])('%s', (_, s, want) => {
    expect(placeApp(s, nodes)).toEqual(want)
    expect(placeApp(s, [...nodes].reverse())).toEqual(want) // deterministic whatever the order
  })

  it('honours capacity: a big machine takes more', () => {
    const big = [node('a', 'z1', { cpu: 0.4, capacity: 4 }), node('b', 'z1', { cpu: 0.2 })]
    expect(placeApp(spec({ replicas: 1 }), big).master).toBe('a')
  })

  it('refuses more copies than nodes, and a pin to a node that is not alive', () => {
    expect(() => placeApp(spec({ replicas: 5 }), nodes)).toThrow(expect.objectContaining({ code: 'BAD_SPEC' }))
    expect(() => placeApp(spec({ pin: 'zz' }), nodes)).toThrow(expect.objectContaining({ code: 'UNKNOWN_NODE' }))
    expect(() => placeApp(spec({ replicas: 0 }), nodes)).toThrow(expect.objectContaining({ code: 'BAD_SPEC' }))
  })

  it('replacement replicas prefer an unused zone', () => {
    expect(pickReplica([nodes[0]!], nodes)).toBe('d')
    expect(pickReplica([nodes[0]!, nodes[3]!], nodes)).toBe('c')
    expect(pickReplica(nodes, nodes)).toBeNull()
  })

  it('keeps the replicas still here, replaces the gone ones, and trims to the wanted count', () => {
    const nodes = [node('a', 'z1'), node('b', 'z1'), node('c', 'z2'), node('d', 'z3')]
    const none = () => false
    // a is the master; b died: its place goes to a node in a zone the app does not use yet.
    expect(replicaSet(['b', 'c'], 2, 'a', nodes, (id) => id === 'b')).toEqual(['c', 'd'])
    expect(replicaSet(['b', 'c'], 1, 'a', nodes, none)).toEqual(['b'])
    expect(replicaSet([], 2, 'a', nodes, none)).toEqual(['c', 'd'])
    expect(replicaSet(['b'], 5, 'a', nodes, none)).toEqual(['b', 'c', 'd'])
    expect(replicaSet(['b'], 0, 'a', nodes, none)).toEqual([])
  })
})

describe('failover ranking', () => {
  const h = (epoch: number, seq: number) => ({ id: 'x', epoch, seq, time: 0 })
  it.each([
    ['newest seq wins', [{ id: 'b', head: h(1, 5), preference: 0 }, { id: 'c', head: h(1, 9), preference: 1 }], ['c', 'b']],
    ['a later epoch beats a higher seq', [{ id: 'b', head: h(1, 50), preference: 0 }, { id: 'c', head: h(2, 1), preference: 1 }], ['c', 'b']],
    ['no data ranks last', [{ id: 'b', head: null, preference: 0 }, { id: 'c', head: h(1, 1), preference: 1 }], ['c', 'b']],
    ['equal data: placement preference', [{ id: 'c', head: h(1, 5), preference: 0 }, { id: 'b', head: h(1, 5), preference: 1 }], ['c', 'b']],
    ['equal everything: lower id', [{ id: 'c', head: h(1, 5), preference: 0 }, { id: 'b', head: h(1, 5), preference: 0 }], ['b', 'c']]
  ])('%s', (_, cands, want) => {
    expect(rankFailover(cands).map((c) => c.id)).toEqual(want)
  })

  it('majority means more than half', () => {
    expect(hasMajority(2, 3)).toBe(true)
    expect(hasMajority(2, 4)).toBe(false)
    expect(hasMajority(1, 1)).toBe(true)
  })
})
