import { describe, expect, it } from 'vitest'
import type { Manifest } from '../../src/core/snapnode.js'
import { changedRuns, lackingChunks } from '../../src/volume/chunk-runs.js'
import { alignRun, patchPieces, MIN_PATCH_SAVING } from '../../src/volume/run-alignment.js'
import { applyPatch } from '../../src/volume/chunk-patch.js'
import { chunkHash } from '../../src/volume/chunk-hash.js'
import { pseudoRandom } from './helpers.js'

const file = (path: string, chunks: string[]): Manifest['entries'][number] => ({ path, kind: 'file', mode: 0o100644, mtimeMs: 1, size: 0, chunks })
const manifest = (...entries: Manifest['entries']): Manifest => ({ entries })

describe('changedRuns: which held chunks a lacking run grew out of', () => {
  const old = manifest(file('f', ['A', 'B', 'C', 'D', 'E']), file('g', ['G1', 'G2']))
  const cases: Array<[string, Manifest, string[], Array<{ chunks: string[]; old: string[] }>]> = [
    ['an edit inside one chunk', manifest(file('f', ['A', 'B', 'x', 'D', 'E'])), ['x'], [{ chunks: ['x'], old: ['C'] }]],
    ['an insert that grew into several chunks', manifest(file('f', ['A', 'x', 'y', 'z', 'D', 'E'])), ['x', 'y', 'z'], [{ chunks: ['x', 'y', 'z'], old: ['B', 'C'] }]],
    ['edits at the start and the end of a file', manifest(file('f', ['x', 'B', 'C', 'D', 'y'])), ['x', 'y'], [{ chunks: ['x'], old: ['A'] }, { chunks: ['y'], old: ['E'] }]],
    ['an append', manifest(file('g', ['G1', 'x'])), ['x'], [{ chunks: ['x'], old: ['G2'] }]],
    ['a pure insert between unchanged neighbours has nothing to grow from', manifest(file('f', ['A', 'B', 'x', 'C', 'D', 'E'])), ['x'], []],
    ['a new file has no old version', manifest(file('new', ['x', 'y'])), ['x', 'y'], []],
    ['a neighbour not found in the old file leaves the run alone', manifest(file('f', ['A', 'Q', 'x', 'E'])), ['x'], []],
    ['a file rewritten entirely is one run over the whole old file', manifest(file('g', ['x', 'y', 'z'])), ['x', 'y', 'z'], [{ chunks: ['x', 'y', 'z'], old: ['G1', 'G2'] }]],
    ['neighbours out of order (content moved) leave the run alone', manifest(file('f', ['D', 'x', 'B'])), ['x'], []]
  ]
  it.each(cases)('%s', (_name, next, lacking, runs) => {
    const lacks = new Set(lacking)
    expect(changedRuns(next, old, (h) => lacks.has(h))).toEqual(runs)
  })
})

describe('lackingChunks: what a receiver must fetch', () => {
  it('names each lacking chunk once, in the order the manifest first names it, with the files that need them', () => {
    const dir = { path: 'd', kind: 'dir', mode: 0o40755, mtimeMs: 1, size: 0 } as const
    const m = manifest(file('a', ['H1', 'x', 'y', 'x']), dir, file('b', ['H2', 'H3']), file('c', ['z', 'y', 'H1']), file('e', []))
    const held = new Set(['H1', 'H2', 'H3'])
    const asked: string[] = []
    const got = lackingChunks(m, (h) => (asked.push(h), held.has(h)))
    expect(got.hashes).toEqual(['x', 'y', 'z'])
    expect(got.files.map((e) => e.path)).toEqual(['a', 'c'])
    expect(asked).toHaveLength(9) // one lookup per chunk named
    expect(lackingChunks(m, () => true)).toEqual({ hashes: [], files: [] })
  })
})

