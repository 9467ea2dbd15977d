import type { ChunkStore } from './chunk-store.js'

const UNKNOWN = -2
const GONE = -1

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
  /**
   * Sizes of the old chunks, looked up as needed (UNKNOWN until then; GONE when no longer
   * stored): a file rewritten whole needs one or two of them.
   */
  private readonly lengths: Int32Array
  /** Where each old chunk first appears, to find where the old sequence resumes after a change. */
  private indexOf: Map<string, number> | null = null
  /** Where old chunks are read for comparing: the caller's to reuse once done with this file. */
  readonly compareBuffer: Buffer

  constructor(
    private readonly chunks: ChunkStore,
    private readonly hashes: readonly string[],
    compare?: Buffer
  ) {
    this.lengths = new Int32Array(hashes.length).fill(UNKNOWN)
    this.compareBuffer = compare ?? Buffer.allocUnsafe(COMPARE_BYTES)
  }

  /**
   * The size of old chunk `k`; undefined past the end, or when it is no longer stored (collected
   * meanwhile): nothing from there on matches.
   */
  private lengthAt(k: number): number | undefined {
    if (k >= this.hashes.length) return undefined
    let n = this.lengths[k]!
    if (n === UNKNOWN) this.lengths[k] = n = this.chunks.size(this.hashes[k]!) ?? GONE
    return n === GONE ? undefined : n
  }

  /** Starts again from the old file's first chunk (a new attempt at reading the file). */
  reset(): void {
    this.next = 0
  }

  /**
   * Old chunks, in sequence from the one expected, that data[at, end) holds byte for byte: their
   * hashes are pushed to `out`; returns the bytes they cover (0 at the first that differs or
   * does not fit; the position then follows no old chunk until `resumeAfter` finds one).
   */
  matchRun(data: Uint8Array, at: number, end: number, final: boolean, out: string[]): number {
    let pos = at
    while (this.next >= 0 && this.next < this.hashes.length) {
      // A batch of the expected chunks that fit, read back to back from the store.
      const first = this.next
      let stop = first
      let bytes = 0
      for (;;) {
        const len = this.lengthAt(stop)
        if (len === undefined || pos + bytes + len > end || bytes + len > this.compareBuffer.length) break
        bytes += len
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
        const len = this.lengthAt(k)!
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
   * A chunk just cut and hashed from the new bytes: when it is one of the old chunks, the old
   * sequence resumes after it (returns true). Equal hashes are equal bytes; any old chunk will
   * do, the last one too, since the cut is the cutter's own.
   */
  resumeAfter(hash: string): boolean {
    this.indexOf ??= indexByHash(this.hashes)
    const k = this.indexOf.get(hash)
    if (k === undefined) return false
    this.next = k + 1
    return true
  }
}

function sameBytes(data: Uint8Array, at: number, old: Buffer): boolean {
  return old.equals(data.subarray(at, at + old.length))
}

function indexByHash(hashes: readonly string[]): Map<string, number> {
  const m = new Map<string, number>()
  hashes.forEach((h, k) => {
    if (!m.has(h)) m.set(h, k)
  })
  return m
}
