import { chunkHash } from './chunk-hash.js'
import { nextCut, type ChunkerParams } from './chunker.js'

/**
 * A manifest travels as content-defined pieces (entries are sorted by path, so a change to one
 * file changes only the piece around it). The receiver rebuilds unchanged pieces from its copy
 * of the parent's manifest, so an incremental snapshot of a large volume ships only the changed
 * part of its manifest. Pieces live in memory only, never in the chunk store.
 */
export const MANIFEST_CHUNKER: ChunkerParams = { min: 512, avg: 2 * 1024, max: 16 * 1024 }

export interface ManifestPiece {
  hash: string
  data: Uint8Array
}

/** Splits encoded manifest bytes into pieces; the pieces are views into `bytes`. */
export function manifestPieces(bytes: Uint8Array): ManifestPiece[] {
  const out: ManifestPiece[] = []
  let at = 0
  while (at < bytes.byteLength) {
    const len = nextCut(bytes, at, bytes.byteLength, true, MANIFEST_CHUNKER)
    const data = bytes.subarray(at, at + len)
    out.push({ hash: chunkHash(data), data })
    at += len
  }
  return out
}
