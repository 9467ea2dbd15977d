import { decodeManifestEntries } from '../protocol/manifest-codec.js'
import type { ChunkStore } from './chunk-store.js'
import type { SnapshotStore } from './snapshot-store.js'

/**
 * Chunks younger than this are never collected: they may belong to a transfer or snapshot in
 * progress whose manifest is not committed yet (and a resumed transfer reuses them).
 */
export const GC_GRACE_MS = 60 * 60 * 1000

export interface GcResult {
  deleted: number
  /** Bytes of the chunks deleted. */
  bytesFreed: number
  kept: number
  /** Disk bytes given back by rewriting and merging packs. */
  diskBytesFreed: number
}

/**
 * Deletes chunks that no committed snapshot of any of `stores` references (as file data or as a
 * piece of its manifest), then compacts the packs that held them. `stores` must be every volume
 * sharing this chunk store.
 */
export async function collectGarbage(opts: { chunks: ChunkStore; stores: SnapshotStore[]; graceMs?: number; now?: number }): Promise<GcResult> {
  const now = opts.now ?? Date.now()
  const graceMs = opts.graceMs ?? GC_GRACE_MS
  const live = new Set<string>()
  // Snapshots of one volume share most manifest pieces: each distinct piece is read once.
  const readPieces = new Set<string>()
  for (const store of opts.stores) {
    await store.open()
    for (const node of store.list()) {
      const list = await store.pieceList(node.id)
      for (const p of list?.pieces ?? []) live.add(p.hash)
      if (list === null || !list.pieces.every((p) => p.whole)) {
        const manifest = await store.readManifest(node.id)
        for (const e of manifest.entries) if (e.kind === 'file') for (const h of e.chunks) live.add(h)
        continue
      }
      for (const [i, p] of list.pieces.entries()) {
        const key = i === 0 ? `${p.hash}+header` : p.hash
        if (readPieces.has(key)) continue
        readPieces.add(key)
        for (const e of decodeManifestEntries(await opts.chunks.get(p.hash), i === 0)) if (e.kind === 'file') for (const h of e.chunks) live.add(h)
      }
    }
  }
  const result: GcResult = { deleted: 0, bytesFreed: 0, kept: 0, diskBytesFreed: 0 }
  for await (const { hash, mtimeMs } of opts.chunks.list()) {
    if (live.has(hash) || now - mtimeMs < graceMs) {
      result.kept++
      continue
    }
    const size = opts.chunks.size(hash) ?? 0
    await opts.chunks.delete(hash)
    result.deleted++
    result.bytesFreed += size
  }
  result.diskBytesFreed = (await opts.chunks.compact()).bytesFreed
  return result
}
