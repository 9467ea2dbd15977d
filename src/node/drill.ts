import { randomBytes } from 'node:crypto'
import { ShoalError, toShoalError } from '../core/errors.js'
import { rankFailover } from '../core/failover-rank.js'
import type { NodeId } from '../core/types.js'
import type { DrillMode, DrillReport } from '../control/drill-types.js'
import type { OperationEvent } from '../control/types.js'
import type { Mesh } from '../mesh/mesh.js'
import type { RpcHandler } from '../mesh/peer-rpc.js'
import { DrillProbe, readThrough, type ProbeTarget, type ProbeWrite } from './drill-probe.js'
import type { EventLog } from './event-log.js'
import type { LocalApps } from './local-apps.js'
import type { StashCatalog } from './stash-catalog.js'

export const DEFAULT_DRILL_DURATION_MS = 10_000
/** Writes acknowledged before the fault, so the drill measures a cluster that was working. */
export const WARMUP_WRITES = 5
export const WARMUP_TIMEOUT_MS = 10_000
/** After the fault ends, the cluster has this long to elect, reconnect and reconcile. */
export const SETTLE_TIMEOUT_MS = 60_000
/** Acknowledged writes started after the cluster settled that end the probe. */
export const TAIL_WRITES = 5
/** During a partition, one write through the old master's own front this often. */
export const SIDE_WRITE_EVERY_MS = 300
export const SIDE_WRITES_MAX = 10
const POLL_MS = 50

export interface DrillOptions {
  mode: DrillMode
  durationMs?: number
  probePath?: string
  /**
   * A crash or partition hits the master's whole node: other apps mastered there fail over too,
   * and (partition) apps with a copy there may split. Without this the drill is refused when it
   * would touch any other app.
   */
  wholeNode?: boolean
}

/** What a node says about a drill's fault, from its own log (node-to-node `drill.observe`). */
export interface DrillObservation {
  /** When this node first saw `node` dead at or after `since`. */
  deadAt: number | null
  /** This node's last reconciliation of `app` (see AppHost.lastDemote). */
  demote: { at: number; stash: string | null; epoch: number } | null
  /** A master term whose live folder this node has yet to reconcile (0: none). */
  staleTerm: number
}

export interface DrillContext {
  self: NodeId
  selfName: string
  mesh: Mesh
  local: LocalApps
  events: EventLog
  stashes: StashCatalog
  /** Injects the fault on this node, which masters the app; resolves once it is in place. */
  fault(mode: 'crash' | 'partition', durationMs: number): Promise<{ at: number }>
}

const running = new Set<string>()

/**
 * A failover drill of `app`, run from this node, as DESIGN.md's "Drills" describes: a probe
 * writes through the fronts of the nodes other than the master, the fault is injected (crash:
 * the master goes silent with its app killed; partition: it is cut off but keeps serving its
 * own front; graceful: a planned promote of the best replica), the drill follows detection,
 * promotion and the old master's return and reconciliation, then checks every acknowledged
 * write against the new master's data and the stash. Progress goes to `emit`.
 */
