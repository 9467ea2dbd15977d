import type { AppSpec, Placement } from '../core/app-types.js'
import { hasMajority, rankFailover } from '../core/failover-rank.js'
import type { AppHostContext } from './app-host-context.js'

/** A master heard from directly this recently is not failed over, whatever gossip claims. */
export const HEARD_GUARD_MS = 1000

/**
 * The master is gone: if this node ranks first among live replicas (and, under the majority
 * policy, sees a majority of the cluster), it claims the app for a new epoch with itself as
 * master and gossips the claim. Returns the claim, or null when this node does not take over.
 */
export async function claimFailover(app: string, spec: AppSpec, pl: Placement, ctx: AppHostContext): Promise<Placement | null> {
  const table = ctx.mesh.gossip.table
  const masterStatus = table.status(pl.master)
  if (masterStatus === 'alive' || masterStatus === 'suspect') return null
  // Declared dead by someone else, yet it talks to us right now: it will refute; do not fail over.
  if (masterStatus === 'dead' && ctx.mesh.heardFrom(pl.master, HEARD_GUARD_MS)) return null
  const alive = pl.replicas.filter((r) => r === ctx.self || table.status(r) === 'alive')
  const ranked = rankFailover(
    alive.map((id, i) => ({ id, head: id === ctx.self ? (ctx.volumeHead?.(app) ?? table.get(id)?.record?.heads[app] ?? null) : (table.get(id)?.record?.heads[app] ?? null), preference: i }))
  )
  if (ranked[0]?.id !== ctx.self) return null
  const policy = spec.partitionPolicy === '' ? ctx.defaultPolicy : spec.partitionPolicy
  if (policy === 'majority') {
    const members = [...table.members.values()].filter((m) => m.record !== null)
    const known = members.filter((m) => table.status(m.record!.id) !== 'left').length
    const seen = members.filter((m) => table.status(m.record!.id) === 'alive').length
    if (!hasMajority(seen, known)) return null
  }
  const vol = await ctx.volume(app)
  await vol.open()
  const head = vol.head()
  const replicas = [...alive.filter((r) => r !== ctx.self), ...(masterStatus === 'left' ? [] : [pl.master])]
  const claim: Placement = { app, epoch: pl.epoch + 1, rev: 0, master: ctx.self, replicas, state: 'failing-over', snapSeq: head?.seq ?? 0 }
  ctx.event({ kind: 'failover', app, message: `${app}: master ${table.get(pl.master)?.record?.name ?? pl.master.slice(0, 8)} is ${masterStatus ?? 'gone'}; ${ctx.selfName} takes over (epoch ${claim.epoch})` })
  ctx.mesh.gossip.applyPlacement(claim, null)
  return claim
}
