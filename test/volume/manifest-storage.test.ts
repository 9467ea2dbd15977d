import { describe, expect, it } from 'vitest'
import { readdir, stat, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Manifest } from '../../src/core/snapnode.js'
import { decodeManifestEntries, encodeManifestBounded } from '../../src/protocol/manifest-codec.js'
import { checkout } from '../../src/volume/checkout.js'
import { collectGarbage } from '../../src/volume/gc.js'
import { cutManifest, MAX_SNAP_BYTES } from '../../src/volume/manifest-pieces.js'
import { DECODED_MANIFESTS, SnapshotStore } from '../../src/volume/snapshot-store.js'
import { expectSameTree, makeNode, nodeIdOf, pseudoRandom, tempDir } from './helpers.js'
import { connect, twoNodes } from './replication-harness.js'

const h = (n: number) => (n % 256).toString(16).padStart(2, '0').repeat(32)
const file = (path: string, chunks: number): Manifest['entries'][number] => ({
  path,
  kind: 'file',
  mode: 0o100644,
  mtimeMs: 1,
  size: chunks * 1000,
  chunks: Array.from({ length: chunks }, (_, i) => h(i))
})

async function folderBytes(dir: string): Promise<number> {
  let n = 0
  for (const name of await readdir(dir)) n += (await stat(join(dir, name))).size
  return n
}