export async function runDrill(ctx: DrillContext, app: string, opts: DrillOptions, emit: (e: OperationEvent) => void): Promise<DrillReport> {
  const { table, apps } = ctx.mesh.gossip
  const nameOf = (id: NodeId) => (id === ctx.self ? ctx.selfName : (table.get(id)?.record?.name ?? id.slice(0, 8)))
  const alive = (id: NodeId) => id === ctx.self || table.status(id) === 'alive'
  const spec = apps.specs.get(app)
  const pl0 = apps.placements.get(app)
  if (spec === undefined || spec.deleted || pl0 === undefined) throw new ShoalError('UNKNOWN_APP', `no app called ${app}`)
  if (!['crash', 'partition', 'graceful'].includes(opts.mode)) throw new ShoalError('BAD_ARGUMENT', `--mode takes crash, partition or graceful, got "${opts.mode}"`)
  const hostHeader = spec.httpHosts[0]
  if (hostHeader === undefined) throw new ShoalError('BAD_ARGUMENT', `${app} has no HTTP host: a drill probes an app through its HTTP route`)
  const master = pl0.master
  if (!alive(master) || pl0.state !== 'running') throw new ShoalError('NO_MASTER', `${app} is not running on a live master (state ${pl0.state}): fix that before a drill`)
  const replicas = pl0.replicas.filter(alive)
  if (replicas.length === 0) throw new ShoalError('NOT_A_REPLICA', `${app} has no live replica to fail over to (try: shoal app scale ${app} 2)`)
  const targets = probeTargets(ctx, master)
  if (targets.length === 0) throw new ShoalError('BAD_ARGUMENT', `no other live node with an HTTP front to probe ${app} through`)
  const durationMs = opts.durationMs ?? DEFAULT_DRILL_DURATION_MS
  if (!(durationMs >= 1000 && durationMs <= 600_000)) throw new ShoalError('BAD_ARGUMENT', '--duration takes 1 to 600 seconds')
  const path = opts.probePath ?? '/records'
  if (!path.startsWith('/')) throw new ShoalError('BAD_ARGUMENT', `--probe-path must start with /, got "${path}"`)
  if (opts.mode !== 'graceful' && opts.wholeNode !== true) {
    const others = otherAppsHit(ctx, app, master, opts.mode)
    if (others.length > 0) {
      const what = opts.mode === 'crash' ? `${nameOf(master)} goes silent as a whole, so these apps fail over too` : `${nameOf(master)} is cut off as a whole, so these apps may split in two, and writes to the side that loses go to a stash`
      throw new ShoalError('APP_BUSY', `a ${opts.mode} drill of ${app} hits other apps: ${what}: ${others.join(', ')}. Move them off ${nameOf(master)} first, or run the drill with --whole-node to accept that`)
    }
  }
  if (running.has(app)) throw new ShoalError('APP_BUSY', `a drill of ${app} is already running on this node`)
  running.add(app)

  const report: DrillReport = {
    ok: false,
    app,
    mode: opts.mode,
    from: nameOf(master),
    to: nameOf(master),
    detectionMs: null,
    recoveryMs: null,
    writes: { attempted: 0, acknowledged: 0, failed: 0, lost: 0, stashedOnly: 0, failures: {} },
    stash: null,
    stashes: [],
    placement: { epoch: pl0.epoch, master: nameOf(master), replicas: pl0.replicas.map(nameOf) }
  }
  const probe = new DrillProbe({ targets, hostHeader, path, prefix: `drill-${randomBytes(4).toString('hex')}` })
  const side: Array<Promise<ProbeWrite>> = []
  ctx.events.add({ at: Date.now(), kind: 'drill', app, message: `${opts.mode} drill of ${app} started on ${ctx.selfName} (master ${report.from})` })
  try {
    probe.start()
    emit({ tag: 'probe', data: { targets: targets.map((t) => t.name), path, host: hostHeader } })
    await until(() => probe.acknowledged.length >= WARMUP_WRITES, WARMUP_TIMEOUT_MS, () => new ShoalError('NO_MASTER', `probe writes to ${path} through ${targets.map((t) => t.name).join(', ')} are not acknowledged before the fault: is ${app} healthy?`))

    let faultAt: number
    let demote: DrillObservation['demote'] = null
    if (opts.mode === 'graceful') {
      const best = rankFailover(replicas.map((id, i) => ({ id, head: table.get(id)?.record?.heads[app] ?? null, preference: i })))[0]!.id
      faultAt = Date.now()
      emit({ tag: 'stop', data: { mode: opts.mode, node: report.from, at: faultAt, action: `planned promote to ${nameOf(best)}` } })
      const moved = await ctx.local.move(app, best, (e) => emit({ tag: 'promote', data: { step: e.tag, ...e.data } }))
      if (!moved.ok) throw new ShoalError('MIGRATION_ABORTED', `the promote to ${moved.to} failed: ${moved.error}`)
      emit({ tag: 'promote', data: { node: moved.to, epoch: moved.epoch, pauseMs: moved.pauseMs } })
    } else {
      const r = master === ctx.self ? await ctx.fault(opts.mode, durationMs) : ((await callPeer(ctx, master, 'drill.fault', { mode: opts.mode, durationMs })) as { at: number })
      faultAt = r.at
      emit({ tag: 'stop', data: { mode: opts.mode, node: report.from, at: faultAt, durationMs } })
      if (opts.mode === 'partition') sideWrites(ctx, master, probe, faultAt + durationMs, side)
      demote = await followFailover(ctx, app, master, pl0.epoch, faultAt, durationMs, emit)
    }

    // A few acknowledged writes after the cluster is whole again, then stop writing.
    const settledAt = Date.now()
    await until(() => probe.acknowledged.filter((w) => w.startedAt >= settledAt).length >= TAIL_WRITES, 10_000, () => new ShoalError('NO_MASTER', `no probe write was acknowledged after the drill`)).catch(() => undefined)
    await probe.stop()
    await Promise.all(side)

    const pl = apps.placements.get(app) ?? pl0
    report.to = nameOf(pl.master)
    report.placement = { epoch: pl.epoch, master: nameOf(pl.master), replicas: pl.replicas.map(nameOf) }
    const acked = probe.acknowledged
    report.writes.attempted = probe.writes.length
    report.writes.acknowledged = acked.length
    report.writes.failed = probe.writes.length - acked.length
    for (const w of probe.writes) if (w.reason !== undefined) report.writes.failures[`${w.reason} via ${w.target}`] = (report.writes.failures[`${w.reason} via ${w.target}`] ?? 0) + 1

    const front = targets.find((t) => t.name === report.to) ?? targets[0]!
    const data = await until(() => readThrough(front, hostHeader, path), 10_000, () => new ShoalError('NO_MASTER', `cannot read ${path} of ${app} through ${front.name} after the drill`))
    const missing = acked.filter((w) => !data.includes(w.body))
    report.stash = demote?.stash ?? null
    const inStash = new Set<string>()
    // Every stash of this app made since the fault counts (second resolution in its name).
    const made = (await ctx.stashes.cluster()).stashes.filter((s) => s.app === app && s.time >= faultAt - 1000)
    report.stashes = made.map((s) => s.id)
    for (const s of made) {
      const needles = missing.map((w) => w.body).filter((b) => !inStash.has(b))
      if (needles.length === 0) break
      const found = s.nodeId === ctx.self ? await ctx.stashes.search(s.id, needles) : ((await callPeer(ctx, s.nodeId, 'stash.search', { id: s.id, needles })) as string[])
      for (const f of found ?? []) inStash.add(f)
    }
    report.writes.stashedOnly = missing.filter((w) => inStash.has(w.body)).length
    report.writes.lost = missing.length - report.writes.stashedOnly
    const recovered = acked.find((w) => w.startedAt >= faultAt && data.includes(w.body))
    report.recoveryMs = recovered === undefined ? null : recovered.endedAt - faultAt
    if (opts.mode !== 'graceful') {
      const survivor = pl.master
      const seen = await observeOn(ctx, survivor, app, master, faultAt)
      report.detectionMs = seen?.deadAt == null ? null : seen.deadAt - faultAt
      // The master running its own drill was away while the others judged it: tell it now.
      if (master === ctx.self && report.detectionMs !== null) emit({ tag: 'detect', data: { node: report.from, afterMs: report.detectionMs, seenBy: nameOf(survivor) } })
    }
    report.ok = pl.master !== master && report.writes.lost === 0
    if (pl.master === master) report.error = `${report.from} is still the master after the drill`
    emit({ tag: 'done', data: { detectionMs: report.detectionMs, recoveryMs: report.recoveryMs, ...report.writes, stash: report.stash, master: report.to, epoch: pl.epoch } })
    return report
  } catch (err) {
    const e = toShoalError(err)
    report.error = e.message
    report.code = e.code
    emit({ tag: 'error', data: { code: e.code, message: e.message } })
    await probe.stop()
    await Promise.all(side)
    return report
  } finally {
    running.delete(app)
    ctx.events.add({ at: Date.now(), kind: 'drill', app, message: `${opts.mode} drill of ${app} ended: ${report.ok ? 'ok' : (report.error ?? 'writes lost')}` })
  }
}

