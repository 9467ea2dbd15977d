import type { PatchPiece, ReplicationMessage } from '../protocol/volume-messages.js'
import type { ChunkStore } from './chunk-store.js'
import { alignRun, patchPieces, type ChunkSource } from './run-alignment.js'
import type { Sending } from './sending.js'

export type ChunkFrame = Extract<ReplicationMessage, { type: 'chunk' | 'patch' }>

/**
 * The frames for the next wanted hashes: the plain chunks next in line, read together into
 * `buffer` (so valid until the next call), else one manifest piece or one chunk of a run.
 * `source` is `chunks` read synchronously, for aligning runs.
 */
export async function nextFrames(out: Sending, chunks: ChunkStore, buffer: Buffer, source: ChunkSource): Promise<ChunkFrame[]> {
  const batch: string[] = []
  let bytes = 0
  for (const hash of out.queue) {
    if (out.pieces.has(hash) || out.runs.has(hash)) break
    bytes += chunks.size(hash) ?? 0 // an absent chunk fails the read below with NOT_FOUND
    if (batch.length > 0 && bytes > buffer.length) break
    batch.push(hash)
  }
  if (batch.length === 0) return [await frameFor(out, out.queue.shift()!, chunks, buffer, source)]
  out.queue.splice(0, batch.length)
  const data = chunks.readManyInto(batch, buffer)
  return batch.map((hash, i): ChunkFrame => ({ type: 'chunk', hash, data: data[i]! }))
}

/** The frame that carries `hash`: the chunk itself, or a patch on the old run it replaced. */
async function frameFor(out: Sending, hash: string, chunks: ChunkStore, buffer: Buffer, source: ChunkSource): Promise<ChunkFrame> {
  const piece = out.pieces.get(hash)
  if (piece) return { type: 'chunk', hash, data: piece }
  const data = chunks.readManyInto([hash], buffer)[0]!
  const at = out.runs.get(hash)
  if (at === undefined) return { type: 'chunk', hash, data }
  // Aligned once per run; a run this store cannot align (a chunk gone) is sent whole.
  at.run.alignment ??= alignRun(at.run.run, source).catch(() => null)
  const alignment = await at.run.alignment
  const pieces = alignment !== null ? patchPieces(alignment, at.index, data) : null
  return pieces === null ? { type: 'chunk', hash, data } : { type: 'patch', hash, pieces }
}

/** The new bytes a patch carries (what it copies from chunks the receiver holds is not counted). */
export function literalBytes(pieces: PatchPiece[]): number {
  let n = 0
  for (const p of pieces) if ('literal' in p) n += p.literal.byteLength
  return n
}
