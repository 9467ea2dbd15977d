import { ShoalError } from '../core/errors.js'
import { MAX_CHUNK_BYTES, type PatchPiece } from '../protocol/volume-messages.js'
import type { ChunkStore } from './chunk-store.js'

/**
 * Rebuilds a chunk from its pieces into `out` and returns the view of `out` it fills. `read`
 * gives a held chunk's bytes. Throws BAD_CHUNK when a piece reaches past its base or the result
 * would not fit `out` (sized for the largest chunk accepted); the caller still checks the hash.
 */
export function applyPatch(pieces: readonly PatchPiece[], read: (hash: string) => Uint8Array, out: Buffer): Buffer {
  let size = 0
  for (const op of pieces) {
    let bytes: Uint8Array
    if ('literal' in op) bytes = op.literal
    else {
      const data = read(op.base)
      if (op.offset + op.length > data.byteLength) {
        throw new ShoalError('BAD_CHUNK', `patch copies bytes ${op.offset}–${op.offset + op.length} of a ${data.byteLength}-byte chunk`)
      }
      bytes = data.subarray(op.offset, op.offset + op.length)
    }
    if (size + bytes.byteLength > out.length) throw new ShoalError('BAD_CHUNK', `patched chunk exceeds ${out.length} bytes`)
    out.set(bytes, size)
    size += bytes.byteLength
  }
  return out.subarray(0, size)
}

/** See patchFromStore: one pair per process (the rebuild is synchronous, so never in use twice). */
let buffers: { bases: Buffer; out: Buffer } | null = null

/**
 * Rebuilds a patched chunk from the chunks `store` holds, synchronously, into buffers shared by
 * the whole process: the bases read from the store (page cache, as a rule) and the chunk rebuilt.
 * The result is valid until the next call: store or copy it at once.
 */
export function patchFromStore(pieces: readonly PatchPiece[], store: ChunkStore): Buffer {
  const b = (buffers ??= { bases: Buffer.allocUnsafeSlow(MAX_CHUNK_BYTES), out: Buffer.allocUnsafeSlow(MAX_CHUNK_BYTES) })
  const bases = [...new Set(pieces.flatMap((p) => ('base' in p ? [p.base] : [])))]
  const fits = bases.reduce((n, h) => n + (store.size(h) ?? 0), 0) <= b.bases.length
  const read = fits ? store.readManyInto(bases, b.bases) : bases.map((h) => store.readSync(h))
  const byHash = new Map(bases.map((h, i) => [h, read[i]!]))
  return applyPatch(pieces, (h) => byHash.get(h)!, b.out)
}
