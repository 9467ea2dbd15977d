import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChunkStore } from '../../src/volume/chunk-store.js'
import { AppVolume } from '../../src/node/app-volume.js'

const SELF = 'ab'.repeat(32)
let home = ''
afterEach(() => {
  if (home) rmSync(home, { recursive: true, force: true })
})

describe('an app volume on a node', () => {
  it('after a restore, the next snapshot reads only the files the app changed since', async () => {
    home = mkdtempSync(join(tmpdir(), 'shoal-vol-'))
    const chunks = new ChunkStore(join(home, 'chunks'))
    await chunks.open()
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
})
