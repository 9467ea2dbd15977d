import { debuglog } from 'node:util'
import type { AppSpec, Placement } from '../core/app-types.js'
import { replicaSet } from '../core/placement.js'
import type { NodeId } from '../core/types.js'
import type { AppHostContext } from './app-host-context.js'
import type { AppVolume } from './app-volume.js'
import { SnapshotSchedule } from './snapshot-schedule.js'

const debug = debuglog('shoal')

/** A leaving master waits at most this long for a replica to take its last snapshot. */
export const FINAL_SYNC_TIMEOUT_MS = 10_000
/** The master snapshots a changed live folder at most this often. */
export const SNAPSHOT_INTERVAL_MS = 1000

/**
 * The master's side of one app's replication while this node runs it: snapshots the live folder
 * on a schedule, pushes the newest snapshot to each replica, keeps the number of replicas at the
 * spec's count, and sends the last snapshot before a graceful leave.
 */
export class MasterReplication {
  private schedule: SnapshotSchedule | null = null

  constructor(
    readonly app: string,
    private readonly ctx: AppHostContext
  ) {}

  private get placement(): Placement | undefined {
    return this.ctx.mesh.gossip.apps.placements.get(this.app)
  }

  /** Snapshots the live folder when it changed, then offers the newest snapshot to every replica. */
  ensureSnapshots(vol: AppVolume): void {
    this.schedule ??= new SnapshotSchedule(
      vol.live,
      this.ctx.snapshotIntervalMs ?? SNAPSHOT_INTERVAL_MS,
      async (s) => {
        const pl = this.placement
        if (pl === undefined || pl.master !== this.ctx.self) return
        if (s.scan && (await vol.snapshot(pl.epoch, s.changed ?? undefined)) !== null) this.ctx.publishHead(this.app, vol.headRef())
        this.replicate(pl, vol)
      },
      (err) => debug('%s: snapshot failed: %s', this.app, err)
    )
    this.schedule.start()
  }

  /** No scheduled snapshot or push starts any more, and one in progress is over. */
  async halt(): Promise<void> {
    await this.schedule?.halt()
  }

  /** Undoes `halt()` (a no-op when no schedule runs). */
  resume(): void {
    this.schedule?.start()
  }

  /** The app stopped running here: no more snapshots until `ensureSnapshots()` again. */
  stop(): void {
    this.schedule?.stop()
    this.schedule = null
  }

  replicate(pl: Placement, vol: AppVolume): void {
    for (const r of pl.replicas) {
      const status = this.ctx.mesh.gossip.table.status(r)
      if (status !== 'alive' && status !== 'suspect') continue
      const peerHead = this.ctx.mesh.gossip.table.get(r)?.record?.heads[this.app]?.id ?? null
      this.ctx.hub.push(r, this.app, vol, peerHead).catch((err) => debug('%s: push to %s: %s', this.app, r.slice(0, 12), err))
    }
  }

  /** Keeps the number of copies at the spec's count: replaces dead replicas, adds or drops. */
  async maintainReplicas(spec: AppSpec, pl: Placement): Promise<void> {
    const table = this.ctx.mesh.gossip.table
    const gone = (r: NodeId) => table.status(r) === 'dead' || table.status(r) === 'left'
    const replicas = replicaSet(pl.replicas, spec.replicas - 1, this.ctx.self, this.ctx.candidates(), gone)
    if (replicas.join() !== pl.replicas.join()) {
      for (const dropped of pl.replicas.filter((r) => !replicas.includes(r))) this.ctx.hub.stop(dropped, this.app)
      this.ctx.mesh.gossip.applyPlacement({ ...pl, rev: pl.rev + 1, replicas }, null)
    }
  }

  /**
   * With the app stopped: snapshots the live folder one last time and waits (at most
   * FINAL_SYNC_TIMEOUT_MS) until a live replica holds that snapshot.
   */
  async sendLastSnapshot(pl: Placement, vol: AppVolume): Promise<void> {
    await vol.snapshot(pl.epoch)
    this.ctx.publishHead(this.app, vol.headRef())
    const head = vol.head()
    const table = this.ctx.mesh.gossip.table
    const live = pl.replicas.filter((r) => table.status(r) === 'alive')
    if (head === null || live.length === 0) return
    const deadline = Date.now() + FINAL_SYNC_TIMEOUT_MS
    while (Date.now() < deadline) {
      const results = await Promise.all(
        live.map((r) => this.ctx.hub.push(r, this.app, vol, table.get(r)?.record?.heads[this.app]?.id ?? null).catch(() => false))
      )
      if (results.some(Boolean) || live.some((r) => table.get(r)?.record?.heads[this.app]?.id === head.id)) {
        this.ctx.event({ kind: 'app', app: this.app, message: `${this.app}: last changes sent to a replica before leaving` })
        return
      }
      await new Promise((r) => setTimeout(r, 200))
    }
    this.ctx.event({ kind: 'error', app: this.app, message: `${this.app}: no replica took the last snapshot before leaving` })
  }
}
