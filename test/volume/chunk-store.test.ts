import { describe, expect, it } from 'vitest'
import { open, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ShoalError } from '../../src/core/errors.js'
import { ChunkStore, MERGE_SMALL_PACKS, WRITE_AHEAD_BYTES } from '../../src/volume/chunk-store.js'
import { chunkHash } from '../../src/volume/chunk-hash.js'
import { TMP_PREFIX } from '../../src/volume/fs-atomic.js'
import { pseudoRandom, tempDir, waitFor } from './helpers.js'

/** A chunk of fresh pseudo-random bytes (each call different). */
function chunk(size = 10_000): { hash: string; data: Buffer } {
  const data = pseudoRandom(size)
  return { hash: chunkHash(data), data }
}

async function packNames(store: ChunkStore): Promise<string[]> {
  return (await readdir(join(store.dir, 'packs'))).filter((n) => n.endsWith('.pack'))
}

describe('ChunkStore', () => {
  it('stores each chunk once, readable at once, and in one pack file after sync', async () => {
    const store = new ChunkStore(join(await tempDir(), 'chunks'))
    await store.open()
    const chunks = Array.from({ length: 50 }, (_, i) => chunk(7_000 + i))
    for (const c of chunks) expect(await store.putVerified(c.hash, c.data)).toBe(true)
    expect(await store.putVerified(chunks[3]!.hash, chunks[3]!.data)).toBe(false)
    expect((await store.get(chunks[7]!.hash)).equals(chunks[7]!.data)).toBe(true)
    expect(await packNames(store)).toEqual([])

    await store.sync(chunks.map((c) => c.hash))
    expect(await packNames(store)).toHaveLength(1)
    expect(await store.size(chunks[9]!.hash)).toBe(7_009)

    // A new process finds every chunk from the pack's own index.
    const again = new ChunkStore(store.dir)
    await again.open()
    expect(again.count).toBe(50)
    for (const c of chunks) expect((await again.get(c.hash)).equals(c.data)).toBe(true)
  })

  it('copies chunks given by reference into slabs it reuses, without ever changing bytes already handed out', async () => {
    // Packs of 64 KB: the slabs of each written pack are reused by the next ones many times over.
    const store = new ChunkStore(join(await tempDir(), 'chunks'), { packBytes: 64 * 1024 })
    await store.open()
    const scratch = Buffer.alloc(48 * 1024)
    const kept: Array<{ hash: string; copy: Buffer; read: Buffer | null }> = []
    for (let i = 0; i < 300; i++) {
      const size = 8 * 1024 + ((i * 7919) % (40 * 1024))
      const data = pseudoRandom(size)
      data.copy(scratch)
      const view = scratch.subarray(0, size)
      const hash = chunkHash(view)
      await store.put(hash, view)
      scratch.fill(i & 0xff) // the caller reuses its buffer at once
      // Some are read back while still in memory; those buffers must stay as they were.
      kept.push({ hash, copy: data, read: i % 5 === 0 ? await store.read(hash) : null })
    }
    await store.flush()
    expect((await packNames(store)).length).toBeGreaterThan(20)
    for (const k of kept) {
      expect((await store.get(k.hash)).equals(k.copy)).toBe(true)
      if (k.read !== null) expect(k.read.equals(k.copy)).toBe(true)
    }
    // And after a restart, from the packs alone.
    const reopened = new ChunkStore(store.dir)
    await reopened.open()
    for (const k of kept) expect((await reopened.get(k.hash)).equals(k.copy)).toBe(true)
  })

  it('writes a pack by itself once enough bytes wait in memory', async () => {
    const store = new ChunkStore(join(await tempDir(), 'chunks'), { packBytes: 50_000 })
    await store.open()
    for (let i = 0; i < 12; i++) {
      const c = chunk()
      await store.put(c.hash, c.data)
    }
    // 12 × 10 kB with a pack every 50 kB: two packs on disk, the rest still in memory.
    expect(await packNames(store)).toHaveLength(2)
    expect(store.count).toBe(12)
  })

  it('refuses data that does not match its hash and stores nothing', async () => {
    const store = new ChunkStore(join(await tempDir(), 'chunks'))
    await store.open()
    const hash = chunkHash(Buffer.from('a'))
    await expect(store.putVerified(hash, Buffer.from('b'))).rejects.toMatchObject({ code: 'BAD_CHUNK' })
    expect(await store.has(hash)).toBe(false)
    await expect(store.sync([hash])).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('writes a gathering pack ahead while chunks arrive; only the sealed pack ever becomes visible', async () => {
    const dir = join(await tempDir(), 'chunks')
    const store = new ChunkStore(dir)
    await store.open()
    const tmpFiles = async () => (await readdir(join(dir, 'packs'))).filter((n) => n.startsWith(TMP_PREFIX))
    const chunks = Array.from({ length: Math.ceil((2.5 * WRITE_AHEAD_BYTES) / 50_000) }, () => chunk(50_000))
    for (const c of chunks) await store.put(c.hash, c.data)
    // Two batches went ahead into a temporary file beside the packs; no pack yet.
    await waitFor(async () => (await tmpFiles()).length === 1)
    expect(await packNames(store)).toEqual([])
    // A crash now: a new process sees no chunk of it, and sweeps the file.
    const crashed = new ChunkStore(dir)
    await crashed.open()
    expect(crashed.count).toBe(0)
    expect(await tmpFiles()).toEqual([])

    // (A fresh store, as the crash took its file away.)
    const store2 = new ChunkStore(join(await tempDir(), 'chunks'))
    await store2.open()
    for (const c of chunks) await store2.put(c.hash, c.data)
    // A chunk forgotten after it was written ahead is left out of the pack's index.
    await store2.delete(chunks[1]!.hash)
    await store2.sync([])
    expect(await packNames(store2)).toHaveLength(1)
    expect((await readdir(join(store2.dir, 'packs'))).filter((n) => n.startsWith(TMP_PREFIX))).toEqual([])
    const again = new ChunkStore(store2.dir)
    await again.open()
    expect(again.count).toBe(chunks.length - 1)
    expect(again.has(chunks[1]!.hash)).toBe(false)
    for (const c of chunks) if (c !== chunks[1]) expect((await again.get(c.hash)).equals(c.data)).toBe(true)
  })

  it('reports a corrupted chunk instead of returning it, and sweeps crash leftovers on open', async () => {
    const dir = join(await tempDir(), 'chunks')
    const store = new ChunkStore(dir)
    await store.open()
    const c = chunk(4096)
    await store.put(c.hash, c.data)
    await store.sync([c.hash])
    const [name] = await packNames(store)
    const fh = await open(join(dir, 'packs', name!), 'r+')
    await fh.write(Buffer.from('tampered'), 0, 8, 100) // inside the chunk's bytes
    await fh.close()
    const reopened = new ChunkStore(dir)
    await reopened.open()
    const err = await reopened.get(c.hash).catch((e: unknown) => e)
    expect(ShoalError.is(err, 'BAD_CHUNK')).toBe(true)

    await writeFile(join(dir, 'packs', `${TMP_PREFIX}half-written`), 'xx')
    await new ChunkStore(dir).open()
    expect((await readdir(join(dir, 'packs'))).some((n) => n.startsWith(TMP_PREFIX))).toBe(false)
  })

  it('sets a damaged pack aside (never deletes it) and keeps serving the others', async () => {
    const dir = join(await tempDir(), 'chunks')
    const store = new ChunkStore(dir)
    await store.open()
    const good = chunk()
    await store.put(good.hash, good.data)
    await store.sync([good.hash])
    const bad = chunk()
    await store.put(bad.hash, bad.data)
    await store.sync([bad.hash])
    const names = (await packNames(store)).sort()
    // Cut the second pack's footer off, as a torn write on a failing disk would.
    const fh = await open(join(dir, 'packs', names[1]!), 'r+')
    await fh.truncate((await fh.stat()).size - 10)
    await fh.close()

    const reopened = new ChunkStore(dir)
    await reopened.open()
    expect(reopened.quarantined).toHaveLength(1)
    expect(reopened.quarantined[0]).toContain('damaged pack file')
    expect(await reopened.has(bad.hash)).toBe(false)
    expect((await reopened.get(good.hash)).equals(good.data)).toBe(true)
    expect(await readdir(join(dir, 'packs'))).toContain(`${names[1]}.bad`)
  })

  it('compaction drops deleted chunks from disk and keeps the rest readable', async () => {
    const dir = join(await tempDir(), 'chunks')
    const store = new ChunkStore(dir)
    await store.open()
    const chunks = Array.from({ length: 20 }, () => chunk(20_000))
    for (const c of chunks) await store.put(c.hash, c.data)
    await store.sync([])
    for (const c of chunks.slice(0, 15)) await store.delete(c.hash)
    const result = await store.compact()
    expect(result.bytesFreed).toBeGreaterThanOrEqual(15 * 20_000)
    const files = store.packFiles()
    expect(files).toHaveLength(1)
    expect(files[0]!.chunks).toBe(5)
    expect(await packNames(store)).toEqual([files[0]!.name])

    const reopened = new ChunkStore(dir)
    await reopened.open()
    expect(reopened.count).toBe(5)
    for (const c of chunks.slice(15)) expect((await reopened.get(c.hash)).equals(c.data)).toBe(true)
  })

  it('readMany returns each chunk whole, from packs and from memory alike, in the order asked', async () => {
    const store = new ChunkStore(join(await tempDir(), 'chunks'))
    await store.open()
    const first = Array.from({ length: 40 }, () => chunk(30_000))
    for (const c of first) await store.put(c.hash, c.data)
    await store.sync([])
    const second = Array.from({ length: 5 }, () => chunk(20_000))
    for (const c of second) await store.put(c.hash, c.data)
    await store.sync([])
    const pending = chunk(5_000) // not written out yet
    await store.put(pending.hash, pending.data)
    // In and out of pack order, across both packs and memory, with a repeat.
    const asked = [...first.slice(10, 30), second[3]!, first[2]!, pending, ...second, first[2]!]
    const got = await store.readMany(asked.map((c) => c.hash))
    expect(got).toHaveLength(asked.length)
    for (const [i, c] of asked.entries()) expect(got[i]!.equals(c.data)).toBe(true)
    await expect(store.readMany([first[0]!.hash, 'ab'.repeat(32)])).rejects.toMatchObject({ code: 'NOT_FOUND' })
    // While the packs are compacted away under it, a batch still comes back whole.
    await store.delete(first[0]!.hash)
    const during = store.readMany(first.slice(1).map((c) => c.hash))
    await store.compact()
    for (const [i, data] of (await during).entries()) expect(data.equals(first[i + 1]!.data)).toBe(true)
  })

  it('readManyInto reads chunks back to back into one buffer, from packs and from memory, without a new buffer', async () => {
    const store = new ChunkStore(join(await tempDir(), 'chunks'))
    await store.open()
    const packed = Array.from({ length: 30 }, () => chunk(30_000))
    for (const c of packed) await store.put(c.hash, c.data)
    await store.sync([])
    const pending = chunk(7_000)
    await store.put(pending.hash, pending.data)
    const into = Buffer.alloc(400_000)
    const asked = [...packed.slice(3, 9), pending, packed[20]!, packed[2]!, packed[3]!]
    const got = store.readManyInto(asked.map((c) => c.hash), into)
    expect(got).toHaveLength(asked.length)
    for (const [i, c] of asked.entries()) {
      expect(got[i]!.equals(c.data)).toBe(true)
      expect(got[i]!.buffer).toBe(into.buffer) // views of the caller's buffer
    }
    // Back to back from the start of the buffer, in the order asked.
    expect(got[0]!.byteOffset).toBe(into.byteOffset)
    expect(got[1]!.byteOffset).toBe(into.byteOffset + 30_000)
    // Read again into the same buffer: the new bytes replace the old ones.
    const again = store.readManyInto([packed[29]!.hash], into)
    expect(again[0]!.equals(packed[29]!.data)).toBe(true)
    expect(store.readSync(packed[7]!.hash).equals(packed[7]!.data)).toBe(true)
    expect(() => store.readManyInto(packed.map((c) => c.hash), into)).toThrow(expect.objectContaining({ code: 'INTERNAL' }))
    expect(() => store.readManyInto(['ab'.repeat(32)], into)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }))
    // A pack opened by a synchronous read serves asynchronous reads too, and the other way round.
    const reopened = new ChunkStore(store.dir)
    await reopened.open()
    expect(reopened.readSync(packed[0]!.hash).equals(packed[0]!.data)).toBe(true)
    expect((await reopened.read(packed[1]!.hash)).equals(packed[1]!.data)).toBe(true)
    const third = new ChunkStore(store.dir)
    await third.open()
    const both = third.read(packed[4]!.hash)
    expect(third.readSync(packed[5]!.hash).equals(packed[5]!.data)).toBe(true)
    expect((await both).equals(packed[4]!.data)).toBe(true)
    expect(third.readSync(packed[6]!.hash).equals(packed[6]!.data)).toBe(true)
  })

  it('merges many small packs into one', async () => {
    const store = new ChunkStore(join(await tempDir(), 'chunks'))
    await store.open()
    const chunks = Array.from({ length: MERGE_SMALL_PACKS + 2 }, () => chunk())
    for (const c of chunks) {
      await store.put(c.hash, c.data)
      await store.sync([c.hash]) // one small pack per snapshot, as a busy app makes them
    }
    expect(await packNames(store)).toHaveLength(chunks.length)
    await store.compact()
    expect(await packNames(store)).toHaveLength(1)
    for (const c of chunks) expect((await store.get(c.hash)).equals(c.data)).toBe(true)
  })

  it('a chunk read while its pack is being compacted away still comes back whole', async () => {
    const store = new ChunkStore(join(await tempDir(), 'chunks'))
    await store.open()
    const keep = Array.from({ length: 30 }, () => chunk(30_000))
    const drop = chunk()
    for (const c of [...keep, drop]) await store.put(c.hash, c.data)
    await store.sync([])
    await store.delete(drop.hash)
    const reads = keep.map((c) => store.get(c.hash))
    const compacted = store.compact()
    const more = keep.map((c) => store.get(c.hash))
    await compacted
    for (const [i, data] of (await Promise.all([...reads, ...more])).entries()) expect(data.equals(keep[i % keep.length]!.data)).toBe(true)
  })

  it('puts, syncs, deletes and compactions running at once never lose or corrupt a kept chunk', async () => {
    const dir = join(await tempDir(), 'chunks')
    const store = new ChunkStore(dir, { packBytes: 64 * 1024 })
    await store.open()
    // Chunks whose sync finished (only those may be collected, as GC's grace period ensures).
    const kept = new Map<string, Buffer>()
    const work: Promise<unknown>[] = []
    for (let round = 0; round < 12; round++) {
      const batch = Array.from({ length: 10 }, () => chunk(2_000 + round * 100))
      for (const c of batch) work.push(store.put(c.hash, c.data))
      work.push(store.sync(batch.map((c) => c.hash)).then(() => batch.forEach((c) => kept.set(c.hash, c.data))))
      // Forget some settled chunks while this round is being written, and compact meanwhile.
      for (const h of [...kept.keys()].slice(0, 5)) {
        kept.delete(h)
        work.push(store.delete(h))
      }
      work.push(store.compact())
      if (round % 3 === 2) await Promise.all(work.splice(0))
    }
    await Promise.all(work)
    await store.sync([])
    expect(store.count).toBe(kept.size) // every forgotten chunk is gone…
    expect(kept.size).toBe(12 * 10 - 9 * 5) // …five in each round after the first settled ones (rounds 4 to 12)
    await store.compact()
    for (const p of store.packFiles()) expect(p.live).toBe(p.chunks) // …and from the disk after a compaction
    for (const [h, data] of kept) expect((await store.get(h)).equals(data)).toBe(true)

    const reopened = new ChunkStore(dir)
    await reopened.open()
    expect(reopened.quarantined).toEqual([])
    for (const [h, data] of kept) expect((await reopened.get(h)).equals(data)).toBe(true)
    // Whatever else survived (deletions are forgotten by a restart until GC runs again) is intact.
    for await (const { hash } of reopened.list()) expect(chunkHash(await reopened.get(hash))).toBe(hash)
  })
})