/** Alive nodes other than the master, by their advertised address and HTTP port. */
function probeTargets(ctx: DrillContext, master: NodeId): ProbeTarget[] {
  const out: ProbeTarget[] = []
  for (const m of ctx.mesh.members()) {
    const r = m.record
    if (r.id === master || (m.status !== 'alive' && !m.self) || r.httpPort === 0) continue
    out.push({ name: r.name, host: r.addresses[0] ?? '127.0.0.1', port: r.httpPort })
  }
  return out
}

/**
 * The other apps a crash or partition of node `master` would touch: those it masters (crash and
 * partition), and for a partition those it holds a copy of (the cut-off copy may take over on
 * its side under the available policy).
 */
function otherAppsHit(ctx: DrillContext, app: string, master: NodeId, mode: 'crash' | 'partition'): string[] {
  const out: string[] = []
  for (const [name, pl] of ctx.mesh.gossip.apps.placements) {
    const spec = ctx.mesh.gossip.apps.specs.get(name)
    if (name === app || spec === undefined || spec.deleted) continue
    if (pl.master === master || (mode === 'partition' && pl.replicas.includes(master))) out.push(name)
  }
  return out.sort()
}

/** A partition's other half: a few writes through the old master's own front while it is cut off. */
function sideWrites(ctx: DrillContext, master: NodeId, probe: DrillProbe, until: number, out: Array<Promise<ProbeWrite>>): void {
  const r = ctx.mesh.gossip.table.get(master)?.record
  if (r === undefined || r === null || r.httpPort === 0) return
  const target: ProbeTarget = { name: r.name, host: r.addresses[0] ?? '127.0.0.1', port: r.httpPort }
  const timer = setInterval(() => {
    if (Date.now() >= until - SIDE_WRITE_EVERY_MS || out.length >= SIDE_WRITES_MAX) return clearInterval(timer)
    out.push(probe.write(target))
  }, SIDE_WRITE_EVERY_MS)
}

