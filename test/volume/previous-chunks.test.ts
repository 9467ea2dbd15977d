import { afterAll, describe, expect, it } from 'vitest'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ManifestEntry } from '../../src/core/snapnode.js'
import { checkout } from '../../src/volume/checkout.js'
import { makeNode, nodeIdOf, pseudoRandom, tempDir } from './helpers.js'

const KiB = 1024
const MiB = 1024 * KiB
const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

const splice = (b: Buffer, at: number, cut: number, insert: Buffer = Buffer.alloc(0)) => Buffer.concat([b.subarray(0, at), insert, b.subarray(at + cut)])

/** Edits of a file's bytes, and whether most of its old chunks should be recognised after. */
const EDITS: Array<[string, (b: Buffer) => Buffer, boolean]> = [
  ['an insert in the middle', (b) => splice(b, b.length >> 1, 0, pseudoRandom(3000)), true],
  ['an overwrite in place', (b) => splice(b, b.length >> 2, 5000, pseudoRandom(5000)), true],
  ['an append', (b) => Buffer.concat([b, pseudoRandom(50 * KiB)]), true],
  ['a truncation', (b) => b.subarray(0, b.length - 70 * KiB), true],
  ['a range cut out', (b) => splice(b, b.length >> 1, 100 * KiB), true],
  ['a prepend', (b) => Buffer.concat([pseudoRandom(777), b]), true],
  ['edits in three places', (b) => splice(splice(splice(b, b.length - 40 * KiB, 10), b.length >> 1, 0, pseudoRandom(1234)), 9000, 4000, pseudoRandom(4000)), true],
  ['a rewrite', (b) => pseudoRandom(b.length), false]
]

async function fileEntry(manifest: { entries: ManifestEntry[] }): Promise<Extract<ManifestEntry, { kind: 'file' }>> {
  const e = manifest.entries.find((x) => x.path === 'f')
  if (e?.kind !== 'file') throw new Error('no file f in the manifest')
  return e
}

/** The file as a snapshotter with no previous version cuts it: the reference. */
async function freshChunks(bytes: Buffer): Promise<string[]> {
  const home = await tempDir('shoal-prev-ref-')
  dirs.push(home)
  const node = await makeNode(home, nodeIdOf(9))
  await writeFile(join(node.root, 'f'), bytes)
  const { manifest } = await node.snapshotter.snapshot({ epoch: 1 })
  return (await fileEntry(manifest)).chunks
}

describe("a changed file's old chunks are recognised by comparing bytes, with the same chunks as cutting it afresh", () => {
  for (const size of [600 * KiB, 9 * MiB]) {
    it.each(EDITS)(`%s (${size / KiB} KiB file)`, async (_name, edit, mostlyOld) => {
      const home = await tempDir('shoal-prev-')
      dirs.push(home)
      const node = await makeNode(home, nodeIdOf(1))
      const base = pseudoRandom(size)
      await writeFile(join(node.root, 'f'), base)
      await node.snapshotter.snapshot({ epoch: 1 })
      const edited = edit(base)
      await writeFile(join(node.root, 'f'), edited)
      const { snapnode, manifest, stats } = await node.snapshotter.snapshot({ epoch: 1 })
      expect(stats.filesRead).toBe(1)
      expect((await fileEntry(manifest)).chunks).toEqual(await freshChunks(edited))
      if (mostlyOld) expect(stats.bytesMatched).toBeGreaterThan(edited.length * 0.6)
      else expect(stats.bytesMatched).toBe(0)
      expect(stats.bytesMatched).toBeLessThanOrEqual(edited.length)
      // And it checks out byte for byte.
      const target = join(home, 'out')
      await checkout({ chunks: node.chunks, manifest: await node.snapshots.readManifest(snapnode.id), target, mode: 'fresh' })
      expect((await readFile(join(target, 'f'))).equals(edited)).toBe(true)
    })
  }

  it('a stored chunk that reads back damaged does not compare equal: those bytes are cut and hashed, and the snapshot is still right', async () => {
    const home = await tempDir('shoal-prev-bad-')
    dirs.push(home)
    const node = await makeNode(home, nodeIdOf(2))
    const base = pseudoRandom(2 * MiB)
    await writeFile(join(node.root, 'f'), base)
    const first = await node.snapshotter.snapshot({ epoch: 1 })
    // Silent damage on read (as a bad disk gives) of one old chunk, early in the file.
    const victim = (await fileEntry(first.manifest)).chunks[3]!
    const readManyInto = node.chunks.readManyInto.bind(node.chunks)
    let damaged = 0
    node.chunks.readManyInto = (hashes, into) => {
      const out = readManyInto(hashes, into)
      hashes.forEach((h, i) => {
        if (h === victim) {
          out[i]![100] ^= 0xff
          damaged++
        }
      })
      return out
    }
    const edited = splice(base, base.length - 100 * KiB, 0, pseudoRandom(500))
    await writeFile(join(node.root, 'f'), edited)
    const { manifest, stats } = await node.snapshotter.snapshot({ epoch: 1 })
    expect(damaged).toBeGreaterThan(0)
    const chunks = (await fileEntry(manifest)).chunks
    expect(chunks).toEqual(await freshChunks(edited))
    expect(chunks[3]).toBe(victim) // hashed from the file's own bytes
    expect(stats.bytesMatched).toBeGreaterThan(0)
    expect(stats.bytesMatched).toBeLessThan(edited.length - node.chunks.size(victim)!)
  })
})
