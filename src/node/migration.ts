import { ShoalError } from '../core/errors.js'
import type { Placement } from '../core/app-types.js'
import type { NodeId } from '../core/types.js'
import type { OperationEvent } from '../control/types.js'
import type { Mesh } from '../mesh/mesh.js'
import type { PeerRpc } from '../mesh/peer-rpc.js'
import type { AppTraffic } from '../proxy/traffic.js'
import type { AppHost, TakeoverTimes } from './app-host.js'
import type { AppVolume } from './app-volume.js'
import type { ReplicationHub } from './replication-hub.js'

/** Pre-copy rounds stop once a round ships less than this. */
export const PRECOPY_SMALL_BYTES = 1024 * 1024
export const PRECOPY_MAX_ROUNDS = 5
/** In-flight requests get this long to finish once the gate is paused. */
export const DRAIN_TIMEOUT_MS = 10_000
/** The target must start the app and pass its health check within this long. */
export const TAKEOVER_TIMEOUT_MS = 30_000
/** Waiting for the target to hold a snapshot (first sync of a new replica). */
export const SYNC_TIMEOUT_MS = 120_000

export interface MoveContext {
  self: NodeId
  selfName: string
  mesh: Mesh
  hub: ReplicationHub
  traffic: AppTraffic
  host: AppHost
  volume: AppVolume
  /** The session with `peer` for node-to-node calls (may wait briefly for one), or null. */
  rpc(peer: NodeId): Promise<PeerRpc | null>
  drainTimeoutMs?: number
  /** What to do with requests still in flight at the drain timeout. */
  onDrainTimeout?: 'abort' | 'terminate'
}

export interface MoveResult {
  ok: boolean
  app: string
  from: string
  to: string
  epoch: number
  pauseMs: number
  finalDeltaBytes: number
  error?: string
  code?: string
}

/**
 * A planned move of `app` from this node (its master) to `target`, as DESIGN.md describes:
 * sync the target, pre-copy until the delta is small, pause and drain the gate, stop the app,
 * ship the final snapshot, have the target start it and pass its health check, write epoch+1,
 * release the held requests towards the target. Any failure before epoch+1 restarts the app
 * here and releases the gate to it. Progress goes to `emit` as tagged events.
 */
export async function moveApp(ctx: MoveContext, app: string, target: NodeId, emit: (e: OperationEvent) => void): Promise<MoveResult> {
  const { mesh, hub, traffic, host, volume } = ctx
  const nameOf = (id: NodeId) => mesh.gossip.table.get(id)?.record?.name ?? id.slice(0, 8)
  const placement = () => mesh.gossip.apps.placements.get(app)
  let pl = placement()
  if (pl === undefined || pl.master !== ctx.self) throw new ShoalError('NO_MASTER', `${ctx.selfName} is not the master of ${app}`)
  const result: MoveResult = { ok: false, app, from: ctx.selfName, to: nameOf(target), epoch: pl.epoch, pauseMs: 0, finalDeltaBytes: 0 }
  const rpc = await ctx.rpc(target)
  if (rpc === null) throw new ShoalError('UNKNOWN_NODE', `no connection to ${nameOf(target)}`)
  emit({ tag: 'start', data: { app, from: result.from, to: result.to } })

  // 1. The target must hold the app's data: make it a replica and let it sync.
  if (!pl.replicas.includes(target)) {
    pl = { ...pl, rev: pl.rev + 1, replicas: [...pl.replicas, target] }
    mesh.gossip.applyPlacement(pl, null)
    emit({ tag: 'replica', data: { node: result.to } })
  }
  host.moving = true
  const gate = traffic.gate(app)
  let paused = false
  let stopped = false
  let snapshotsHeld = false
  // Every wait on the target gives up as soon as the target is declared dead, not at its timeout.
  const lost = targetLost(mesh, target, result.to)
  const untilLost = <T>(p: Promise<T>) => Promise.race([p, lost.promise])
  try {
    // 2. Pre-copy until a round is small.
    for (let round = 1; round <= PRECOPY_MAX_ROUNDS; round++) {
      // Under steady writes a hot file may never read stable: pre-copy is best effort, the
      // final snapshot (taken with the app stopped) carries whatever this round could not.
      if (!(await precopySnapshot(volume, pl.epoch))) {
        emit({ tag: 'precopy', data: { round, bytes: 0, skipped: 'a file kept changing while read' } })
        continue
      }
      const sent = await untilLost(pushUntilHeld(hub, target, app, volume, SYNC_TIMEOUT_MS, () => lost.gone))
      emit({ tag: 'precopy', data: { round, bytes: sent } })
      if (sent < PRECOPY_SMALL_BYTES) break
    }
    // The target lays the data out in its live folder now, outside the pause: at takeover only
    // the files changed since are rewritten (a first move to a node would otherwise write the
    // whole volume while requests wait).
    const staged = hub.acked(target, app)
    if (staged !== null) {
      await untilLost(rpc.request('app.stage', { app, snapshot: staged })).catch((err: Error) => {
        if (lost.gone) throw err
      })
      emit({ tag: 'stage', data: { node: result.to, snapshot: staged } })
    }
    // 3. Pause: hold new requests, let in-flight ones finish. No background snapshot may run
    // in the pause (the final snapshot and push would queue behind it).
    await host.holdSnapshots()
    snapshotsHeld = true
    gate.pause()
    paused = true
    const pausedAt = performance.now()
    emit({ tag: 'pause', data: { inFlight: gate.inFlight } })
    const drained = await gate.drain(ctx.drainTimeoutMs ?? DRAIN_TIMEOUT_MS)
    if (!drained) {
      if ((ctx.onDrainTimeout ?? 'abort') === 'abort') throw new ShoalError('MIGRATION_ABORTED', `${gate.inFlight} requests were still in flight after the drain timeout`)
      gate.terminate(new ShoalError('MIGRATION_ABORTED', 'connection cut by a move'))
    }
    // 4. Stop the app, take the final snapshot, ship it.
    const clock = new StepClock()
    const drainMs = Math.round(performance.now() - pausedAt)
    await host.stopForMove()
    stopped = true
    const stopMs = clock.lap()
    const final = (await volume.snapshot(pl.epoch)) ?? volume.head()
    if (final === null) throw new ShoalError('INTERNAL', 'no snapshot to hand over')
    const snapshotMs = clock.lap()
    result.finalDeltaBytes = await untilLost(pushUntilHeld(hub, target, app, volume, SYNC_TIMEOUT_MS, () => lost.gone))
    emit({ tag: 'final', data: { snapshot: final.id, bytes: result.finalDeltaBytes, drainMs, stopMs, snapshotMs, shipMs: clock.lap() } })
    // 5. The target checks out that snapshot, starts the app and passes its health check.
    const epoch = pl.epoch + 1
    emit({ tag: 'start-target', data: { node: result.to } })
    const took = (await untilLost(withTimeout(rpc.request('app.takeover', { app, snapshot: final.id, epoch }), TAKEOVER_TIMEOUT_MS, `${result.to} did not start ${app} in time`))) as Partial<TakeoverTimes>
    emit({ tag: 'health', data: { node: result.to, ok: true, restoreMs: took.restoreMs, startMs: took.startMs } })
    // 6. epoch+1 with the target as master; this node stays a replica.
    const current = placement() ?? pl
    const next: Placement = {
      app,
      epoch,
      rev: 0,
      master: target,
      replicas: [ctx.self, ...current.replicas.filter((r) => r !== target && r !== ctx.self)],
      state: 'running',
      snapSeq: final.seq
    }
    mesh.gossip.applyPlacement(next, null)
    mesh.gossip.flush()
    result.epoch = epoch
    // 7. Release what was held towards the new master (routes already name it).
    gate.release()
    paused = false
    result.pauseMs = Math.round(performance.now() - pausedAt)
    result.ok = true
    host.moving = false
    emit({ tag: 'done', data: { epoch, pauseMs: result.pauseMs, finalDeltaBytes: result.finalDeltaBytes } })
    return result
  } catch (err) {
    const e = err instanceof ShoalError ? err : new ShoalError('MIGRATION_ABORTED', (err as Error).message)
    result.error = e.message
    // The operator's question is "did it move?": anything that broke the move mid-way (a lost
    // connection, a failed start) is MIGRATION_ABORTED, with the cause in the message.
    result.code = e.code === 'UNKNOWN_NODE' || e.code === 'NOT_A_REPLICA' ? e.code : 'MIGRATION_ABORTED'
    host.moving = false
    if (stopped) await host.reconcile() // starts it here again: the epoch did not change
    else if (snapshotsHeld) host.resumeSnapshots()
    if (paused) gate.release()
    emit({ tag: 'error', data: { code: e.code, message: e.message } })
    return result
  } finally {
    lost.dispose()
  }
}

