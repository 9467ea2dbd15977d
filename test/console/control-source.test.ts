/** ControlSource over a stub control client: what the console gets from a node's answers. */
import { describe, expect, it } from 'vitest'
import type { ControlClient } from '../../src/control/client.js'
import type { SnapshotView } from '../../src/control/types.js'
import { ControlSource } from '../../src/console/control-source.js'

const view = (id: string, seq: number, extra: object = {}): SnapshotView => ({
  id, parent: null, origin: 'a'.repeat(64), originName: 'alpha', epoch: 2, seq, time: 1000 * seq, holders: ['a'.repeat(64)], holderNames: ['alpha'], ...extra
})

function source(snapshots: SnapshotView[]): ControlSource {
  const client = { snapshots: async (app: string) => ({ app, node: 'a'.repeat(64), snapshots, stashes: {} }) }
  return new ControlSource(client as unknown as ControlClient)
}

describe('ControlSource.snapshots', () => {
  it('newest first, holders by name, and no size when the node gives none', async () => {
    const got = await source([view('s1', 1), view('s2', 2)]).snapshots('web')
    expect(got).toEqual([
      { id: 's2', time: 2000, epoch: 2, seq: 2, holders: ['alpha'] },
      { id: 's1', time: 1000, epoch: 2, seq: 1, holders: ['alpha'] }
    ])
  })

  it('passes the size through when the node gives one', async () => {
    const got = await source([view('s1', 1, { bytes: 4096 })]).snapshots('web')
    expect(got[0]!.bytes).toBe(4096)
  })
})
