import { ShoalError } from '../core/errors.js'
import type { PatchPiece } from '../protocol/volume-messages.js'

/**
 * Rebuilds a chunk from its pieces. `read` gives a held chunk's bytes. Throws BAD_CHUNK when a
 * piece reaches past its base or the result would exceed `maxBytes`; the caller still checks
 * the hash.
 */
export async function applyPatch(pieces: PatchPiece[], read: (hash: string) => Promise<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const bases = new Map<string, Promise<Uint8Array>>()
  const parts: Uint8Array[] = []
  let size = 0
  for (const op of pieces) {
    if ('literal' in op) {
      parts.push(op.literal)
      size += op.literal.byteLength
    } else {
      let base = bases.get(op.base)
      if (base === undefined) bases.set(op.base, (base = read(op.base)))
      const data = await base
      if (op.offset + op.length > data.byteLength) {
        throw new ShoalError('BAD_CHUNK', `patch copies bytes ${op.offset}–${op.offset + op.length} of a ${data.byteLength}-byte chunk`)
      }
      parts.push(data.subarray(op.offset, op.offset + op.length))
      size += op.length
    }
    if (size > maxBytes) throw new ShoalError('BAD_CHUNK', `patched chunk exceeds ${maxBytes} bytes`)
  }
  return Buffer.concat(parts, size)
}
