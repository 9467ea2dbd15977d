import type { Placement } from './app-types.js'
import type { NodeId } from './types.js'

/**
 * Why this node must refuse a snapshot of an app that `from` pushes to it, or null to take it.
 *
 * - A master of the app takes none of its term or an older one: they come from a deposed or
 *   rival master and are not in its live data. Were it to hold them, that master would stash
 *   nothing of them on its demotion (see divergentBranch: a later winner holding a snapshot
 *   means it started from it), and writes it acknowledged would be in no live folder and no stash.
 * - Any node refuses snapshots two or more terms old from anyone but the current master.
 * - The app's seed (`app add --data` on another node) is always taken: the master starts from it.
 */
export function snapshotRefusal(pl: Placement | undefined, self: NodeId, from: NodeId, snap: { id: string; epoch: number }, seed: string): string | null {
  if (pl === undefined || (seed !== '' && snap.id === seed)) return null
  const epoch = snap.epoch
  if (pl.master === self && from !== self && epoch <= pl.epoch) {
    return `this node is the master of ${pl.app} (epoch ${pl.epoch}) and takes no snapshot of epoch ${epoch} from another node`
  }
  if (epoch < pl.epoch - 1 && from !== pl.master) return `refusing a snapshot of ${pl.app} from an old term (epoch ${epoch})`
  return null
}
