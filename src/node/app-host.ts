import { debuglog } from 'node:util'
import type { AppSpec, Placement } from '../core/app-types.js'
import { AppSupervisor, START_TIMEOUT_MS, type StateEvent } from '../runtime/supervisor.js'
import type { LogLine } from '../runtime/log-ring.js'
import type { AppHostContext } from './app-host-context.js'
import type { AppVolume } from './app-volume.js'
import { ShoalError } from '../core/errors.js'
import { killGroup } from '../runtime/process-group.js'
import { claimFailover } from './failover-claim.js'
import { MasterReplication } from './master-replication.js'
import { stashOnDemote, type DemoteResult } from './stash-on-demote.js'
import { Standby } from './standby.js'

export type { AppHostContext } from './app-host-context.js'
export { HEARD_GUARD_MS } from './failover-claim.js'
export { FINAL_SYNC_TIMEOUT_MS, SNAPSHOT_INTERVAL_MS } from './master-replication.js'

const debug = debuglog('shoal')

export type LocalRole = 'master' | 'replica' | 'none'

/** A target that started an app for a move keeps it running this long waiting for epoch+1. */
export const TAKEOVER_GRACE_MS = 15_000
/** An app not healthy this long after it started is said to be so (in its trouble). */
export const SLOW_START_MS = 5_000

/** Where a takeover's time went: laying out the data, then starting the app until healthy. */
export interface TakeoverTimes {
  restoreMs: number
  startMs: number
}

/**
 * One app as this node sees it: runs it while this node is its master (live folder, supervisor,
 * snapshots, replication to each replica), holds its snapshots while a replica, and takes over
 * when the master dies and this node ranks first. `reconcile()` is safe to call any time; calls
 * are serialized.
 */
export class AppHost {
  supervisor: AppSupervisor | null = null
  role: LocalRole = 'none'
  /** Set by a move in progress on this node (the master): the app is not restarted meanwhile. */
  moving = false
  /** A crash drill stopped the app here and nothing may run until resume() (see crash()). */
  private suspended = false
  /** The last reconciliation of a stale live folder on this node (drills report it). */
  lastDemote: (DemoteResult & { at: number; epoch: number }) | null = null
  /** This node started the app as a move's target and waits for the placement to name it. */
  private pendingTakeover: { epoch: number; until: number } | null = null
  /** Why the app's process last ended, for its trouble sentence. */
  private lastCrash = ''
  /** Says the app is slow to become healthy, unless it becomes so first. */
  private slowStart: NodeJS.Timeout | null = null
  /** Kept while this node is a replica; null when the node keeps no standbys. */
  private readonly standby: Standby | null
  private chain: Promise<void> = Promise.resolve()
  /** Snapshots and pushes to replicas while this node is the master. */
  private readonly replication: MasterReplication
  private closed = false
  private readonly logTail: LogLine[] = []

  constructor(
    readonly app: string,
    private readonly ctx: AppHostContext
  ) {
    this.standby = ctx.standby === false ? null : new Standby(ctx.standbyRefreshMs)
    this.replication = new MasterReplication(app, ctx)
  }

  reconcile(): Promise<void> {
    const run = this.chain.then(() => (this.closed ? undefined : this.step()))
    this.chain = run.catch((err) => {
      debug('%s: reconcile failed: %s', this.app, err)
      this.ctx.event({ kind: 'error', app: this.app, message: `${this.app}: ${(err as Error).message}` })
    })
    return this.chain
  }

  async close(): Promise<void> {
    this.closed = true
    await this.chain
    await this.stopRunning()
  }

  /** The last lines of the app's output on this node (master only). */
  logs(limit: number): LogLine[] {
    return (this.supervisor?.logs.lines(limit) ?? this.logTail.slice(-limit)).slice(-limit)
  }

  get healthyPort(): number | null {
    return this.supervisor?.state === 'healthy' ? this.supervisor.port : null
  }

