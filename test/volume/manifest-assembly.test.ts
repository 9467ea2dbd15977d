import { describe, expect, it } from 'vitest'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import c from 'compact-encoding'
import type { Manifest, ManifestEntry } from '../../src/core/snapnode.js'
import { decodeManifestBounded, encodeManifestBounded } from '../../src/protocol/manifest-codec.js'
import { checkout } from '../../src/volume/checkout.js'
import { assembleManifest, knownPieces } from '../../src/volume/manifest-assembly.js'
import { cutManifest } from '../../src/volume/manifest-pieces.js'
import { expectSameTree } from './helpers.js'
import { connect, twoNodes } from './replication-harness.js'

const h = (n: number) => (n % 65536).toString(16).padStart(4, '0').repeat(16)
const file = (path: string, chunks: number, salt = 0): ManifestEntry => ({
  path,
  kind: 'file',
  mode: 0o100644,
  mtimeMs: 1 + salt,
  size: chunks * 1000,
  chunks: Array.from({ length: chunks }, (_, i) => h(i + salt * 7))
})

function volume(): ManifestEntry[] {
  const entries: ManifestEntry[] = []
  for (let i = 0; i < 3000; i++) entries.push(file(`d${i % 13}/f${String(i).padStart(5, '0')}`, 1 + (i % 4)))
  entries.push(file('huge', 4000)) // cut inside: its pieces are not whole
  entries.push({ path: 'link', kind: 'symlink', mode: 0o120777, mtimeMs: 5, size: 0, target: 'huge' })
  entries.push({ path: 'zz', kind: 'dir', mode: 0o40755, mtimeMs: 6, size: 0 })
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

function piecesOf(m: Manifest) {
  const { bytes, ends } = encodeManifestBounded(m)
  return { bytes, ends, pieces: cutManifest(bytes, ends) }
}

const baseEntries = volume()
const base = piecesOf({ entries: baseEntries })
const known = knownPieces(base.pieces, { entries: baseEntries }, base.ends)

/** What a new manifest decodes to, assembled against the base (by pieces only, or entry by entry too) and decoded whole. */
function both(entries: ManifestEntry[]) {
  const next = piecesOf({ entries })
  return {
    assembled: assembleManifest(next.pieces, known),
    byEntry: assembleManifest(next.pieces, known, { manifest: { entries: baseEntries }, bytes: base.bytes, ends: base.ends }),
    whole: decodeManifestBounded(next.bytes)
  }
}

describe('a manifest read against one held decoded', () => {
  const cases: Array<[string, (e: ManifestEntry[]) => ManifestEntry[]]> = [
    ['unchanged', (e) => e],
    ['one file changed in the middle', (e) => e.map((x) => (x.path === 'd5/f01500' ? file(x.path, 3, 9) : x))],
    ['a file added (the header count changes)', (e) => [...e, file('d9/f01500a', 2, 3)].sort((a, b) => (a.path < b.path ? -1 : 1))],
    ['a file removed', (e) => e.filter((x) => x.path !== 'd0/f00013')],
    ['the file cut inside pieces changed', (e) => e.map((x) => (x.path === 'huge' ? file('huge', 4001, 2) : x))],
    ['the first and last entries changed', (e) => e.map((x, i) => (i === 0 || i === e.length - 1 ? { ...x, mtimeMs: 99 } : x))],
    ['nothing shared', (e) => e.map((x) => ({ ...x, mtimeMs: x.mtimeMs + 1000 }))]
  ]
  for (const [name, change] of cases) {
    it(`gives what decoding it whole gives: ${name}`, () => {
      const { assembled, byEntry, whole } = both(change(baseEntries))
      for (const got of [assembled, byEntry]) {
        expect(got).not.toBeNull()
        expect(got!.manifest).toEqual(whole.manifest)
        expect(got!.ends).toEqual(whole.ends)
      }
    })
  }

  // What a change spread over many files looks like: every piece changed, a few entries in each.
  const spread = (e: ManifestEntry[]) => e.map((x, i) => (i % 97 === 5 && x.kind === 'file' ? file(x.path, 2, 11) : x))
  const entryCases: Array<[string, (e: ManifestEntry[]) => ManifestEntry[], string[]]> = [
    ['one file changed', (e) => e.map((x) => (x.path === 'd5/f01500' ? file(x.path, 3, 9) : x)), ['d5/f01500']],
    ['a file added', (e) => [...e, file('d9/f01500a', 2, 3)].sort((a, b) => (a.path < b.path ? -1 : 1)), ['d9/f01500a']],
    ['a file removed', (e) => e.filter((x) => x.path !== 'd0/f00013'), []],
    ['a file renamed', (e) => e.map((x) => (x.path === 'd3/f00016' ? { ...x, path: 'd3/f00016b' } : x)), ['d3/f00016b']],
    ['many files changed', spread, spread(baseEntries).filter((x, i) => x !== baseEntries[i]).map((x) => x.path)]
  ]
  for (const [name, change, changed] of entryCases) {
    it(`decodes only the entries that changed, against the base: ${name}`, () => {
      const { byEntry, whole } = both(change(baseEntries))
      expect(byEntry!.manifest).toEqual(whole.manifest)
      expect(byEntry!.fresh.map((e) => e.path).sort()).toEqual([...changed].sort())
      // The others are the base's own objects.
      const shared = new Set(baseEntries)
      expect(byEntry!.manifest.entries.filter((e) => !shared.has(e)).length).toBe(changed.length)
    })
  }

  it('decodes only the pieces that changed', () => {
    const { assembled } = both(baseEntries.map((x) => (x.path === 'd5/f01500' ? file(x.path, 3, 9) : x)))
    expect(assembled!.fresh.map((e) => e.path)).toContain('d5/f01500')
    expect(assembled!.fresh.length).toBeLessThan(100)
    expect(assembled!.manifest.entries.length).toBe(baseEntries.length)
  })

  it('gives up (for a whole decode) when a decoded run ends inside an entry or the count is off', () => {
    // Header and two entries, the second cut short, followed by a known piece.
    const later = base.pieces.find((p, i) => i > 0 && known.get(p.hash)?.first === false)!
    const two = encodeManifestBounded({ entries: [file('a', 1), file('b', 1)] })
    const cutShort = { hash: 'x'.repeat(64), data: two.bytes.subarray(0, two.bytes.length - 5) }
    expect(assembleManifest([cutShort, later], known)).toBeNull()
    expect(assembleManifest([cutShort, later], known, { manifest: { entries: baseEntries }, bytes: base.bytes, ends: base.ends })).toBeNull()
    // A header naming five entries before two whole ones and a known piece of more.
    const header = Buffer.alloc(2)
    c.uint.encode({ start: 1, end: 2, buffer: header }, 5)
    const lying = { hash: 'y'.repeat(64), data: Buffer.concat([header, two.bytes.subarray(two.ends[0]!)]) }
    expect(assembleManifest([lying, later], known)).toBeNull()
    expect(() => decodeManifestBounded(Buffer.concat([lying.data, later.data]))).toThrow()
  })
})

describe('a manifest read against a base from bytes a peer made up', () => {
  it('gives what decoding it whole gives, or null where that fails; never throws (150 random corruptions)', () => {
    let x = 0x2545f491
    const rand = (n: number) => {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      return (x >>> 0) % n
    }
    const changed = baseEntries.map((e, i) => (i % 211 === 7 && e.kind === 'file' ? file(e.path, 2, 5) : e))
    const next = piecesOf({ entries: changed })
    const against = { manifest: { entries: baseEntries }, bytes: base.bytes, ends: base.ends }
    let decodable = 0
    for (let round = 0; round < 150; round++) {
      // Corrupt one to three bytes of a piece the base does not have (the ones a peer sends).
      const pieces = next.pieces.map((p) => ({ hash: p.hash, data: Buffer.from(p.data) }))
      const unknown = pieces.filter((p) => !known.has(p.hash))
      for (let k = 0; k <= rand(3); k++) {
        const p = unknown[rand(unknown.length)]!
        p.data[rand(p.data.length)] = rand(256)
      }
      const bytes = Buffer.concat(pieces.map((p) => p.data))
      let whole: ReturnType<typeof decodeManifestBounded> | null = null
      try {
        whole = decodeManifestBounded(bytes)
        decodable++
      } catch {
        whole = null
      }
      const got = assembleManifest(pieces, known, against)
      if (got !== null) {
        // Whatever it reads must be what the bytes say.
        expect(whole).not.toBeNull()
        expect(got.manifest).toEqual(whole!.manifest)
        expect(got.ends).toEqual(whole!.ends)
      }
    }
    expect(decodable).toBeGreaterThan(0)
  })
})

describe('a replica reading offered manifests against its own', () => {
  it('fetches a chunk of an unchanged file that went from its store since, at the commit', async () => {
    const { master, replica } = await twoNodes()
    for (let d = 0; d < 4; d++) {
      await mkdir(join(master.root, `d${d}`), { recursive: true })
      for (let i = 0; i < 200; i++) await writeFile(join(master.root, `d${d}`, `f${i}`), `file ${d}/${i}\n`.repeat(1 + i))
    }
    const first = await master.snapshotter.snapshot({ epoch: 1 })
    const { sender, errors } = connect(master, replica)
    await sender.send(first.snapnode.id)
    // A chunk of an untouched file leaves the replica's store (as a collection after a prune could).
    const untouched = (await replica.snapshots.readManifest(first.snapnode.id)).entries.find((e) => e.path === 'd1/f7')!
    const lost = (untouched as Extract<ManifestEntry, { kind: 'file' }>).chunks[0]!
    await replica.chunks.delete(lost)
    await writeFile(join(master.root, 'd3', 'f150'), 'changed\n')
    const second = await master.snapshotter.snapshot({ epoch: 1 })
    const sent = await sender.send(second.snapnode.id)
    expect(errors).toEqual([])
    expect(replica.chunks.has(lost)).toBe(true)
    // The changed file's chunk, the one that went and a manifest piece or two: not the volume.
    expect(sent.chunksSent).toBeLessThanOrEqual(5)
    const target = join(replica.home, 'out')
    await checkout({ chunks: replica.chunks, manifest: await replica.snapshots.readManifest(second.snapnode.id), target, mode: 'fresh' })
    await expectSameTree(master.root, target)
  })
})
