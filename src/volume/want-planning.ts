import type { ManifestEntry } from '../core/snapnode.js'
import type { ReplicationMessage } from '../protocol/volume-messages.js'
import { byFirstChunk, changedRuns, lackingChunks, runsFor } from './chunk-runs.js'
import type { ChunkStore } from './chunk-store.js'
import type { Transfer } from './incoming-transfer.js'
import type { SnapshotStore } from './snapshot-store.js'

/** Hashes per want frame. */
export const WANT_BATCH = 128

/**
 * Sets what `t` is to ask for: the chunks `entries` name that `chunks` lacks, and when the sender
 * takes bases, the runs of them to name in wants (see chunk-runs.ts). Runs are not worked out
 * for a transfer that is done (aborted while the base manifest was read).
 */
export async function planChunks(t: Transfer, entries: ManifestEntry[], chunks: ChunkStore, snapshots: SnapshotStore): Promise<void> {
  const lacking = lackingChunks({ entries }, (h) => chunks.has(h))
  t.pending = lacking.hashes
  // Bases are looked for in the local manifest the offered one was read against.
  if (t.patches && t.knownFrom !== null && t.pending.length > 0) {
    const wanted = new Set(t.pending)
    const base = await snapshots.readManifest(t.knownFrom)
    if (t.done) return
    // Only files naming a lacking chunk can hold a run of them.
    t.runs = byFirstChunk(changedRuns({ entries: lacking.files }, base, (h) => wanted.has(h)))
  }
}

/**
 * The next want frame when `window` (chunks requested but not yet written, at most) has room
 * for a full batch or for all that is pending; its hashes move from pending to outstanding.
 * Null when there is none to send yet.
 */
export function nextWant(t: Transfer, window: number): ReplicationMessage | null {
  const room = window - t.outstanding.size - t.writing
  if (t.pending.length === 0 || room < Math.min(WANT_BATCH, t.pending.length)) return null
  const batch = t.pending.splice(0, Math.min(room, WANT_BATCH))
  for (const h of batch) t.outstanding.add(h)
  const want: ReplicationMessage = { type: 'want', id: t.snapnode.id, total: t.meter.totalChunks, hashes: batch }
  if (t.runs.size > 0) {
    const runs = runsFor(t.runs, batch)
    if (runs.length > 0) want.runs = runs
  }
  return want
}
