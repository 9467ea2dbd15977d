import type { Mesh } from '../mesh/mesh.js'
import type { ChunkStore } from '../volume/chunk-store.js'
import { collectGarbage } from '../volume/gc.js'
import { pruneSnapshots } from '../volume/prune.js'
import type { AppVolume } from './app-volume.js'

/**
 * Applies the retention policy to every volume on this node (the newest snapshot any member
 * holds is never pruned: it is the base of the next incremental to that member), then frees
 * chunks no snapshot or stash references. `volumes` must hold every volume on disk, even of
 * apps removed since: a chunk is freed only when nothing on this node needs it.
 */
export async function pruneVolumes(volumes: Map<string, AppVolume>, chunks: ChunkStore, mesh: Mesh): Promise<{ snapshots: number }> {
  let deleted = 0
  for (const [app, vol] of volumes) {
    const heads: string[] = []
    for (const m of mesh.gossip.table.members.values()) {
      const h = m.record?.heads[app]
      if (h !== undefined) heads.push(h.id)
    }
    deleted += (await pruneSnapshots(vol.store, { protectedIds: heads })).length
  }
  await collectGarbage({ chunks, stores: [...volumes.values()].map((v) => v.store) })
  return { snapshots: deleted }
}
