/**
 * Content-defined chunking with a gear rolling hash (FastCDC-style with normalised chunking):
 * cut points depend only on nearby bytes, so an insert in the middle of a file changes only the
 * chunks around it. Pure and allocation-free; the caller owns the buffers.
 */

// 32 KiB on average: small enough that an edit re-sends little beyond itself (each edit costs
// about one average chunk around its edges), large enough to keep per-chunk file costs down.
export const MIN_CHUNK = 8 * 1024
export const AVG_CHUNK = 32 * 1024
export const MAX_CHUNK = 128 * 1024

export interface ChunkerParams {
  min: number
  avg: number
  max: number
}

export const DEFAULT_CHUNKER: ChunkerParams = { min: MIN_CHUNK, avg: AVG_CHUNK, max: MAX_CHUNK }

/** Fixed pseudo-random gear table (xorshift32 from a constant seed): every node must agree. */
const GEAR = (() => {
  const table = new Int32Array(256)
  let x = 0x9e3779b9 | 0
  for (let i = 0; i < 256; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    table[i] = x
  }
  return table
})()

interface Masks {
  /** Before the average size a cut needs more zero bits (rarer), after it fewer. */
  shiftHard: number
  shiftEasy: number
}

const masksCache = new Map<number, Masks>()
function masks(avg: number): Masks {
  let m = masksCache.get(avg)
  if (!m) {
    const bits = Math.round(Math.log2(avg))
    // The top bits of the 32-bit fingerprint depend on the last 32 bytes; a cut is where the
    // top `bits±2` bits are all zero.
    m = { shiftHard: 32 - (bits + 2), shiftEasy: 32 - (bits - 2) }
    masksCache.set(avg, m)
  }
  return m
}

/**
 * Length of the next chunk of `buf[start, end)`. When `final` is false and no cut point is found
 * before `end`, returns 0: the caller must supply more bytes (at least `max` from `start`).
 */
export function nextCut(buf: Uint8Array, start: number, end: number, final: boolean, p: ChunkerParams = DEFAULT_CHUNKER): number {
  const len = end - start
  if (len <= p.min) return final || len === p.max ? len : 0
  const { shiftHard, shiftEasy } = masks(p.avg)
  const limit = Math.min(len, p.max)
  const normal = Math.min(limit, p.avg)
  const gear = GEAR
  let fp = 0
  let i = start + p.min
  const normalEnd = start + normal
  for (; i < normalEnd; i++) {
    fp = ((fp << 1) + gear[buf[i]!]!) | 0
    if (fp >>> shiftHard === 0) return i + 1 - start
  }
  const limitEnd = start + limit
  for (; i < limitEnd; i++) {
    fp = ((fp << 1) + gear[buf[i]!]!) | 0
    if (fp >>> shiftEasy === 0) return i + 1 - start
  }
  if (limit === p.max || final) return limit
  return 0
}

/**
 * Where the chunks that can be cut from buf[start, end) end, as offsets from `start` (0 first): a
 * cut needs `max` bytes ahead of it unless the bytes run to the end of the file (`final`).
 */
export function cutPoints(buf: Uint8Array, start: number, end: number, final: boolean, p: ChunkerParams): number[] {
  const bounds = [0]
  for (let at = start; at < end && (final || end - at >= p.max); ) {
    at += nextCut(buf, at, end, final, p)
    bounds.push(at - start)
  }
  return bounds
}

/**
 * This module's chunking as a script (the gear table, nextCut and cutPoints, from their own
 * source), for a worker thread to cut exactly as this thread does (see ChunkHasher).
 */
export const CHUNKER_SOURCE = [
  'var __name = (f) => f;', // what some transpilers wrap named functions in
  `const GEAR = new Int32Array(${JSON.stringify([...GEAR])});`,
  'const masksCache = new Map();',
  `const DEFAULT_CHUNKER = ${JSON.stringify(DEFAULT_CHUNKER)};`,
  masks.toString(),
  nextCut.toString(),
  cutPoints.toString()
].join('\n')