/** Milliseconds since the previous lap (or since it was made). */
class StepClock {
  private at = performance.now()
  lap(): number {
    const now = performance.now()
    const ms = Math.round(now - this.at)
    this.at = now
    return ms
  }
}

/** Rejects (MIGRATION_ABORTED) once `target` is dead or has left; `dispose()` stops watching. */
function targetLost(mesh: Mesh, target: NodeId, name: string): { promise: Promise<never>; gone: boolean; dispose(): void } {
  let onChange: ((e: { id: NodeId; to: string }) => void) | null = null
  const out = { gone: false }
  const promise = new Promise<never>((_, reject) => {
    const check = (status: string | null) => {
      if (status !== 'dead' && status !== 'left' && status !== null) return
      out.gone = true
      reject(new ShoalError('MIGRATION_ABORTED', `${name} is ${status ?? 'gone'}; the app stays here`))
    }
    onChange = (e) => e.id === target && check(e.to)
    mesh.on('change', onChange)
    check(mesh.gossip.table.status(target))
  })
  promise.catch(() => undefined) // raced where it matters; never an unhandled rejection
  return Object.assign(out, { promise, dispose: () => void (onChange !== null && mesh.off('change', onChange)) })
}

/** A pre-copy snapshot; false when a file kept changing while read (FILE_CHANGING). */
async function precopySnapshot(volume: AppVolume, epoch: number): Promise<boolean> {
  try {
    await volume.snapshot(epoch)
    return true
  } catch (err) {
    if (ShoalError.is(err, 'FILE_CHANGING')) return false
    throw err
  }
}

/** Offers the newest snapshot until the target holds it; returns the bytes that crossed. */
async function pushUntilHeld(hub: ReplicationHub, target: NodeId, app: string, volume: AppVolume, timeoutMs: number, gone: () => boolean): Promise<number> {
  const head = volume.head()
  if (head === null) return 0
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const r = await hub.pushAwait(target, app, volume)
    if (r.held) return r.bytes
    if (gone()) throw new ShoalError('MIGRATION_ABORTED', 'the target went away')
    if (Date.now() > deadline) throw new ShoalError('MIGRATION_ABORTED', `the target did not take snapshot ${head.id.slice(0, 12)} in time`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | null = null
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ShoalError('MIGRATION_ABORTED', message)), ms)))])
  } finally {
    if (timer !== null) clearTimeout(timer)
  }
}
