import { ShoalError } from '../core/errors.js'
import type { PatchPiece } from '../protocol/volume-messages.js'

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