/**
 * Follows a crash or partition until the old master is back and has reconciled: reports the
 * first moment this node saw it dead (`detect`), the new master (`promote`) and its return as a
 * replica (`restore`). A node that is itself the master sees nothing until it is back.
 */
async function followFailover(
  ctx: DrillContext,
  app: string,
  master: NodeId,
  epoch: number,
  faultAt: number,
  durationMs: number,
  emit: (e: OperationEvent) => void
): Promise<DrillObservation['demote']> {
  const { table, apps } = ctx.mesh.gossip
  const nameOf = (id: NodeId) => (id === ctx.self ? ctx.selfName : (table.get(id)?.record?.name ?? id.slice(0, 8)))
  const deadline = faultAt + durationMs + SETTLE_TIMEOUT_MS
  let detected = false
  let promoted = false
  for (;;) {
    const now = Date.now()
    if (!detected && master !== ctx.self && table.status(master) === 'dead') {
      detected = true
      emit({ tag: 'detect', data: { node: nameOf(master), afterMs: now - faultAt } })
    }
    const pl = apps.placements.get(app)
    if (!promoted && pl !== undefined && pl.epoch > epoch && pl.master !== master) {
      promoted = true
      emit({ tag: 'promote', data: { node: nameOf(pl.master), epoch: pl.epoch, afterMs: now - faultAt } })
    }
    if (promoted && now >= faultAt + durationMs && (master === ctx.self || table.status(master) === 'alive')) {
      const seen = await observeOn(ctx, master, app, master, faultAt).catch(() => undefined)
      if (seen?.demote != null && seen.demote.at >= faultAt && (await everyoneReconciled(ctx, app, master, faultAt))) {
        emit({ tag: 'restore', data: { node: nameOf(master), stash: seen.demote.stash, afterMs: Date.now() - faultAt } })
        return seen.demote
      }
    }
    if (now > deadline) {
      const what = !promoted ? `no replica took over ${app}` : `${nameOf(master)} did not come back and reconcile`
      throw new ShoalError('MIGRATION_ABORTED', `${what} within ${Math.round((deadline - faultAt) / 1000)} s of the fault`)
    }
    await sleep(POLL_MS)
  }
}

