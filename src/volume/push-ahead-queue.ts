import type { ManifestEntry } from '../core/snapnode.js'
import { PUSH_AHEAD_BYTES } from '../protocol/volume-messages.js'
import { changedRuns } from './chunk-runs.js'
import type { ChunkStore } from './chunk-store.js'
import { addRun, type Sending } from './sending.js'
import type { FileSettled } from './snapshotter.js'
import { ProgressMeter } from './transfer-progress.js'

/** What is pushed ahead of the next offer (see ReplicationSender.pushAhead). */
export interface Pushing extends Sending {
  /** Every hash queued since the last offer, and the bytes they hold. */
  queued: Set<string>
  queuedBytes: number
  /** Files being read, by path: how far they were looked at (so each chunk is looked at once). */
  files: Map<string, PushedFile>
  /** Where each chunk of a file's previous version sits, by path (see changedRuns). */
  positions: Map<string, Map<string, number>>
}

interface PushedFile {
  /** Chunks looked at: chunks[0…done) were queued or are old; `last` is chunks[done - 1]. */
  done: number
  last: string | null
  /** The file's new chunks told so far (the first `seen` of FileSettled.newChunks). */
  isNew: Set<string>
  seen: number
}

export function newPushing(): Pushing {
  return { pieces: new Map(), queue: [], runs: new Map(), meter: new ProgressMeter('push'), bytesSent: 0, started: Date.now(), settled: false, queued: new Set(), queuedBytes: 0, files: new Map(), positions: new Map() }
}

/** Queues a chunk (or, with `data`, a manifest piece) to push; false when already queued or over budget. */
function queuePush(p: Pushing, hash: string, size: number, data?: Uint8Array): boolean {
  if (p.queued.has(hash) || p.queuedBytes + size > PUSH_AHEAD_BYTES) return false
  p.queued.add(hash)
  p.queuedBytes += size
  if (data !== undefined) p.pieces.set(hash, data)
  p.queue.push(hash)
  return true
}

type Piece = { hash: string; data: Uint8Array }

/** Queues the pieces of a manifest that its parent's manifest (`parentPieces`) lacks. */
export function queueNewPieces(p: Pushing, pieces: readonly Piece[], parentPieces: readonly Piece[]): void {
  const had = new Set(parentPieces.map((x) => x.hash))
  for (const piece of pieces) if (!had.has(piece.hash)) queuePush(p, piece.hash, piece.data.byteLength, piece.data)
}

/**
 * Queues the new chunks of `f` not looked at yet (with `patches`, as patches on the file's
 * previous chunks where they can be); true when any was queued.
 */
export function queueFileChunks(p: Pushing, f: FileSettled, store: ChunkStore, patches: boolean): boolean {
  // Told again and again as a large file is read: only what came since is looked at. A file
  // read again from its start (it changed meanwhile) starts over when its chunks no longer
  // reach, or no longer match, where the last look ended. (What this misses is only not
  // pushed: the offer asks for it.)
  let file = p.files.get(f.path)
  if (file === undefined || f.chunks.length < file.done || (file.done > 0 && f.chunks[file.done - 1] !== file.last)) {
    p.files.set(f.path, (file = { done: 0, last: null, isNew: new Set(), seen: 0 }))
  }
  for (; file.seen < f.newChunks.length; file.seen++) file.isNew.add(f.newChunks[file.seen]!)
  // A file still being read: its last new chunks wait for the chunk after them, which tells
  // where their run ends (and so which old chunks they are patches on).
  let end = f.chunks.length
  if (!f.settled) while (end > file.done && file.isNew.has(f.chunks[end - 1]!)) end--
  // From the chunk before those not looked at yet: a run starting there needs its left neighbour.
  const from = Math.max(0, file.done - 1)
  file.done = end
  file.last = end > 0 ? f.chunks[end - 1]! : null
  const chunks = f.chunks.slice(from, end)
  const fresh = new Set<string>()
  for (const h of chunks) {
    if (!file.isNew.has(h) || fresh.has(h)) continue
    const size = store.size(h)
    if (size !== undefined && queuePush(p, h, size)) fresh.add(h)
  }
  if (fresh.size === 0) return false
  if (patches && f.previous !== null && f.previous.length > 0) {
    // Entries only to be read by changedRuns: the lists are not copied (a huge file's are long).
    const entry = (list: readonly string[]): ManifestEntry => ({ path: f.path, kind: 'file', mode: 0, mtimeMs: 0, size: 0, chunks: list as string[] })
    for (const run of changedRuns({ entries: [entry(chunks)] }, { entries: [entry(f.previous)] }, (h) => fresh.has(h), p.positions)) addRun(p.runs, run)
  }
  return true
}
