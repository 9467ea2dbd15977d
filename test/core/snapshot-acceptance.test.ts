import { describe, expect, it } from 'vitest'
import type { Placement } from '../../src/core/app-types.js'
import { snapshotRefusal } from '../../src/core/snapshot-acceptance.js'

const pl = (master: string, epoch: number): Placement => ({ app: 'counter', epoch, rev: 1, master, replicas: ['b', 'c'], state: 'running', snapSeq: 1 })

describe('which pushed snapshots a node takes', () => {
  it.each([
    ['a replica takes its master’s snapshots', pl('a', 3), 'b', 'a', 3, false],
    ['a replica takes the previous term’s last snapshots from the old master', pl('a', 3), 'b', 'c', 2, false],
    ['a replica refuses snapshots two terms old from anyone but the master', pl('a', 3), 'b', 'c', 1, true],
    ['a replica takes old history from its master', pl('a', 3), 'b', 'a', 1, false],
    ['a master refuses the deposed master’s late snapshots of the previous term', pl('a', 3), 'a', 'c', 2, true],
    ['a master refuses a rival’s snapshots of its own epoch (two claims of one epoch)', pl('a', 3), 'a', 'b', 3, true],
    ['a master whose view is stale takes a newer term’s snapshots', pl('a', 3), 'a', 'b', 4, false],
    ['anything is taken for an app without a placement yet', undefined, 'a', 'b', 1, false],
    ['a master takes the app’s seed from the node it was added on', pl('a', 3), 'a', 'b', 0, false]
  ] as const)('%s', (_what, placement, self, from, epoch, refused) => {
    const id = epoch === 0 ? 'seed-id' : `snap-${epoch}`
    const r = snapshotRefusal(placement, self, from, { id, epoch }, 'seed-id')
    expect(r !== null).toBe(refused)
  })
})
