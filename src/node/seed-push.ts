import { debuglog } from 'node:util'
import type { NodeId } from '../core/types.js'
import type { Mesh } from '../mesh/mesh.js'
import type { AppVolumes } from './app-volumes.js'
import type { ReplicationHub } from './replication-hub.js'

const debug = debuglog('shoal')

/**
 * Sends each app's seed (from `app add --data` on this node) to its master, until the master
 * holds a snapshot of it.
 */
export function pushSeeds(self: NodeId, mesh: Mesh, volumes: AppVolumes, hub: ReplicationHub): void {
  const { apps, table } = mesh.gossip
  for (const spec of apps.specs.values()) {
    const pl = apps.placements.get(spec.name)
    if (spec.deleted || spec.seed === '' || pl === undefined || pl.master === self) continue
    const vol = volumes.get(spec.name)
    if (vol === undefined || !vol.store.has(spec.seed)) continue
    const masterHead = table.get(pl.master)?.record?.heads[spec.name]?.id ?? null
    if (masterHead !== null) continue
    hub.push(pl.master, spec.name, vol, null).catch((err) => debug('seeding %s: %s', spec.name, err))
  }
}
