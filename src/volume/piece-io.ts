import { writevSync } from 'node:fs'
import { ShoalError } from '../core/errors.js'
import { MAX_CHUNK_BYTES } from '../protocol/volume-messages.js'
import { ChunkHasher, chunkHasher } from './chunk-hasher.js'
import type { ChunkStore } from './chunk-store.js'

/**
 * A checkout writes a file a piece of at most this many bytes (or one chunk) at a time. As large
 * as the largest chunk, so a piece's chunks always fit a piece buffer.
 */
export const PIECE_BYTES = MAX_CHUNK_BYTES
/** Read buffers for pieces (from an old copy, from the store), reused across files. */
const pieceBuffers: Buffer[] = []

export function takePieceBuffer(): Buffer {
  // Shared memory, so the hasher's worker reads pieces in place.
  return pieceBuffers.pop() ?? ChunkHasher.sharedBuffer(PIECE_BYTES)
}

export function givePieceBuffer(buf: Buffer): void {
  pieceBuffers.push(buf)
}

/** Where each of `parts` (back to back from offset 0) ends, after a leading 0. */
export function boundsOf(parts: readonly Buffer[]): number[] {
  const bounds = [0]
  for (const p of parts) bounds.push(bounds[bounds.length - 1]! + p.length)
  return bounds
}

/**
 * Reads `hashes` from the store back to back into `buf` (a piece buffer; they must fit) and
 * checks their hashes on the hasher's worker: views of `buf`, or BAD_CHUNK for one the disk
 * corrupted, so nothing unverified is written out.
 */
export async function readStoreChunks(chunks: ChunkStore, hashes: readonly string[], buf: Buffer): Promise<Buffer[]> {
  const read = chunks.readManyInto(hashes, buf)
  const got = await chunkHasher.hash(buf, boundsOf(read))
  hashes.forEach((h, n) => {
    if (got[n] !== h) throw new ShoalError('BAD_CHUNK', `stored chunk ${h.slice(0, 12)}… is corrupt`)
  })
  return read
}

/** Writes `parts` at the file's position (or at `position`); the bytes written, all of them or an error. */
export function writePartsSync(fd: number, parts: Buffer[], path: string, position?: number): number {
  const total = parts.reduce((n, p) => n + p.byteLength, 0)
  const written = writevSync(fd, parts, position)
  if (written !== total) throw new Error(`short write (${written} of ${total} bytes) to ${path}`)
  return total
}
