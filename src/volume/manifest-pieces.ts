import { decodeManifestBounded, encodeManifest } from '../protocol/manifest-codec.js'
import { chunkHash } from './chunk-hash.js'
import { nextCut, type ChunkerParams } from './chunker.js'

/**
 * A manifest is cut into content-defined pieces, both to travel (entries are sorted by path, so
 * a change to one file changes only the piece around it, and a replica fetches only the pieces
 * it lacks) and to be stored: pieces are chunks, shared by every snapshot that has them, so a
 * node keeping thousands of snapshots of a large volume keeps its unchanged entries once.
 */
export const MANIFEST_CHUNKER: ChunkerParams = { min: 512, avg: 2 * 1024, max: 16 * 1024 }
/** A cut moves forward to the next entry's end when that is at most this far. */
export const MAX_SNAP_BYTES = 64 * 1024

export interface ManifestPiece {
  hash: string
  /** A view into the manifest's bytes. */
  data: Uint8Array
  /** The piece holds whole entries (the first piece: the header and whole entries). */
  whole: boolean
}

/**
 * Cuts encoded manifest bytes into pieces. With `ends` (from encodeManifestBounded: where the
 * header and each entry end), each content-defined cut moves forward to the next entry's end,
 * so pieces hold whole entries and can be read one by one; an entry too large for that (a file
 * of tens of thousands of chunks) is cut inside, and the pieces around the cut are not whole.
 * Without `ends`, plain content-defined cuts, none whole.
 */
export function cutManifest(bytes: Uint8Array, ends: readonly number[] | null = null): ManifestPiece[] {
  const out: ManifestPiece[] = []
  let at = 0
  let k = 0 // first entry end after `at`
  let alignedStart = true
  while (at < bytes.byteLength) {
    let cut = at + nextCut(bytes, at, bytes.byteLength, true, MANIFEST_CHUNKER)
    let aligned = false
    if (ends !== null) {
      while (k < ends.length && ends[k]! < cut) k++
      if (k < ends.length && ends[k]! - at <= MAX_SNAP_BYTES) {
        cut = ends[k]!
        aligned = true
      } else if (k < ends.length && ends[k] === cut) aligned = true
    }
    const data = bytes.subarray(at, cut)
    out.push({ hash: chunkHash(data), data, whole: ends !== null && alignedStart && aligned })
    alignedStart = aligned
    at = cut
  }
  return out
}

/**
 * Where the header and each entry of encoded manifest bytes end (for cutManifest), or null when
 * the bytes are not the canonical encoding of their manifest.
 */
export function entryEnds(bytes: Uint8Array): number[] | null {
  try {
    const { manifest, ends } = decodeManifestBounded(bytes)
    return encodeManifest(manifest).equals(bytes) ? ends : null
  } catch {
    return null
  }
}
