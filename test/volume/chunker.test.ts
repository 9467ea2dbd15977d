import { describe, expect, it } from 'vitest'
import { DEFAULT_CHUNKER, nextCut } from '../../src/volume/chunker.js'
import { chunkHash } from '../../src/volume/chunk-hash.js'
import { pseudoRandom } from './helpers.js'

function chunkAll(buf: Uint8Array): string[] {
  const out: string[] = []
  for (let at = 0; at < buf.length; ) {
    const len = nextCut(buf, at, buf.length, true)
    expect(len).toBeGreaterThan(0)
    out.push(chunkHash(buf.subarray(at, at + len)))
    at += len
  }
  return out
}

describe('content-defined chunker', () => {
  it('cuts within min/max and averages near the target', () => {
    const buf = pseudoRandom(16 * 1024 * 1024)
    const sizes: number[] = []
    for (let at = 0; at < buf.length; ) {
      const len = nextCut(buf, at, buf.length, true)
      sizes.push(len)
      at += len
    }
    const body = sizes.slice(0, -1)
    expect(Math.min(...body)).toBeGreaterThanOrEqual(DEFAULT_CHUNKER.min)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(DEFAULT_CHUNKER.max)
    const avg = buf.length / sizes.length
    expect(avg).toBeGreaterThan(DEFAULT_CHUNKER.avg * 0.7)
    expect(avg).toBeLessThan(DEFAULT_CHUNKER.avg * 1.5)
  })

  it('an insert in the middle of a big file changes only the chunks around it', () => {
    const buf = pseudoRandom(8 * 1024 * 1024)
    const mid = 4 * 1024 * 1024 + 12345
    const edited = Buffer.concat([buf.subarray(0, mid), pseudoRandom(5000), buf.subarray(mid)])
    const before = chunkAll(buf)
    const after = chunkAll(edited)
    const old = new Set(before)
    const fresh = after.filter((h) => !old.has(h))
    expect(before.length).toBeGreaterThan(60)
    expect(fresh.length).toBeGreaterThanOrEqual(1)
    expect(fresh.length).toBeLessThanOrEqual(3)
  })

  it('asks for more data instead of cutting early when not at the end', () => {
    const buf = pseudoRandom(DEFAULT_CHUNKER.max)
    expect(nextCut(buf, 0, DEFAULT_CHUNKER.min - 1, false)).toBe(0)
    expect(nextCut(buf, 0, DEFAULT_CHUNKER.min - 1, true)).toBe(DEFAULT_CHUNKER.min - 1)
    const full = nextCut(buf, 0, buf.length, false)
    expect(full).toBeGreaterThan(0)
    expect(full).toBeLessThanOrEqual(DEFAULT_CHUNKER.max)
  })
})
