import { describe, expect, it } from 'vitest'
import { replicaSync } from '../../src/console/replica-sync.js'
import type { SnapshotInfo } from '../../src/console/source.js'

const snap = (id: string, seq: number): SnapshotInfo => ({ id, time: 0, epoch: 1, seq, holders: [] })
const listed = [snap('s4', 4), snap('s3', 3), snap('s2', 2), snap('s1', 1)]

describe('replicaSync', () => {
  it.each([
    ['holds the master\'s snapshot', { snapshot: 's3', lagMs: 0 }, 's3', listed, { words: 'in sync', fraction: 1 }],
    ['lag 0 on a node that lists nothing', { snapshot: 's3', lagMs: 0 }, 's3', [], { words: 'in sync', fraction: 1 }],
    ['one behind the master\'s (not this node\'s newer s4)', { snapshot: 's2', lagMs: 900 }, 's3', listed, { words: 'behind', fraction: 2 / 3 }],
    ['behind, and this node lists neither', { snapshot: 's2', lagMs: 900 }, 's3', [], { words: 'behind', fraction: null }],
    ['behind a snapshot this node does not list', { snapshot: 's1', lagMs: 900 }, 's9', listed, { words: 'behind', fraction: null }],
    ['nothing yet', { snapshot: null, lagMs: null }, 's3', listed, { words: 'no snapshot yet', fraction: 0 }]
  ] as const)('%s', (_name, replica, master, snaps, out) => {
    const r = replicaSync(replica, master, snaps)
    expect(r.words).toBe(out.words)
    if (out.fraction === null) expect(r.fraction).toBeNull()
    else expect(r.fraction).toBeCloseTo(out.fraction)
  })
})
