import type { PackWriter } from './pack-writer.js'

/**
 * Where a chunk store's chunks live: packs still gathering in memory, and sealed pack files.
 */

/**
 * New chunks given by reference to bytes the caller will reuse are copied into slabs of this
 * size, which are reused once their pack is written: on a VM, touching fresh memory costs more
 * than the copy (measured here: ~3.6 ms per MB of new pages, against well under 1 ms to copy it).
 */
export const SLAB_BYTES = 4 * 1024 * 1024
/**
 * Slabs kept for reuse between packs while chunks keep coming: a long transfer has up to three
 * packs' worth in use at once (one filling, the last ones still being written), and each slab
 * taken fresh costs its page faults again (a 512 MiB sync went from 10.5 s to 8.2-8.6 s here).
 */
export const SPARE_SLABS = 24
/** An idle store keeps only this many spare slabs (see SPARE_IDLE_MS). */
export const SPARE_SLABS_IDLE = 4
/** A store whose slabs were last handed back this long ago is idle. */
export const SPARE_IDLE_MS = 10_000

/** New chunks not yet in a pack file: readable from memory, lost by a crash. */
export class Building {
  /** Bytes of chunk data gathered. */
  len = 0
  readonly entries: Array<{ hash: string; data: Buffer; storedAt: number; from: Pack | null }> = []
  /** Its pack file, once chunks were written ahead of sealing (see PackWriter). */
  writer: PackWriter | null = null
  /** Entries (the first ones) and bytes of chunk data handed to `writer`. */
  writtenEntries = 0
  writtenLen = 0
  /** Slabs holding copied chunks; free for reuse once this building is written out (or dropped). */
  private readonly slabs: Buffer[] = []
  private used = SLAB_BYTES

  /** Adds a chunk whose buffer this building now owns. */
  append(hash: string, data: Buffer, storedAt: number, from: Pack | null): void {
    this.entries.push({ hash, data, storedAt, from })
    this.len += data.length
  }

  /** A copy of `data` in this building's slabs (taking a spare one when the current is full). */
  copyIn(data: Uint8Array, spare: Buffer[]): Buffer {
    if (data.byteLength > SLAB_BYTES) return copyOf(data)
    if (this.used + data.byteLength > SLAB_BYTES) {
      this.slabs.push(spare.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES))
      this.used = 0
    }
    const view = this.slabs.at(-1)!.subarray(this.used, this.used + data.byteLength)
    view.set(data)
    this.used += data.byteLength
    return view
  }

  /** Once written out (or dropped): hands its slabs to `spare`, keeping at most `max` there. */
  releaseSlabs(spare: Buffer[], max: number): void {
    for (const slab of this.slabs.splice(0)) if (spare.length < max) spare.push(slab)
  }
}

/** A sealed pack file on disk. */
export class Pack {
  fd: number | null = null
  opening: Promise<number> | null = null
  /** Reads in progress: a retired pack is closed and unlinked only when none are. */
  readers = 0
  retired = false
  live: number
  constructor(
    readonly name: string,
    readonly path: string,
    readonly size: number,
    readonly entries: number
  ) {
    this.live = entries
  }
}

/** A chunk store's index entry: where one stored chunk's bytes are. */
export interface ChunkLocation {
  home: Building | Pack
  /** The bytes, while `home` is a Building. */
  data: Buffer | null
  offset: number
  length: number
  storedAt: number
  /** Last time a snapshot or transfer found the chunk already here (kept in memory only). */
  usedAt: number
}

/** A copy with its own memory (Buffer.from would put small ones in the shared pool's slabs). */
export function copyOf(data: Uint8Array): Buffer {
  const own = Buffer.allocUnsafeSlow(data.byteLength)
  own.set(data)
  return own
}