  private get spec(): AppSpec | undefined {
    return this.ctx.mesh.gossip.apps.specs.get(this.app)
  }

  private get placement(): Placement | undefined {
    return this.ctx.mesh.gossip.apps.placements.get(this.app)
  }

  private async step(): Promise<void> {
    if (this.suspended) return
    const spec = this.spec
    const pl = this.placement
    if (spec === undefined || spec.deleted || pl === undefined) {
      this.role = 'none'
      await this.stopRunning()
      return
    }
    const self = this.ctx.self
    this.role = pl.master === self ? 'master' : pl.replicas.includes(self) ? 'replica' : 'none'
    if (this.role === 'master') {
      if (this.pendingTakeover !== null && pl.epoch >= this.pendingTakeover.epoch) this.pendingTakeover = null
      return this.asMaster(spec, pl)
    }
    if (this.pendingTakeover !== null) {
      if (Date.now() < this.pendingTakeover.until && pl.epoch < this.pendingTakeover.epoch) return
      this.pendingTakeover = null
      this.ctx.event({ kind: 'error', app: this.app, message: `${this.app}: the move to ${this.ctx.selfName} was not completed; stopping the copy started here` })
    }
    await this.stopRunning()
    await this.demoteIfStale(pl)
    if (this.role === 'replica') {
      const vol = await this.ctx.volume(this.app)
      await vol.open()
      await this.maybeTakeOver(spec, pl)
      // Still a replica (the takeover above may have made this node the master).
      if (this.placement?.master !== this.ctx.self) {
        const refreshed = await this.standby?.keep(vol)
        if (refreshed) debug('%s: standby at %s (%d files written)', this.app, refreshed.id.slice(0, 12), refreshed.stats.filesWritten)
      }
    }
  }

  private async asMaster(spec: AppSpec, pl: Placement): Promise<void> {
    const vol = await this.ctx.volume(this.app)
    await vol.open()
    if (this.supervisor === null) {
      if (pl.state === 'stopped' || this.moving) return
      // An app added with --data starts only once its seed has arrived.
      if (spec.seed !== '' && vol.head() === null) return
      // The live folder belongs to one master term: a new term starts from the newest snapshot.
      if ((await vol.liveEpoch()) !== pl.epoch || !(await vol.hasLive())) {
        await vol.restore()
        await vol.setLiveEpoch(pl.epoch)
      }
      this.startSupervisor(spec, vol)
    }
    this.replication.ensureSnapshots(vol)
    await this.replication.maintainReplicas(spec, pl)
    this.replication.replicate(pl, vol)
  }

  private startSupervisor(spec: AppSpec, vol: AppVolume): void {
    const sup = new AppSupervisor({
      app: this.app,
      cmd: spec.cmd,
      dataDir: vol.live,
      nodeName: this.ctx.selfName,
      env: { ...spec.env, SHOAL_NODE_ID: this.ctx.self },
      health: spec.health === '' ? 'tcp' : spec.health
    })
    sup.on('state', (e: StateEvent) => this.onRunState(e))
    sup.on('crash-loop', (e: { crashes: number; windowMs: number }) =>
      this.ctx.event({ kind: 'error', app: this.app, message: `${this.app} is crash-looping on ${this.ctx.selfName} (${e.crashes} crashes in ${Math.round(e.windowMs / 1000)} s)` })
    )
    this.supervisor = sup
    sup.start().catch((err) => this.ctx.event({ kind: 'error', app: this.app, message: `${this.app} failed to start: ${(err as Error).message}` }))
  }

