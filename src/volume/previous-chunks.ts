import type { ChunkStore } from './chunk-store.js'

/** Old chunks read back at once for comparing (bounds the bytes read ahead of a mismatch). */
const COMPARE_BYTES = 1024 * 1024

/**
 * The chunks of a file's previous version, recognised in its new bytes by comparing them with
 * the stored chunks instead of cutting and hashing them again: a changed file is mostly its
 * old chunks, and comparing bytes costs a fraction of a rolling hash plus SHA-256.
 *
 * Why a match may take the old chunk's hash: the cutter (nextCut) places a cut using only the
 * bytes from the chunk's start to the cut, so equal bytes at the same start give the same cut,
 * the same chunk and the same hash, provided the cutter would have seen those bytes (the chunk
 * fits in what was read). The one exception is the old file's last chunk, cut by the end of the
 * file rather than by its bytes: it matches only where the new file ends at the same place.
 * Equal bytes are trusted as far as the stored chunk is: a chunk the disk damaged simply does
 * not compare equal, and the bytes are then cut and hashed as any new bytes are.
 */
export class PreviousChunks {
  /** The old chunk expected at the current position, or -1 when following none. */
  private next = 0
  private readonly lengths: number[]
  /** Indexes of old chunks by length, to find where the old sequence resumes after a change. */
  private byLength: Map<number, number[]> | null = null
  /** Where old chunks are read for comparing: the caller's to reuse once done with this file. */
  readonly compareBuffer: Buffer

  constructor(
    private readonly chunks: ChunkStore,
    private readonly hashes: readonly string[],
    compare?: Buffer
  ) {
    // An old chunk no longer stored (collected meanwhile) ends the list: nothing past it matches.
    const lengths: number[] = []
    for (const h of hashes) {
      const n = chunks.size(h)
      if (n === undefined) break
      lengths.push(n)
    }
    this.lengths = lengths
    this.compareBuffer = compare ?? Buffer.allocUnsafe(COMPARE_BYTES)
  }

  /** Starts again from the old file's first chunk (a new attempt at reading the file). */
  reset(): void {
    this.next = 0
  }

  /**
   * Old chunks, in sequence from the one expected, that data[at, end) holds byte for byte: their
   * hashes are pushed to `out`; returns the bytes they cover (0 at the first that differs or
   * does not fit; the position then follows no old chunk until `recognise` finds one).
   */
  matchRun(data: Uint8Array, at: number, end: number, final: boolean, out: string[]): number {
    let pos = at
    while (this.next >= 0 && this.next < this.lengths.length) {
      // A batch of the expected chunks that fit, read back to back from the store.
      const first = this.next
      let stop = first
      let bytes = 0
      while (stop < this.lengths.length && pos + bytes + this.lengths[stop]! <= end && bytes + this.lengths[stop]! <= this.compareBuffer.length) {
        bytes += this.lengths[stop]!
        stop++
      }
      if (stop === first) break
      let old: Buffer[]
      try {
        old = this.chunks.readManyInto(this.hashes.slice(first, stop), this.compareBuffer)
      } catch {
        this.next = -1 // gone from the store meanwhile: cut and hash from here
        break
      }
      for (let k = first; k < stop; k++) {
        const len = this.lengths[k]!
        const last = k === this.hashes.length - 1
        if ((last && !(final && pos + len === end)) || !sameBytes(data, pos, old[k - first]!)) {
          this.next = -1
          return pos - at
        }
        this.chunks.touch(this.hashes[k]!)
        out.push(this.hashes[k]!)
        pos += len
        this.next = k + 1
      }
    }
    return pos - at
  }

  /**
   * A chunk the cutter just cut at data[at, at + len): the hash of an old chunk with the same
   * bytes, if one exists (the old sequence then resumes after it), else null. Any old chunk
   * will do, the last one too: the cut is the cutter's own, and equal bytes have equal hashes.
   */
  recognise(data: Uint8Array, at: number, len: number): string | null {
    this.byLength ??= indexByLength(this.lengths)
    for (const k of this.byLength.get(len) ?? []) {
      let old: Buffer
      try {
        old = this.chunks.readManyInto([this.hashes[k]!], this.compareBuffer)[0]!
      } catch {
        continue
      }
      if (sameBytes(data, at, old)) {
        this.chunks.touch(this.hashes[k]!)
        this.next = k + 1
        return this.hashes[k]!
      }
    }
    return null
  }
}

function sameBytes(data: Uint8Array, at: number, old: Buffer): boolean {
  return old.equals(data.subarray(at, at + old.length))
}

function indexByLength(lengths: readonly number[]): Map<number, number[]> {
  const m = new Map<number, number[]>()
  lengths.forEach((n, k) => {
    const list = m.get(n)
    if (list) list.push(k)
    else m.set(n, [k])
  })
  return m
}
