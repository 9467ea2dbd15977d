import type { ChunkRun, PatchPiece } from '../protocol/volume-messages.js'

/** A patch must copy at least this many bytes to be worth more than sending the chunk whole. */
export const MIN_PATCH_SAVING = 512
const BLOCK = 1024

/** What the sender needs of its chunk store to align a run. */
export interface ChunkSource {
  size(hash: string): number | undefined
  read(hash: string): Promise<Uint8Array>
}

/**
 * How a run of new chunks lines up with the old run it replaced: the bytes both share from the
 * start (an edit's left side) and from the end (its right side). Between them is what is new.
 */
export interface RunAlignment {
  /** Offset of each new chunk in the new run; the last element is the run's length. */
  newAt: number[]
  /** The same for the old run. */
  oldAt: number[]
  old: string[]
  prefix: number
  suffix: number
}

/**
 * Aligns a run, reading only the chunks its shared start and end go through (usually one or two
 * each side). Null when the source lacks a chunk of either run.
 */
export async function alignRun(run: ChunkRun, source: ChunkSource): Promise<RunAlignment | null> {
  const newAt = offsets(run.chunks, source)
  const oldAt = offsets(run.old, source)
  if (newAt === null || oldAt === null) return null
  const limit = Math.min(newAt.at(-1)!, oldAt.at(-1)!)
  const prefix = await shared(run.chunks, run.old, source, limit, false)
  const suffix = await shared(run.chunks, run.old, source, limit - prefix, true)
  return { newAt, oldAt, old: run.old, prefix, suffix }
}

/**
 * Chunk `index` of the run (its bytes `data`) as pieces of the old run and new bytes, or null
 * when that would not copy MIN_PATCH_SAVING bytes.
 */
export function patchPieces(al: RunAlignment, index: number, data: Uint8Array): PatchPiece[] | null {
  const a = al.newAt[index]!
  const b = al.newAt[index + 1]!
  if (data.byteLength !== b - a) return null
  const shift = al.oldAt.at(-1)! - al.newAt.at(-1)!
  const litFrom = clamp(al.prefix, a, b)
  const litTo = clamp(al.newAt.at(-1)! - al.suffix, litFrom, b)
  if (litFrom - a + (b - litTo) < MIN_PATCH_SAVING) return null
  const ops: PatchPiece[] = []
  copyOld(ops, al, a, litFrom)
  if (litFrom < litTo) ops.push({ literal: data.subarray(litFrom - a, litTo - a) })
  copyOld(ops, al, litTo + shift, b + shift)
  return ops
}

/** Pieces of the old run covering old offsets [from, to). */
function copyOld(ops: PatchPiece[], al: RunAlignment, from: number, to: number): void {
  let k = 0
  while (from < to) {
    while (al.oldAt[k + 1]! <= from) k++
    const end = Math.min(to, al.oldAt[k + 1]!)
    ops.push({ base: al.old[k]!, offset: from - al.oldAt[k]!, length: end - from })
    from = end
  }
}

function offsets(hashes: string[], source: ChunkSource): number[] | null {
  const at = [0]
  for (const h of hashes) {
    const size = source.size(h)
    if (size === undefined) return null
    at.push(at.at(-1)! + size)
  }
  return at
}

/**
 * Bytes two chunk sequences share from their start (or, `fromEnd`, from their end), at most
 * `limit`, reading chunks lazily.
 */
async function shared(a: string[], b: string[], source: ChunkSource, limit: number, fromEnd: boolean): Promise<number> {
  const next = (list: string[], i: number) => (i < list.length ? source.read(list[fromEnd ? list.length - 1 - i : i]!) : Promise.resolve(null))
  let ia = 0
  let ib = 0
  let da = await next(a, 0)
  let db = await next(b, 0)
  // Bytes of da / db already matched, counted from the chunk's start (or end).
  let oa = 0
  let ob = 0
  let n = 0
  while (da !== null && db !== null && n < limit) {
    const len = Math.min(da.byteLength - oa, db.byteLength - ob, limit - n)
    const k = fromEnd
      ? commonSuffix(da.subarray(0, da.byteLength - oa), db.subarray(0, db.byteLength - ob), len)
      : commonPrefix(da.subarray(oa, oa + len), db.subarray(ob, ob + len))
    n += k
    if (k < len) break
    oa += len
    ob += len
    if (oa === da.byteLength) {
      da = await next(a, ++ia)
      oa = 0
    }
    if (ob === db.byteLength) {
      db = await next(b, ++ib)
      ob = 0
    }
  }
  return n
}

/** Length of the common start of a and b. */
export function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength)
  let at = 0
  // Whole blocks by memcmp, then byte by byte inside the first block that differs.
  while (at + BLOCK <= n && Buffer.compare(a.subarray(at, at + BLOCK), b.subarray(at, at + BLOCK)) === 0) at += BLOCK
  while (at < n && a[at] === b[at]) at++
  return at
}

/** Length of the common end of a and b, at most `max`. */
export function commonSuffix(a: Uint8Array, b: Uint8Array, max = Infinity): number {
  const n = Math.min(a.byteLength, b.byteLength, max)
  const ea = a.byteLength
  const eb = b.byteLength
  let k = 0
  while (k + BLOCK <= n && Buffer.compare(a.subarray(ea - k - BLOCK, ea - k), b.subarray(eb - k - BLOCK, eb - k)) === 0) k += BLOCK
  while (k < n && a[ea - k - 1] === b[eb - k - 1]) k++
  return k
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x
}
