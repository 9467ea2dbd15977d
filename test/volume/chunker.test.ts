import { describe, expect, it } from 'vitest'
import { DEFAULT_CHUNKER, nextCut } from '../../src/volume/chunker.js'
import { chunkHash } from '../../src/volume/chunk-hash.js'
import { pseudoRandom } from './helpers.js'

/** Deterministic bytes (xorshift32) so the test does not depend on luck. */
function seeded(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size)
  let x = seed * 2654435761
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out.writeInt32LE(x | 0, Math.min(i, size - 4))
  }
  return out
}

function chunkAll(buf: Uint8Array): string[] {
  return chunkSizes(buf).map((c) => c.hash)
}

function chunkSizes(buf: Uint8Array): Array<{ hash: string; len: number }> {
  const out: Array<{ hash: string; len: number }> = []
  for (let at = 0; at < buf.length; ) {
    const len = nextCut(buf, at, buf.length, true)
    expect(len).toBeGreaterThan(0)
    out.push({ hash: chunkHash(buf.subarray(at, at + len)), len })
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
    const freshBytes: number[] = []
    const INSERT = 5000
    for (let seed = 1; seed <= 8; seed++) {
      const buf = seeded(8 * 1024 * 1024, seed)
      const mid = 4 * 1024 * 1024 + 12345 * seed
      const edited = Buffer.concat([buf.subarray(0, mid), seeded(INSERT, seed + 100), buf.subarray(mid)])
      const before = chunkAll(buf)
      const old = new Set(before)
      expect(before.length).toBeGreaterThan(100)
      const fresh = chunkSizes(edited).filter((c) => !old.has(c.hash))
      expect(fresh.length).toBeGreaterThanOrEqual(1)
      freshBytes.push(fresh.reduce((a, c) => a + c.len, 0))
    }
    // 5 kB inserted into 8 MiB: what must be sent again is the insert plus the chunks it lands
    // in (a couple of average chunks), never a cascade through the rest of the file.
    const avg = DEFAULT_CHUNKER.avg
    expect(Math.max(...freshBytes)).toBeLessThanOrEqual(INSERT + 2 * DEFAULT_CHUNKER.max)
    expect(freshBytes.reduce((a, b) => a + b, 0) / freshBytes.length).toBeLessThanOrEqual(INSERT + 3 * avg)
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
