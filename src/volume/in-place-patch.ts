import { closeSync, fchmodSync, ftruncateSync, futimesSync, openSync } from 'node:fs'
import type { ManifestEntry } from '../core/snapnode.js'
import type { CheckoutStats } from './checkout.js'
import type { ChunkStore } from './chunk-store.js'
import { yieldToLoop } from './yield-to-loop.js'
import { givePieceBuffer, readStoreChunks, takePieceBuffer, writePartsSync } from './piece-io.js'

/** Files smaller than this are always written anew and swapped in (cheap, and atomic). */
export const IN_PLACE_MIN_BYTES = 1024 * 1024
/**
 * A file is changed in place when at most this share of it is written so: an insert in its
 * middle writes a little over half (from the insert on) where a new file writes all of it, and
 * reads none of the old file. Above it, the saving is too small to give up an atomic swap.
 */
export const IN_PLACE_MAX_SHARE = 0.75
/**
 * A file changed in place has this mtime until it is done (2100-01-01; set again after each
 * write, which stamps the file with the current time): an update cut short by a crash then
 * matches no snapshot's version of the file, and the next checkout rewrites it.
 */
export const IN_PLACE_MTIME_S = 4_102_444_800

/**
 * The runs of `next` (a file's chunks) that differ from `prev` (what the file holds now) at the
 * same offset, and their bytes; null when a chunk's size is unknown.
 */
export function inPlaceRuns(prev: readonly string[], next: readonly string[], size: (hash: string) => number | undefined): { runs: Array<{ offset: number; hashes: string[] }>; bytes: number } | null {
  const old = new Map<number, string>()
  let at = 0
  for (const h of prev) {
    const n = size(h)
    if (n === undefined) return null
    old.set(at, h)
    at += n
  }
  const runs: Array<{ offset: number; hashes: string[] }> = []
  let bytes = 0
  let open: { offset: number; hashes: string[] } | null = null
  at = 0
  for (const h of next) {
    const n = size(h)
    if (n === undefined) return null
    if (old.get(at) === h) open = null
    else {
      if (open === null) runs.push((open = { offset: at, hashes: [] }))
      open.hashes.push(h)
      bytes += n
    }
    at += n
  }
  return { runs, bytes }
}

/**
 * Brings a file that holds the chunks `prev` to entry `e` where it is: chunks at the same offset
 * in both stay as they are, the others are written over them from the chunk store (never from
 * the file itself, which is being overwritten; hash-checked as they are read), and the file is
 * cut to its new size. An edit in the middle of a large file then writes from the edit on (an
 * insert) or the edit alone (an overwrite), not the whole file. Readers may see the file half
 * changed, so this is for a folder nothing runs in (a replica's standby, a takeover before the
 * app starts); see IN_PLACE_MTIME_S for crashes. False (nothing done) for a small file, or when
 * most of it would be written anyway (IN_PLACE_MAX_SHARE): it is then written anew beside and
 * swapped in.
 */
export async function patchInPlace(chunks: ChunkStore, path: string, prev: readonly string[], e: Extract<ManifestEntry, { kind: 'file' }>, stats: CheckoutStats): Promise<boolean> {
  if (e.size < IN_PLACE_MIN_BYTES) return false
  const plan = inPlaceRuns(prev, e.chunks, (h) => chunks.size(h))
  if (plan === null || plan.bytes > e.size * IN_PLACE_MAX_SHARE) return false
  const fd = openSync(path, 'r+')
  const buf = takePieceBuffer()
  try {
    futimesSync(fd, IN_PLACE_MTIME_S, IN_PLACE_MTIME_S)
    for (const run of plan.runs) {
      let offset = run.offset
      for (let i = 0; i < run.hashes.length; ) {
        // A piece: as many of the run's chunks as fit the buffer (always at least one).
        let j = i
        for (let bytes = 0; j < run.hashes.length; j++) {
          const n = chunks.size(run.hashes[j]!)!
          if (j > i && bytes + n > buf.length) break
          bytes += n
        }
        const read = await readStoreChunks(chunks, run.hashes.slice(i, j), buf)
        const total = writePartsSync(fd, read, path, offset)
        futimesSync(fd, IN_PLACE_MTIME_S, IN_PLACE_MTIME_S)
        stats.bytesWritten += total
        offset += total
        i = j
        await yieldToLoop()
      }
    }
    ftruncateSync(fd, e.size)
    fchmodSync(fd, e.mode)
    futimesSync(fd, e.mtimeMs / 1000, e.mtimeMs / 1000)
  } finally {
    closeSync(fd)
    givePieceBuffer(buf)
  }
  stats.filesWritten++
  return true
}
