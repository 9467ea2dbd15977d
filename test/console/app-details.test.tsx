import { describe, expect, it } from 'vitest'
import { render } from 'ink-testing-library'
import { AppDetails } from '../../src/console/AppDetails.js'
import type { ConsoleAppStatus, SnapshotInfo } from '../../src/console/source.js'

const app = (replicas: ConsoleAppStatus['replicas']): ConsoleAppStatus => ({
  name: 'web',
  state: 'running',
  epoch: 3,
  master: 'node-1',
  masterId: 'a'.repeat(64),
  replicas,
  snapshot: 's2',
  snapshotAt: 0,
  pinned: null,
  rps: 0,
  load: { rps: 0, bytesPerSec: 0, connections: 0, p50Ms: 0, p99Ms: 0 }
})

const snapshots: SnapshotInfo[] = [
  { id: 's2', parent: 's1', epoch: 3, seq: 2, time: 0, bytes: 10, holders: ['node-1'] },
  { id: 's1', parent: null, epoch: 3, seq: 1, time: 0, bytes: 10, holders: ['node-1', 'node-2'] }
]

function frame(a: ConsoleAppStatus, held: SnapshotInfo[] = snapshots): string {
  const ui = render(<AppDetails app={a} detail={{ app: 'web', snapshots: held, logs: [], error: null }} width={100} height={20} now={0} />)
  const f = ui.lastFrame() ?? ''
  ui.unmount()
  return f
}

describe('AppDetails: replication', () => {
  it('a replica being synced shows how far, how fast, how long left and over what', () => {
    const f = frame(
      app([
        {
          node: 'node-2',
          nodeId: 'b'.repeat(64),
          snapshot: 's1',
          lagMs: 4000,
          via: 'direct',
          transfer: { snapshot: 's2', phase: 'chunks', bytes: 300e6, totalBytes: 1e9, chunks: 9000, totalChunks: 30000, rate: 50e6, etaMs: 14_000 }
        }
      ])
    )
    expect(f).toMatch(/node-2\s+[█▏▎▍▌▋▊▉·]+ syncing 30% of 1\.0GB, 50MB\/s, 14s left over the data port/)
  })

  it('a replica with no transfer running shows its lag', () => {
    const f = frame(app([{ node: 'node-2', nodeId: 'b'.repeat(64), snapshot: 's1', lagMs: 4000, via: 'mesh', transfer: null }]))
    expect(f).toMatch(/node-2\s+[█▏▎▍▌▋▊▉·]+ behind\s+lag 4s/)
    expect(f).not.toMatch(/syncing/)
  })

  it('a replica holding the master\'s snapshot (lag 0) is in sync, even when this node already lists a newer one', () => {
    const newer = [{ id: 's3', epoch: 3, seq: 3, time: 0, holders: ['node-1'] }, ...snapshots]
    const f = frame(app([{ node: 'node-2', nodeId: 'b'.repeat(64), snapshot: 's2', lagMs: 0, via: 'direct', transfer: null }]), newer)
    expect(f).toMatch(/node-2\s+█+ in sync\s+lag 0ms/)
    expect(f).not.toContain('behind')
  })

  it('seen from a node that holds no copy: in sync from the lag, and no bar it cannot draw', () => {
    const f = frame(
      app([
        { node: 'node-2', nodeId: 'b'.repeat(64), snapshot: 's2', lagMs: 0, via: null, transfer: null },
        { node: 'node-3', nodeId: 'c'.repeat(64), snapshot: 's1', lagMs: 4000, via: null, transfer: null }
      ]),
      []
    )
    expect(f).toMatch(/node-2\s+█+ in sync\s+lag 0ms/)
    const behind = f.split('\n').find((l) => l.includes('node-3'))!
    expect(behind).toMatch(/node-3\s+behind\s+lag 4s/)
    expect(behind).not.toMatch(/[█▏▎▍▌▋▊▉·]/)
  })

  it('a replica with no snapshot yet says so', () => {
    const f = frame(app([{ node: 'node-2', nodeId: 'b'.repeat(64), snapshot: null, lagMs: null, via: null, transfer: null }]))
    expect(f).toMatch(/node-2\s+·+ no snapshot yet/)
  })
})

describe('AppDetails: snapshots', () => {
  const none = app([])
  it('shows each snapshot\'s size when the node gives one', () => {
    const f = frame(none)
    expect(f).toMatch(/ID\s+AGE\s+EPOCH\s+SEQ\s+SIZE\s+HOLDERS/)
    expect(f).toMatch(/s2\s+0s\s+3\s+2\s+10B\s+node-1/)
  })

  it('drops the SIZE column when no size is known, instead of a column of dashes', () => {
    const f = frame(none, snapshots.map(({ bytes: _, ...s }) => s))
    expect(f).toMatch(/ID\s+AGE\s+EPOCH\s+SEQ\s+HOLDERS/)
    expect(f).not.toContain('SIZE')
    expect(f).toMatch(/s1\s+0s\s+3\s+1\s+node-1 node-2/)
  })
})
