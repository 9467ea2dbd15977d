import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Placement } from '../../src/core/app-types.js'
import type { ClusterEvent } from '../../src/control/types.js'
import { AppVolume } from '../../src/node/app-volume.js'
import { stashOnDemote } from '../../src/node/stash-on-demote.js'
import { ChunkStore } from '../../src/volume/chunk-store.js'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function volumeOfA() {
  const home = mkdtempSync(join(tmpdir(), 'shoal-demote-'))
  dirs.push(home)
  const chunks = new ChunkStore(join(home, 'chunks'))
  await chunks.open()
  const vol = new AppVolume(home, 'counter', chunks, A)
  await vol.open()
  mkdirSync(vol.live, { recursive: true })
  const events: Array<Omit<ClusterEvent, 'at'>> = []
  const ctx = { self: A, selfName: 'a', nameOf: (id: string) => (id === B ? 'b' : id.slice(0, 8)), event: (e: Omit<ClusterEvent, 'at'>) => events.push(e) }
  return { home, vol, events, ctx }
}

const won = (epoch: number): Placement => ({ app: 'counter', epoch, rev: 0, master: B, replicas: [A], state: 'running', snapSeq: 1 })

describe('stashOnDemote: a master that lost its term keeps what the winner lacks', () => {
  it('stashes the unreplicated snapshots and a last snapshot of writes never snapshotted', async () => {
    const { home, vol, events, ctx } = await volumeOfA()
    writeFileSync(join(vol.live, 'records.jsonl'), 'one\n')
    const s1 = (await vol.snapshot(1))!
    await vol.store.addHolder(s1.id, B) // b received s1 before the fault
    writeFileSync(join(vol.live, 'records.jsonl'), 'one\ntwo\n')
    const s2 = (await vol.snapshot(1))!
    writeFileSync(join(vol.live, 'records.jsonl'), 'one\ntwo\nthree\n') // acknowledged, never snapshotted

    const r = await stashOnDemote(vol, 1, won(2), ctx)
    expect(r.stash).toMatch(/^counter-e1-a-\d{14}$/)
    expect(r.snapshots).toHaveLength(2)
    expect(r.snapshots[0]).toBe(s2.id)
    expect(vol.store.stashes()).toEqual({ [r.stash!]: r.snapshots })
    expect(events).toEqual([expect.objectContaining({ kind: 'failover', app: 'counter', message: expect.stringContaining(r.stash!) })])
    const out = join(home, 'out')
    await vol.checkoutTo(r.snapshots.at(-1)!, out)
    expect(readFileSync(join(out, 'records.jsonl'), 'utf8')).toBe('one\ntwo\nthree\n')
  })

  it('stashes nothing after a planned move (the winner holds the final snapshot) and says so', async () => {
    const { vol, events, ctx } = await volumeOfA()
    writeFileSync(join(vol.live, 'records.jsonl'), 'one\n')
    const final = (await vol.snapshot(1))!
    await vol.store.addHolder(final.id, B)
    const r = await stashOnDemote(vol, 1, won(2), ctx)
    expect(r).toEqual({ stash: null, snapshots: [] })
    expect(vol.store.stashes()).toEqual({})
    expect(events).toEqual([expect.objectContaining({ kind: 'app' })])
  })

  it('branches from its own term even when the winner’s newer snapshots arrived first', async () => {
    const { vol, ctx } = await volumeOfA()
    writeFileSync(join(vol.live, 'records.jsonl'), 'mine\n')
    const own = (await vol.snapshot(1))!
    // A later term's snapshot, as replication from the winner would bring it.
    writeFileSync(join(vol.live, 'records.jsonl'), 'theirs\n')
    await vol.snapshotter.snapshot({ epoch: 2, parent: null })
    writeFileSync(join(vol.live, 'records.jsonl'), 'mine\nmore\n')
    const r = await stashOnDemote(vol, 1, won(2), ctx)
    const head = vol.store.get(r.snapshots.at(-1)!)!
    expect(head).toMatchObject({ epoch: 1, origin: A, parent: own.id })
    expect(r.snapshots).toEqual([own.id, head.id])
  })
})
