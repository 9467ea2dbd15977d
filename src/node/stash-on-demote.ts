import type { Placement } from '../core/app-types.js'
import { divergentBranch, stashName, termHead } from '../core/stash-branch.js'
import type { NodeId } from '../core/types.js'
import type { ClusterEvent } from '../control/types.js'
import type { AppVolume } from './app-volume.js'

export interface DemoteContext {
  self: NodeId
  selfName: string
  nameOf(id: NodeId): string
  event(e: Omit<ClusterEvent, 'at'>): void
}

export interface DemoteResult {
  /** The stash created, or null when the winner already held everything of this term. */
  stash: string | null
  snapshots: string[]
}

/**
 * A node whose live folder belongs to the master term `oldEpoch` learns that `pl` (a later
 * epoch, or the same epoch won by another claim) names another master. The app must already
 * be stopped. Takes one last snapshot of the live folder (writes acknowledged since the last
 * periodic snapshot are in it), as the child of this term's own newest snapshot so the branch
 * stays a branch even if the winner's snapshots arrived meanwhile, then stashes every snapshot
 * of the term the winner is not known to hold. Nothing is discarded: the caller may reset the
 * live folder only after this resolves.
 */
export async function stashOnDemote(vol: AppVolume, oldEpoch: number, pl: Placement, ctx: DemoteContext): Promise<DemoteResult> {
  await vol.open()
  const base = termHead(vol.store.list(), ctx.self, oldEpoch)
  let head = base
  if (await vol.hasLive()) {
    const r = await vol.snapshotter.snapshot({ epoch: oldEpoch, parent: base })
    head = r.snapnode.id
  }
  const nodes = new Map(vol.store.list().map((n) => [n.id, n]))
  const branch = divergentBranch(nodes, head, { origin: ctx.self, epoch: oldEpoch, winner: pl.master, winnerEpoch: pl.epoch })
  const winner = ctx.nameOf(pl.master)
  if (branch.length === 0) {
    ctx.event({ kind: 'app', app: vol.app, message: `${vol.app}: ${ctx.selfName} follows ${winner} (epoch ${pl.epoch}); nothing of its epoch ${oldEpoch} was missing there` })
    return { stash: null, snapshots: [] }
  }
  const taken = new Set(Object.keys(vol.store.stashes()))
  const first = stashName(vol.app, oldEpoch, ctx.selfName, new Date())
  let name = first
  for (let i = 2; taken.has(name); i++) name = `${first}-${i}`
  const ids = [...branch].reverse()
  await vol.store.stash(name, ids)
  ctx.event({
    kind: 'failover',
    app: vol.app,
    message: `${vol.app}: ${ctx.selfName} was master of epoch ${oldEpoch} but ${winner} holds epoch ${pl.epoch}; ${ids.length} snapshot${ids.length === 1 ? '' : 's'} ${winner} lacks stashed as ${name} (shoal stash checkout ${name} DIR)`
  })
  return { stash: name, snapshots: ids }
}
