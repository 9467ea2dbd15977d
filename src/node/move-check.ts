import type { Placement } from '../core/app-types.js'
import { ShoalError } from '../core/errors.js'
import type { NodeId } from '../core/types.js'
import type { Mesh } from '../mesh/mesh.js'

/**
 * Checks a move of `app` to `target` against what gossip says (the app exists, the target is
 * alive, and for a promote holds a copy); throws the sentence an operator reads. Returns the
 * app's placement.
 */
export function checkMove(mesh: Mesh, app: string, target: NodeId, requireReplica: boolean): Placement {
  const { apps, table } = mesh.gossip
  const spec = apps.specs.get(app)
  const pl = apps.placements.get(app)
  if (spec === undefined || spec.deleted || pl === undefined) throw new ShoalError('UNKNOWN_APP', `no app called ${app}`)
  requireAlive(mesh, target)
  if (requireReplica && !pl.replicas.includes(target) && pl.master !== target) {
    throw new ShoalError('NOT_A_REPLICA', `${table.get(target)?.record?.name} is not a replica of ${app}: use shoal move to bring the app there`)
  }
  return pl
}

/** Throws UNKNOWN_NODE (`advice` after the reason) unless `id` is a live member (this node is). */
export function requireAlive(mesh: Mesh, id: NodeId, advice?: string): void {
  const { table } = mesh.gossip
  if (id === mesh.id || table.status(id) === 'alive') return
  const name = table.get(id)?.record?.name ?? id.slice(0, 8)
  throw new ShoalError('UNKNOWN_NODE', `${name} is not alive${advice === undefined ? '' : `: ${advice}`}`)
}