  private onRunState(e: StateEvent): void {
    this.reportTrouble(e)
    if (e.state === 'healthy') {
      const pl = this.placement
      if (pl !== undefined && pl.master === this.ctx.self && (pl.state === 'pending' || pl.state === 'failing-over')) {
        this.ctx.mesh.gossip.applyPlacement({ ...pl, rev: pl.rev + 1, state: 'running' }, null)
      }
      this.ctx.event({ kind: 'app', app: this.app, message: `${this.app} is running on ${this.ctx.selfName}` })
    } else if (e.state === 'crashed' || e.state === 'crash-loop') {
      this.ctx.event({ kind: 'error', app: this.app, message: `${this.app} ${e.state === 'crashed' ? 'crashed' : 'is crash-looping'} on ${this.ctx.selfName}${e.reason ? `: ${e.reason}` : ''}` })
    }
  }

  /** Keeps this node's published trouble for the app in step with its process. */
  private reportTrouble(e: StateEvent): void {
    if (this.slowStart !== null) clearTimeout(this.slowStart)
    this.slowStart = null
    switch (e.state) {
      case 'starting': {
        // A start that is not healthy soon says so (it is only restarted after START_TIMEOUT_MS).
        const health = this.spec?.health || 'tcp'
        this.slowStart = setTimeout(() => {
          this.slowStart = null
          this.ctx.runTrouble(this.app, `not healthy yet: its health check (${health}) has not passed for ${SLOW_START_MS / 1000} s; it is restarted if it has not after ${START_TIMEOUT_MS / 1000} s`)
        }, SLOW_START_MS)
        this.slowStart.unref()
        break
      }
      case 'crashed':
        this.lastCrash = e.reason ?? 'exited'
        this.ctx.runTrouble(this.app, `crashed: ${this.lastCrash}`)
        break
      case 'backoff':
        this.ctx.runTrouble(this.app, `crashed: ${this.lastCrash}; ${e.reason ?? 'restarting'}`)
        break
      case 'crash-loop':
        this.ctx.runTrouble(this.app, `crash loop (${this.lastCrash}): ${e.reason ?? ''}`)
        break
      case 'healthy':
      case 'stopped':
        this.ctx.runTrouble(this.app, null)
        break
    }
  }

  /** The master is gone: if this node ranks first among live replicas, it takes over. */
  private async maybeTakeOver(spec: AppSpec, pl: Placement): Promise<void> {
    const claim = await claimFailover(this.app, spec, pl, this.ctx)
    if (claim === null) return
    this.role = 'master'
    await this.asMaster(spec, claim)
  }

  /** A move from this node: stops the app (the caller then ships the final snapshot). */
  /**
   * Before a move pauses the app: no scheduled snapshot or push starts any more, and one in
   * progress is over, so none runs while requests are held (the move takes its own snapshots).
   * `resumeSnapshots()` undoes it if the move gives up with the app still running here.
   */
  async holdSnapshots(): Promise<void> {
    await this.replication.halt()
  }

  resumeSnapshots(): void {
    if (this.supervisor !== null) this.replication.resume()
  }

  async stopForMove(): Promise<void> {
    this.moving = true
    await this.chain
    await this.stopRunning()
  }

  /**
   * Before a move to this node: lay `snapshot` out in the live folder (the app is not started).
   * Skipped when the folder still holds an unreconciled term of this node's own: that is
   * reconciled first, at takeover.
   */
  stage(snapshot: string): Promise<void> {
    const run = this.chain.then(async () => {
      const vol = await this.ctx.volume(this.app)
      // Staging is only a head start: a snapshot not here yet, or a folder still to reconcile,
      // just means takeover does the whole checkout.
      if (!vol.store.has(snapshot) || this.supervisor !== null || (await vol.liveEpoch()) !== 0) return
      await vol.restore(snapshot)
    })
    this.chain = run.catch(() => undefined)
    return run
  }

