import { describe, expect, it } from 'vitest'
import type { Placement } from '../../src/core/app-types.js'
import { masterChange } from '../../src/core/placement-change.js'

const pl = (over: Partial<Placement>): Placement => ({ app: 'shop', epoch: 1, rev: 0, master: 'a', replicas: ['b'], state: 'running', snapSeq: 0, ...over })

describe('master changes seen in placements', () => {
  it('a new master in a newer epoch is a move, or a failover when its claimant wrote it', () => {
    expect(masterChange(pl({}), pl({ epoch: 2, master: 'b' }))).toEqual({ kind: 'move', app: 'shop', from: 'a', to: 'b', epoch: 2 })
    expect(masterChange(pl({}), pl({ epoch: 2, master: 'b', state: 'failing-over' }))).toEqual({ kind: 'failover', app: 'shop', from: 'a', to: 'b', epoch: 2 })
    expect(masterChange(pl({ epoch: 3 }), pl({ epoch: 5, master: 'c' }))).toMatchObject({ from: 'a', to: 'c', epoch: 5 })
  })

  it('nothing for the first placement seen, a change within an epoch, an older one, or the same master', () => {
    expect(masterChange(undefined, pl({ epoch: 2, master: 'b' }))).toBeNull()
    expect(masterChange(pl({}), pl({ rev: 1, state: 'moving' }))).toBeNull()
    expect(masterChange(pl({ epoch: 2 }), pl({ epoch: 1, master: 'b' }))).toBeNull()
    expect(masterChange(pl({}), pl({ epoch: 2 }))).toBeNull()
    expect(masterChange(pl({ master: '' }), pl({ epoch: 2, master: 'b' }))).toBeNull()
  })
})