/** This node's view of a drill's fault (served to peers as `drill.observe`). */
export async function observe(ctx: Pick<DrillContext, 'events' | 'local'>, app: string, node: NodeId, since: number): Promise<DrillObservation> {
  const dead = ctx.events.recent(Number.MAX_SAFE_INTEGER).find((e) => e.kind === 'dead' && e.node === node && e.at >= since)
  const host = ctx.local.hosts.get(app)
  const d = host?.lastDemote ?? null
  return { deadAt: dead?.at ?? null, demote: d === null ? null : { at: d.at, stash: d.stash, epoch: d.epoch }, staleTerm: (await host?.staleTerm()) ?? 0 }
}

/** `observe` on `on`, here or through a node-to-node call. */
async function observeOn(ctx: DrillContext, on: NodeId, app: string, node: NodeId, since: number): Promise<DrillObservation | undefined> {
  if (on === ctx.self) return observe(ctx, app, node, since)
  return (await callPeer(ctx, on, 'drill.observe', { app, node, since })) as DrillObservation
}

/** How long a node-to-node call is retried while the connection is being replaced. */
export const PEER_RETRY_MS = 5000

/**
 * A node-to-node call that rides out a connection being replaced (right after a heal, duplicate
 * connections are settled and one of them closes under its calls): NODE_CLOSED is retried on
 * the current connection for up to PEER_RETRY_MS.
 */
async function callPeer(ctx: DrillContext, peer: NodeId, method: string, params: Record<string, unknown>): Promise<unknown> {
  const deadline = Date.now() + PEER_RETRY_MS
  for (;;) {
    try {
      const rpc = ctx.local.rpc(peer)
      if (rpc === null) throw new ShoalError('NODE_CLOSED', `no connection to ${ctx.mesh.gossip.table.get(peer)?.record?.name ?? peer.slice(0, 8)}`)
      return await rpc.request(method, params)
    } catch (err) {
      if (!ShoalError.is(err, 'NODE_CLOSED') || Date.now() > deadline) throw err
      await sleep(100)
    }
  }
}

/**
 * True when no alive node still holds a live folder of a superseded term. A heal can depose a
 * second master (stale death claims from the partitioned side), whose writes are stashed too.
 */
async function everyoneReconciled(ctx: DrillContext, app: string, master: NodeId, since: number): Promise<boolean> {
  const { table } = ctx.mesh.gossip
  const alive = [...table.members.keys()].filter((id) => id === ctx.self || table.status(id) === 'alive')
  const seen = await Promise.all(alive.map((id) => observeOn(ctx, id, app, master, since).catch(() => undefined)))
  return seen.every((s) => s !== undefined && s.staleTerm === 0)
}

/** Node-to-node methods drills need: the fault on the master, observations from anyone. */
export function drillRpcHandlers(ctx: DrillContext): Record<string, RpcHandler> {
  return {
    'drill.fault': async (p) => {
      if ((p.mode !== 'crash' && p.mode !== 'partition') || typeof p.durationMs !== 'number') throw new ShoalError('BAD_ARGUMENT', 'drill.fault needs mode and durationMs')
      return ctx.fault(p.mode, p.durationMs)
    },
    'drill.observe': async (p) => {
      if (typeof p.app !== 'string' || typeof p.node !== 'string' || typeof p.since !== 'number') throw new ShoalError('BAD_ARGUMENT', 'drill.observe needs app, node and since')
      return observe(ctx, p.app, p.node, p.since)
    }
  }
}

async function until<T>(check: () => T | Promise<T>, timeoutMs: number, fail: () => Error): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v as NonNullable<T>
    if (Date.now() > deadline) throw fail()
    await sleep(POLL_MS)
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
