import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChunkStore } from '../../src/volume/chunk-store.js'
import { AppVolume } from '../../src/node/app-volume.js'

const SELF = 'ab'.repeat(32)
let home = ''
afterEach(() => {
  if (home) rmSync(home, { recursive: true, force: true })
})

/** A new node home (removed after the test) and its chunk store, open. */
async function freshHome(): Promise<ChunkStore> {
  home = mkdtempSync(join(tmpdir(), 'shoal-vol-'))
  const chunks = new ChunkStore(join(home, 'chunks'))
  await chunks.open()
  return chunks
}

describe('an app volume on a node', () => {
  it('after a restore, the next snapshot reads only the files the app changed since', async () => {
    const chunks = await freshHome()
    const source = new AppVolume(home, 'src', chunks, SELF)
    await source.open()
    mkdirSync(source.live, { recursive: true })
    for (let i = 0; i < 20; i++) writeFileSync(join(source.live, `f${i}.bin`), Buffer.alloc(50_000, i))
    const first = await source.snapshot(1)
    expect(first).not.toBeNull()

    // Another node's view: a store holding that snapshot, restored into an empty live folder.
    const target = new AppVolume(home, 'dst', chunks, SELF)
    await target.open()
    await target.store.commit(first!, await source.store.readManifestBytes(first!.id))
    await target.restore(first!.id)
    expect(readFileSync(join(target.live, 'f7.bin'))).toEqual(Buffer.alloc(50_000, 7))

    const unchanged = await target.snapshotter.snapshot({ epoch: 2 })
    expect(unchanged.stats.filesRead).toBe(0)
    expect(unchanged.stats.newChunks).toBe(0)

    writeFileSync(join(target.live, 'f3.bin'), 'changed by the app')
    const changed = await target.snapshotter.snapshot({ epoch: 2 })
    expect(changed.changed).toBe(true)
    expect(changed.stats.filesRead).toBe(1)
  })

  it("a replica's standby follows the snapshots it receives, and taking over writes only what changed since", async () => {
    const chunks = await freshHome()
    const master = new AppVolume(home, 'master', chunks, SELF)
    const replica = new AppVolume(home, 'replica', chunks, SELF)
    await master.open()
    await replica.open()
    const receive = async (id: string) => replica.store.commit(master.store.get(id)!, await master.store.readManifestBytes(id))
    mkdirSync(master.live, { recursive: true })
    for (let i = 0; i < 30; i++) writeFileSync(join(master.live, `f${i}.txt`), `file ${i}\n`.repeat(100))
    const a = (await master.snapshot(1))!
    await receive(a.id)

    // First refresh: the whole volume, into a fresh folder.
    expect((await replica.refreshStandby(a.id)).filesWritten).toBe(30)
    expect(await replica.held()).toBe(a.id)
    expect(readFileSync(join(replica.live, 'f12.txt'), 'utf8')).toBe('file 12\n'.repeat(100))

    writeFileSync(join(master.live, 'f3.txt'), 'rewritten')
    writeFileSync(join(master.live, 'new.txt'), 'new')
    const b = (await master.snapshot(1))!
    await receive(b.id)
    const refreshed = await replica.refreshStandby(b.id)
    // Only the entries that differ between the two snapshots are looked at.
    expect(refreshed).toMatchObject({ filesWritten: 2, unchanged: 0, removed: 0 })
    expect(await replica.held()).toBe(b.id)

    rmSync(join(master.live, 'f5.txt'))
    writeFileSync(join(master.live, 'f9.txt'), 'last write before the master died')
    const c = (await master.snapshot(1))!
    await receive(c.id)
    // Someone wrote into the standby by hand: taking over still compares every file's size and mtime.
    writeFileSync(join(replica.live, 'f20.txt'), 'not from any snapshot')
    // Taking over: from the standby, not the whole volume; the folder then belongs to the app.
    const restored = await replica.restore(c.id)
    expect(restored).toMatchObject({ filesWritten: 2, unchanged: 28, removed: 1 })
    expect(readFileSync(join(replica.live, 'f20.txt'), 'utf8')).toBe('file 20\n'.repeat(100))
    expect(await replica.held()).toBeNull()
    expect(readFileSync(join(replica.live, 'f9.txt'), 'utf8')).toBe('last write before the master died')
    expect(readFileSync(join(replica.live, 'f3.txt'), 'utf8')).toBe('rewritten')
    expect(readdirSync(replica.live).sort()).toEqual(readdirSync(master.live).sort())
  })

  it('without a known snapshot in the standby (an interrupted refresh), taking over compares every file', async () => {
    const chunks = await freshHome()
    const vol = new AppVolume(home, 'app', chunks, SELF)
    await vol.open()
    mkdirSync(vol.live, { recursive: true })
    for (let i = 0; i < 10; i++) writeFileSync(join(vol.live, `f${i}.txt`), `file ${i}`)
    const a = (await vol.snapshot(1))!
    await vol.refreshStandby(a.id)
    // A refresh that died half-way: some files changed, and it no longer claims a snapshot.
    writeFileSync(join(vol.live, 'f4.txt'), 'half-written by a refresh that died')
    rmSync(join(home, 'apps', 'app', 'live-holds'))
    const restored = await vol.restore(a.id)
    expect(restored).toMatchObject({ filesWritten: 1, unchanged: 9 })
    expect(readFileSync(join(vol.live, 'f4.txt'), 'utf8')).toBe('file 4')
  })
})
