import { describe, expect, it } from 'vitest'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ShoalError } from '../../src/core/errors.js'
import { ChunkStore } from '../../src/volume/chunk-store.js'
import { chunkHash } from '../../src/volume/chunk-hash.js'
import { TMP_PREFIX } from '../../src/volume/fs-atomic.js'
import { pseudoRandom, tempDir } from './helpers.js'

describe('ChunkStore', () => {
  it('stores each chunk once under ab/cdef… and reads it back verified', async () => {
    const store = new ChunkStore(join(await tempDir(), 'chunks'))
    await store.open()
    const data = pseudoRandom(70_000)
    const hash = chunkHash(data)
    expect(await store.putVerified(hash, data)).toBe(true)
    expect(await store.putVerified(hash, data)).toBe(false)
    expect(await readdir(join(store.dir, hash.slice(0, 2)))).toEqual([hash.slice(2)])
    expect((await store.get(hash)).equals(data)).toBe(true)
    await store.sync([hash])
    expect(await store.size(hash)).toBe(70_000)
  })

  it('refuses data that does not match its hash and stores nothing', async () => {
    const store = new ChunkStore(join(await tempDir(), 'chunks'))
    await store.open()
    const hash = chunkHash(Buffer.from('a'))
    await expect(store.putVerified(hash, Buffer.from('b'))).rejects.toMatchObject({ code: 'BAD_CHUNK' })
    expect(await store.has(hash)).toBe(false)
  })

  it('reports a corrupted chunk instead of returning it, and sweeps crash leftovers on open', async () => {
    const dir = join(await tempDir(), 'chunks')
    const store = new ChunkStore(dir)
    await store.open()
    const data = Buffer.from('precious')
    const hash = chunkHash(data)
    await store.put(hash, data)
    await writeFile(store.pathOf(hash), 'tampered')
    const err = await store.get(hash).catch((e: unknown) => e)
    expect(ShoalError.is(err, 'BAD_CHUNK')).toBe(true)

    await writeFile(join(dir, hash.slice(0, 2), `${TMP_PREFIX}half-written`), 'xx')
    await new ChunkStore(dir).open()
    expect((await readdir(join(dir, hash.slice(0, 2)))).some((n) => n.startsWith(TMP_PREFIX))).toBe(false)
  })
})
