import type { Placement } from '../core/app-types.js'
import { masterChange } from '../core/placement-change.js'
import type { NodeId } from '../core/types.js'
import type { ClusterEvent } from '../control/types.js'
import type { Mesh } from '../mesh/mesh.js'

/**
 * Puts every change of an app's master in this node's event log, as gossip brings it, so that
 * `shoal events` and the console on any node list moves and failovers, not only on the nodes
 * that made them. The node that made one logs its own fuller line (the old master a move with
 * its pause, the new master a failover with its reason), so it does not get this one too.
 */
export function logMasterChanges(mesh: Mesh, self: NodeId, add: (e: ClusterEvent) => void): void {
  const seen = new Map<string, Pick<Placement, 'epoch' | 'master'>>()
  for (const p of mesh.gossip.apps.placements.values()) seen.set(p.app, { epoch: p.epoch, master: p.master })
  const nameOf = (id: NodeId) => mesh.gossip.table.get(id)?.record?.name ?? id.slice(0, 8)
  mesh.on('placement', (p: Placement) => {
    const change = masterChange(seen.get(p.app), p)
    const prev = seen.get(p.app)
    if (prev === undefined || p.epoch >= prev.epoch) seen.set(p.app, { epoch: p.epoch, master: p.master })
    if (change === null) return
    if ((change.kind === 'move' && change.from === self) || (change.kind === 'failover' && change.to === self)) return
    const message =
      change.kind === 'move'
        ? `${p.app} moved ${nameOf(change.from)} → ${nameOf(change.to)} (epoch ${change.epoch})`
        : `${p.app}: ${nameOf(change.to)} took over from ${nameOf(change.from)} (epoch ${change.epoch})`
    add({ at: Date.now(), kind: change.kind, app: p.app, message })
  })
}