describe('manifests kept as shared pieces', () => {
  it('pieces hold whole entries that read back on their own; an entry too large is cut inside', () => {
    const entries: Manifest['entries'] = []
    for (let i = 0; i < 3000; i++) entries.push(file(`dir-${i % 17}/file-${String(i).padStart(5, '0')}`, 1 + (i % 3)))
    entries.push(file('huge', 4000)) // 128 KB of hashes in one entry, past MAX_SNAP_BYTES
    entries.push(file('zz-after', 1))
    const manifest: Manifest = { entries }
    const { bytes, ends } = encodeManifestBounded(manifest)
    const pieces = cutManifest(bytes, ends)
    expect(Buffer.concat(pieces.map((p) => p.data)).equals(bytes)).toBe(true)
    expect(4000 * 32).toBeGreaterThan(MAX_SNAP_BYTES)
    // Only the pieces over the huge entry (and the one each side of it) are not whole.
    const notWhole = pieces.filter((p) => !p.whole).reduce((n, p) => n + p.data.byteLength, 0)
    expect(notWhole).toBeGreaterThan(0)
    expect(notWhole).toBeLessThan(4000 * 32 + 2 * MAX_SNAP_BYTES)
    // Every whole piece decodes alone, to entries of the manifest, in order.
    const read: Manifest['entries'] = []
    pieces.forEach((p, i) => {
      if (p.whole) read.push(...decodeManifestEntries(p.data, i === 0))
    })
    expect(read.length).toBeGreaterThan(2990)
    const byPath = new Map(entries.map((e, i) => [e.path, i]))
    let last = -1
    for (const e of read) {
      const at = byPath.get(e.path)!
      expect(entries[at]).toEqual(e)
      expect(at).toBeGreaterThan(last)
      last = at
    }
  })

  it('a thousand-file volume snapshotted 20 times, one file changed each time, keeps its entries about once', async () => {
    const node = await makeNode(await tempDir(), nodeIdOf(1))
    for (let d = 0; d < 10; d++) {
      await mkdir(join(node.root, `d${d}`), { recursive: true })
      for (let i = 0; i < 100; i++) await writeFile(join(node.root, `d${d}`, `f${i}`), `file ${d}/${i}\n`)
    }
    const first = await node.snapshotter.snapshot({ epoch: 1 })
    const manifestSize = (await node.snapshots.readManifestBytes(first.snapnode.id)).byteLength
    expect(manifestSize).toBeGreaterThan(40_000)
    const before = node.chunks.count
    for (let k = 0; k < 20; k++) {
      await writeFile(join(node.root, `d${k % 10}`, `f${(k * 7) % 100}`), `changed ${k}\n`)
      await node.snapshotter.snapshot({ epoch: 1 })
    }
    expect(node.snapshots.list()).toHaveLength(21)
    // Each snapshot's own record is its piece list, a small fraction of the manifest...
    const lists = await folderBytes(join(node.snapshots.dir, 'manifests'))
    expect(lists / 21).toBeLessThan(manifestSize / 10)
    // ...and each added a few pieces (plus the changed file's chunk), not a whole manifest.
    const added = node.chunks.count - before
    expect(added).toBeLessThan(20 * 5)
    // Every snapshot still reads back whole.
    const last = node.snapshots.head()!
    const target = join(node.home, 'out')
    await checkout({ chunks: node.chunks, manifest: await node.snapshots.readManifest(last.id), target, mode: 'fresh' })
    await expectSameTree(node.root, target)
  })

  it('GC keeps the pieces and chunks of kept snapshots and frees those only deleted ones used', async () => {
    const node = await makeNode(await tempDir(), nodeIdOf(1))
    for (let i = 0; i < 300; i++) await writeFile(join(node.root, `f${String(i).padStart(3, '0')}`), `v0 ${i}`)
    const old = await node.snapshotter.snapshot({ epoch: 1 })
    for (let i = 0; i < 300; i += 3) await writeFile(join(node.root, `f${String(i).padStart(3, '0')}`), pseudoRandom(2000))
    const kept = await node.snapshotter.snapshot({ epoch: 1 })
    const oldPieces = new Set((await node.snapshots.pieceList(old.snapnode.id))!.pieces.map((p) => p.hash))
    const keptPieces = new Set((await node.snapshots.pieceList(kept.snapnode.id))!.pieces.map((p) => p.hash))
    const onlyOld = [...oldPieces].filter((p) => !keptPieces.has(p))
    expect(onlyOld.length).toBeGreaterThan(0)

    await node.snapshots.delete(old.snapnode.id)
    const gc = await collectGarbage({ chunks: node.chunks, stores: [node.snapshots], graceMs: 0 })
    expect(gc.deleted).toBeGreaterThan(0)
    for (const p of onlyOld) expect(node.chunks.has(p)).toBe(false)
    for (const p of keptPieces) expect(node.chunks.has(p)).toBe(true)
    const target = join(node.home, 'out')
    await checkout({ chunks: node.chunks, manifest: await node.snapshots.readManifest(kept.snapnode.id), target, mode: 'fresh' })
    await expectSameTree(node.root, target)
  })

  it('a manifest kept whole by an older node still reads, replicates and protects its chunks from GC', async () => {
    const { master, replica } = await twoNodes()
    await writeFile(join(master.root, 'a'), pseudoRandom(200_000))
    await writeFile(join(master.root, 'b'), 'bee')
    const { snapnode } = await master.snapshotter.snapshot({ epoch: 1 })
    // Rewrite the record the way older nodes kept it: the manifest's bytes themselves.
    const bytes = await master.snapshots.readManifestBytes(snapnode.id)
    await writeFile(join(master.snapshots.dir, 'manifests', snapnode.id), bytes)
    const store = new SnapshotStore(master.snapshots.dir, master.chunks)
    await store.open()
    expect(await store.pieceList(snapnode.id)).toBeNull()
    expect((await store.readManifestBytes(snapnode.id)).equals(bytes)).toBe(true)

    await collectGarbage({ chunks: master.chunks, stores: [store], graceMs: 0 })
    const target = join(master.home, 'out')
    await checkout({ chunks: master.chunks, manifest: await store.readManifest(snapnode.id), target, mode: 'fresh' })
    await expectSameTree(master.root, target)

    const { sender } = connect({ ...master, snapshots: store }, replica)
    await sender.send(snapnode.id)
    expect((await replica.snapshots.pieceList(snapnode.id))!.pieces.length).toBeGreaterThan(0)
  })

  it('a piece gone from the chunk store makes reading that manifest fail with a clear code, nothing else', async () => {
    const node = await makeNode(await tempDir(), nodeIdOf(1))
    await writeFile(join(node.root, 'a'), 'a')
    const { snapnode } = await node.snapshotter.snapshot({ epoch: 1 })
    const list = (await node.snapshots.pieceList(snapnode.id))!
    await node.chunks.delete(list.pieces[0]!.hash)
    // This store keeps the manifest it just committed decoded; a store opened afresh reads it.
    const fresh = new SnapshotStore(node.snapshots.dir, node.chunks)
    await fresh.open()
    await expect(fresh.readManifest(snapnode.id)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(fresh.has(snapnode.id)).toBe(true)
  })

  it('keeps the last few manifests decoded: read again without the disk, forgotten when deleted or pushed out', async () => {
    const node = await makeNode(await tempDir(), nodeIdOf(1))
    const ids: string[] = []
    for (let i = 0; i <= DECODED_MANIFESTS; i++) {
      await writeFile(join(node.root, `f${i}`), `v${i}`)
      ids.push((await node.snapshotter.snapshot({ epoch: 1 })).snapnode.id)
    }
    const newest = ids.at(-1)!
    const first = await node.snapshots.readManifest(newest)
    expect(await node.snapshots.readManifest(newest)).toBe(first)
    expect(first.entries.map((e) => e.path)).toContain(`f${DECODED_MANIFESTS}`)
    // The oldest reads back too (pushed out of memory by the newer commits, it comes from disk).
    const oldest = await node.snapshots.readManifest(ids[0]!)
    expect(oldest.entries.map((e) => e.path)).toEqual(['f0'])
    expect(await node.snapshots.readManifest(ids[0]!)).toBe(oldest)
    await node.snapshots.delete(ids[0]!)
    await expect(node.snapshots.readManifest(ids[0]!)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})