describe('run alignment and patches', () => {
  /** A chunk store in memory. */
  function source(chunks: Buffer[]) {
    const by = new Map(chunks.map((c) => [chunkHash(c), c]))
    const reads: string[] = []
    return {
      reads,
      bytes: (h: string) => by.get(h)!,
      size: (h: string) => by.get(h)?.byteLength,
      read: async (h: string) => {
        reads.push(h)
        const c = by.get(h)
        if (!c) throw new Error('missing')
        return c
      }
    }
  }
  const split = (data: Buffer, sizes: number[]) => {
    const out: Buffer[] = []
    let at = 0
    for (const s of sizes) out.push(data.subarray(at, (at += s)))
    return out
  }

  it('rebuilds every new chunk of a run from old pieces plus exactly the inserted bytes, whatever the cut points', async () => {
    const oldBytes = pseudoRandom(120_000)
    const inserted = pseudoRandom(5_000)
    const at = 50_000
    const newBytes = Buffer.concat([oldBytes.subarray(0, at), inserted, oldBytes.subarray(at)])
    const oldChunks = split(oldBytes, [30_000, 40_000, 50_000])
    // New cut points unrelated to the old ones, as after a chunker resynchronises late.
    const newChunks = split(newBytes, [20_000, 33_000, 27_000, 45_000])
    const src = source([...oldChunks, ...newChunks])
    const al = (await alignRun({ chunks: newChunks.map((c) => chunkHash(c)), old: oldChunks.map((c) => chunkHash(c)) }, src))!
    expect(al.prefix).toBe(at)
    expect(al.suffix).toBe(120_000 - at)

    let literal = 0
    for (let i = 0; i < newChunks.length; i++) {
      const pieces = patchPieces(al, i, newChunks[i]!)
      if (pieces === null) {
        literal += newChunks[i]!.byteLength
        continue
      }
      for (const p of pieces) if ('literal' in p) literal += p.literal.byteLength
      const rebuilt = applyPatch(pieces, src.bytes, Buffer.alloc(1 << 20))
      expect(rebuilt.equals(newChunks[i]!)).toBe(true)
    }
    expect(literal).toBe(5_000)
  })

  it('sends a chunk whole when a patch would spare too little, and reads only the chunks at the edges', async () => {
    const oldChunks = [pseudoRandom(40_000), pseudoRandom(40_000), pseudoRandom(40_000)]
    const changed = Buffer.from(oldChunks[1]!)
    changed[MIN_PATCH_SAVING / 4] ^= 0xff
    changed[40_000 - MIN_PATCH_SAVING / 4] ^= 0xff
    const newChunks = [oldChunks[0]!.subarray(0, 30_000), Buffer.concat([oldChunks[0]!.subarray(30_000), changed.subarray(0, 30_000)]), changed.subarray(30_000), oldChunks[2]!]
    const src = source([...oldChunks, ...newChunks.map((c) => Buffer.from(c))])
    const run = { chunks: newChunks.map((c) => chunkHash(c)), old: oldChunks.map((c) => chunkHash(c)) }
    const al = (await alignRun(run, src))!
    expect(al.prefix).toBe(40_000 + MIN_PATCH_SAVING / 4)
    // Each side read the chunks its shared bytes went through (two per run), not both runs whole.
    expect(src.reads.length).toBe(8)
    // Chunks 0 and 3 are old bytes, chunk 1 starts with 10 000 old bytes: patches. Chunk 2 shares
    // only its last MIN_PATCH_SAVING / 4 bytes with the old run: it goes whole.
    expect(patchPieces(al, 0, newChunks[0]!)).toEqual([{ base: run.old[0], offset: 0, length: 30_000 }])
    expect(patchPieces(al, 1, newChunks[1]!)![0]).toEqual({ base: run.old[0], offset: 30_000, length: 10_000 })
    expect(patchPieces(al, 2, newChunks[2]!)).toBeNull()
    expect(patchPieces(al, 3, newChunks[3]!)).toEqual([{ base: run.old[2], offset: 0, length: 40_000 }])
  })

  it('a patch reaching past its base, or growing past the limit, is refused with BAD_CHUNK', async () => {
    const base = pseudoRandom(1000)
    const read = () => base
    expect(() => applyPatch([{ base: 'b', offset: 900, length: 200 }], read, Buffer.alloc(1 << 20))).toThrow(expect.objectContaining({ code: 'BAD_CHUNK' }))
    expect(() => applyPatch([{ base: 'b', offset: 0, length: 1000 }, { literal: pseudoRandom(100) }], read, Buffer.alloc(1050))).toThrow(expect.objectContaining({ code: 'BAD_CHUNK' }))
    // Exactly full is fine; the result is a view of the buffer given.
    const out = Buffer.alloc(1100)
    const got = applyPatch([{ base: 'b', offset: 0, length: 1000 }, { literal: Buffer.alloc(100, 7) }], read, out)
    expect(got.buffer).toBe(out.buffer)
    expect(got.equals(Buffer.concat([base, Buffer.alloc(100, 7)]))).toBe(true)
  })
})