  /**
   * A move to this node: check out `snapshot`, start the app and wait until it passes its health
   * check. The copy keeps running while the placement catches up (TAKEOVER_GRACE_MS).
   */
  takeover(snapshot: string, epoch: number): Promise<TakeoverTimes> {
    const run = this.chain.then(async () => {
      const t0 = performance.now()
      const spec = this.spec
      if (spec === undefined || spec.deleted) throw new ShoalError('UNKNOWN_APP', `no app called ${this.app}`)
      const vol = await this.ctx.volume(this.app)
      if (!vol.store.has(snapshot)) throw new ShoalError('NOT_FOUND', `${this.ctx.selfName} does not hold snapshot ${snapshot.slice(0, 12)} of ${this.app}`)
      await this.stopRunning()
      const pl = this.placement
      if (pl !== undefined) await this.demoteIfStale(pl)
      await vol.restore(snapshot)
      await vol.setLiveEpoch(epoch)
      const t1 = performance.now()
      this.pendingTakeover = { epoch, until: Date.now() + TAKEOVER_GRACE_MS }
      this.startSupervisor(spec, vol)
      await this.supervisor!.waitHealthy()
      return { restoreMs: Math.round(t1 - t0), startMs: Math.round(performance.now() - t1) }
    })
    this.chain = run.then(
      () => undefined,
      () => undefined
    )
    return run
  }

  /**
   * Stops the app if this node runs it, snapshots the live folder one last time and waits
   * (bounded) until a live replica holds that snapshot: a graceful leave loses nothing.
   */
  async finalSync(): Promise<void> {
    await this.chain
    const pl = this.placement
    if (this.supervisor === null || pl === undefined || pl.master !== this.ctx.self) return
    this.closed = true
    await this.stopRunning()
    const vol = await this.ctx.volume(this.app)
    await this.replication.sendLastSnapshot(pl, vol)
  }

  /**
   * Reconciliation: this node's live folder belongs to a master term (its `live-epoch`) but `pl`
   * names another master, so this node is a returning old master or lost a same-epoch claim.
   * The app is already stopped; its last writes are snapshotted and whatever the winner lacks
   * is stashed before the live folder is marked free (the next term here restores it fresh).
   */
  private async demoteIfStale(pl: Placement): Promise<void> {
    if (pl.master === this.ctx.self) return
    const vol = await this.ctx.volume(this.app)
    const oldEpoch = await vol.liveEpoch()
    if (oldEpoch === 0) return
    const table = this.ctx.mesh.gossip.table
    const result = await stashOnDemote(vol, oldEpoch, pl, {
      self: this.ctx.self,
      selfName: this.ctx.selfName,
      nameOf: (id) => table.get(id)?.record?.name ?? id.slice(0, 8),
      event: (e) => this.ctx.event(e)
    })
    this.lastDemote = { ...result, at: Date.now(), epoch: oldEpoch }
    await vol.setLiveEpoch(0)
    this.ctx.publishHead(this.app, vol.headRef())
  }

  /**
   * The master term whose live folder awaits reconciliation here (another node masters the app
   * now), or 0 when there is none. Drills wait for it to reach 0 on every node.
   */
  async staleTerm(): Promise<number> {
    const pl = this.placement
    if (pl === undefined || pl.master === this.ctx.self) return 0
    return (await this.ctx.volume(this.app)).liveEpoch()
  }

  /**
   * Crash drill: the app dies at once (SIGKILL to its process group, no SIGTERM courtesy) and
   * nothing runs or reconciles here until resume(). Snapshots stop with it.
   */
  async crash(): Promise<void> {
    this.suspended = true
    const pid = this.supervisor?.pid ?? null
    if (pid !== null) killGroup(pid, 'SIGKILL')
    await this.chain
    await this.stopRunning()
  }

  resume(): void {
    this.suspended = false
  }

  private async stopRunning(): Promise<void> {
    this.replication.stop()
    if (this.slowStart !== null) clearTimeout(this.slowStart)
    this.slowStart = null
    this.ctx.runTrouble(this.app, null)
    const sup = this.supervisor
    if (sup === null) return
    this.supervisor = null
    this.logTail.push(...sup.logs.lines())
    this.logTail.splice(0, Math.max(0, this.logTail.length - 200))
    await sup.stop()
  }
}
