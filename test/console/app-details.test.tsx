import { describe, expect, it } from 'vitest'
import { render } from 'ink-testing-library'
import { AppDetails } from '../../src/console/AppDetails.js'
import type { ConsoleAppStatus } from '../../src/console/source.js'

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

const snapshots = [
  { id: 's2', parent: 's1', epoch: 3, seq: 2, time: 0, bytes: 10, holders: ['node-1'] },
  { id: 's1', parent: null, epoch: 3, seq: 1, time: 0, bytes: 10, holders: ['node-1', 'node-2'] }
]

function frame(a: ConsoleAppStatus): string {
  const ui = render(<AppDetails app={a} detail={{ app: 'web', snapshots, logs: [], error: null }} width={100} height={20} now={0} />)
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
})
