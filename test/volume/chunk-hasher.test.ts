import { describe, expect, it } from 'vitest'
import { randomFillSync } from 'node:crypto'
import type { Worker } from 'node:worker_threads'
import { chunkHash } from '../../src/volume/chunk-hash.js'
import { ChunkHasher, WORKER_MIN_BYTES, chunkHasher } from '../../src/volume/chunk-hasher.js'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { checkout } from '../../src/volume/checkout.js'
import { expectSameTree, makeNode, nodeIdOf, pseudoRandom, tempDir } from './helpers.js'

const expected = (data: Uint8Array, bounds: number[]) => bounds.slice(1).map((end, i) => chunkHash(data.subarray(bounds[i], end)))

describe('ChunkHasher', () => {
  it('hashes big batches on its worker, reading the shared bytes in place, exactly as chunkHash does', async () => {
    const hasher = new ChunkHasher()
    const buf = randomFillSync(ChunkHasher.sharedBuffer(2_000_000))
    const bounds = [0, 100_000, 700_000, 1_500_000, 2_000_000]
    expect(await hasher.hash(buf, bounds)).toEqual(expected(buf, bounds))
    expect(hasher.onWorker).toBe(1)
    // A view at an offset into the shared buffer, several batches at once.
    const view = buf.subarray(100_000, 1_500_000)
    const inner = [0, 600_000, 1_400_000]
    const both = await Promise.all([hasher.hash(view, inner), hasher.hash(buf, bounds)])
    expect(both).toEqual([expected(view, inner), expected(buf, bounds)])
    expect(hasher.onWorker).toBe(3)
    // Small batches, and bytes the worker cannot share, are hashed here.
    expect(await hasher.hash(buf, [0, 1000, WORKER_MIN_BYTES - 1])).toEqual(expected(buf, [0, 1000, WORKER_MIN_BYTES - 1]))
    expect(await hasher.hash(Buffer.from(buf), bounds)).toEqual(expected(buf, bounds))
    expect(await hasher.hash(buf, [0])).toEqual([])
    expect(hasher.onWorker).toBe(3)
  })

  it('hashes here what its worker held when the worker dies, and everything after', async () => {
    const hasher = new ChunkHasher()
    const buf = randomFillSync(ChunkHasher.sharedBuffer(3_000_000))
    const bounds = [0, 1_000_000, 3_000_000]
    const inFlight = hasher.hash(buf, bounds)
    await (hasher as unknown as { worker: Worker }).worker.terminate()
    expect(await inFlight).toEqual(expected(buf, bounds))
    const before = hasher.onWorker
    expect(await hasher.hash(buf, bounds)).toEqual(expected(buf, bounds))
    expect(hasher.onWorker).toBe(before)
  })

  it('a snapshot hashes the big files it reads on the worker, and so does a checkout the old copy it reuses', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    const big = pseudoRandom(9_000_000)
    await writeFile(join(node.root, 'big'), big) // larger than a read buffer
    await writeFile(join(node.root, 'mid'), pseudoRandom(1_000_000))
    await writeFile(join(node.root, 'small'), 'tiny')
    const before = chunkHasher.onWorker
    const { manifest } = await node.snapshotter.snapshot({ epoch: 1 })
    expect(chunkHasher.onWorker).toBeGreaterThanOrEqual(before + 3) // 'big' in several batches, 'mid' in one
    const target = join(home, 'out')
    await checkout({ chunks: node.chunks, manifest, target, mode: 'fresh' })
    await expectSameTree(node.root, target)

    await writeFile(join(node.root, 'big'), Buffer.concat([big.subarray(0, 5_000_000), Buffer.from('an insert'), big.subarray(5_000_000)]))
    const next = await node.snapshotter.snapshot({ epoch: 1 })
    const beforeCheckout = chunkHasher.onWorker
    await checkout({ chunks: node.chunks, manifest: next.manifest, previous: manifest, target, mode: 'in-place' })
    expect(chunkHasher.onWorker).toBeGreaterThan(beforeCheckout)
    await expectSameTree(node.root, target)
  })
})

describe('cutting on the worker', () => {
  it('cuts and hashes as this thread does, from the sources and from the compiled build alike', async () => {
    const { cutPoints, DEFAULT_CHUNKER } = await import('../../src/volume/chunker.js')
    const hasher = new ChunkHasher()
    const buf = randomFillSync(ChunkHasher.sharedBuffer(3_000_000))
    for (const final of [true, false]) {
      const bounds = cutPoints(buf, 0, buf.length, final, DEFAULT_CHUNKER)
      expect(await hasher.cutAndHash(buf, final, DEFAULT_CHUNKER)).toEqual({ bounds, hashes: expected(buf, bounds) })
    }
    expect(hasher.onWorker).toBe(2)
    // Small chunker parameters too (the worker is told them), at an offset into the buffer.
    const small = { min: 1024, avg: 4096, max: 16384 }
    const view = buf.subarray(12_345, 2_012_345)
    const bounds = cutPoints(view, 0, view.length, false, small)
    expect(await hasher.cutAndHash(view, false, small)).toEqual({ bounds, hashes: expected(view, bounds) })
    expect(hasher.onWorker).toBe(3)
    // The compiled build (what a node runs) builds its worker from its own compiled chunker.
    const { pathToFileURL } = await import('node:url')
    const dist = await import(pathToFileURL(join(import.meta.dirname, '../../dist/volume/chunk-hasher.js')).href)
    const built = new dist.ChunkHasher()
    expect(await built.cutAndHash(buf, true, DEFAULT_CHUNKER)).toEqual(await hasher.cutAndHash(buf, true, DEFAULT_CHUNKER))
    expect(built.onWorker).toBe(1)
  })

  it('cuts here what its worker held when the worker dies', async () => {
    const { cutPoints, DEFAULT_CHUNKER } = await import('../../src/volume/chunker.js')
    const hasher = new ChunkHasher()
    const buf = randomFillSync(ChunkHasher.sharedBuffer(2_000_000))
    const inFlight = hasher.cutAndHash(buf, true, DEFAULT_CHUNKER)
    await (hasher as unknown as { worker: Worker }).worker.terminate()
    const bounds = cutPoints(buf, 0, buf.length, true, DEFAULT_CHUNKER)
    expect(await inFlight).toEqual({ bounds, hashes: expected(buf, bounds) })
  })
})
