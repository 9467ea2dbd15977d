/**
 * An in-memory simulated cluster behind the ConsoleSource interface: N nodes in zones, M apps
 * with a master and replicas, load that wanders on every poll, and operations that stream the
 * same tagged steps, with the same data, as a real node's (src/node/migration.ts for a move,
 * src/node/drill.ts for a drill), ending with the same `result`. Used by the console tests, the
 * benchmark and the offline demo.
 */
import type { ClusterEvent, NodeStatus, OperationEvent, StatusResult } from '../control/types.js'
import { ShoalError } from '../core/errors.js'
import type { ConsoleAppStatus, ConsoleSource, DrillMode, SnapshotInfo } from './source.js'
import { appName, clamp, hexId, seeded, type FakeApp, type FakeNode } from './fake-world.js'

const STEP_MS = 250
const SNAPSHOT_EVERY_MS = 60_000
const SNAPSHOTS_KEPT = 12
const LOG_LINES_KEPT = 200

export interface FakeClusterOptions {
  nodes?: number
  apps?: number
  replicas?: number
  zones?: string[]
  /** Seed of the pseudo-random walk, so runs (and tests) are repeatable. */
  seed?: number
  /** Pause between the steps of an operation; 0 in tests. */
  stepMs?: number
  /** Wall clock; tests may pass a fixed one. */
  now?: () => number
}

export class FakeCluster implements ConsoleSource {
  readonly nodes: FakeNode[] = []
  readonly appList: FakeApp[] = []
  private readonly byName = new Map<string, FakeNode>()
  private readonly listeners = new Set<(e: ClusterEvent) => void>()
  private readonly stepMs: number
  private readonly now: () => number
  private random: () => number
  private failure: ShoalError | null = null
  private closed = false
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()

  constructor(opts: FakeClusterOptions = {}) {
    const nodeCount = opts.nodes ?? 5
    const appCount = opts.apps ?? 12
    const zones = opts.zones ?? ['a', 'b', 'c']
    const replicas = Math.min(opts.replicas ?? 2, nodeCount - 1)
    this.stepMs = opts.stepMs ?? STEP_MS
    this.now = opts.now ?? Date.now
    this.random = seeded(opts.seed ?? 1)
    const width = String(nodeCount).length
    for (let i = 0; i < nodeCount; i++) {
      this.nodes.push({
        id: hexId(i),
        name: `node-${String(i + 1).padStart(width, '0')}`,
        zone: zones[i % zones.length]!,
        status: 'alive',
        cpu: 0.1 + this.random() * 0.5,
        mem: 0.2 + this.random() * 0.5,
        rttMs: i === 0 ? 0 : Math.round((1 + this.random() * 20) * 10) / 10
      })
    }
    const t = this.now()
    for (let i = 0; i < appCount; i++) {
      const master = i % nodeCount
      const app: FakeApp = {
        name: appName(i, appCount),
        state: 'running',
        epoch: 1 + Math.floor(this.random() * 4),
        master: this.nodes[master]!.name,
        replicas: Array.from({ length: replicas }, (_, r) => this.nodes[(master + r + 1) % nodeCount]!.name),
        pinned: null,
        rps: Math.round(this.random() * 400) / 10,
        snapshots: [],
        logs: [],
        seq: 0
      }
      for (let s = SNAPSHOTS_KEPT - 1; s >= 0; s--) this.takeSnapshot(app, t - s * SNAPSHOT_EVERY_MS - Math.floor(this.random() * 5000))
      for (let l = 0; l < 20; l++) this.log(app, `GET / 200 ${Math.floor(this.random() * 40)}ms`, t - (20 - l) * 1000)
      this.appList.push(app)
    }
  }

  /** Makes the next operation (move, promote, pin, drill, unpin) fail with this error half way. */
  failNextOperation(err: ShoalError): void {
    this.failure = err
  }

  /** Marks a node's membership status and tells subscribers, as the failure detector would. */
  setNodeStatus(name: string, status: NodeStatus['status']): void {
    const node = this.node(name)
    const from = node.status
    node.status = status
    this.emit({ kind: status === 'alive' ? 'alive' : status, node: node.id, nodeName: node.name, from, message: `${node.name} is ${status}` })
  }

  /** Stops pending operation steps; idempotent. */
  close(): void {
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    this.listeners.clear()
  }

  async status(): Promise<StatusResult> {
    this.wander()
    const masters = new Map<string, number>()
    for (const app of this.appList) masters.set(app.master, (masters.get(app.master) ?? 0) + 1)
    return {
      self: this.nodes[0]?.id ?? '',
      nodes: this.nodes.map((n, i) => ({
        id: n.id,
        name: n.name,
        zone: n.zone,
        status: n.status,
        rttMs: n.status === 'alive' ? n.rttMs : null,
        cpu: n.cpu,
        mem: n.mem,
        apps: masters.get(n.name) ?? 0,
        addresses: [`127.0.0.1:${7000 + i}`],
        self: i === 0,
        incarnation: 1,
        capacity: 100,
        version: '0.1.0',
        httpPort: 8080 + i,
        dataPort: 7946 + i,
        portOffset: i * 100,
        rssBytes: Math.round(n.mem * 512 * 1024 * 1024)
      }))
    }
  }

  async apps(): Promise<{ apps: ConsoleAppStatus[] }> {
    const t = this.now()
    return {
      apps: this.appList.map((a) => {
        const head = a.snapshots[0] ?? null
        return {
          name: a.name,
          state: a.state,
          epoch: a.epoch,
          master: a.master,
          masterId: this.findNode(a.master)?.id ?? null,
          replicas: a.replicas.map((r) => {
            const held = a.snapshots.find((s) => s.holders.includes(r)) ?? null
            return { node: r, nodeId: this.findNode(r)?.id ?? '', snapshot: held?.id ?? null, lagMs: held && head ? Math.max(0, head.time - held.time) + (t % 700) : null, via: null, transfer: null }
          }),
          snapshot: head?.id ?? null,
          snapshotAt: head?.time ?? null,
          pinned: a.pinned,
          rps: a.rps,
          load: { rps: a.rps, bytesPerSec: Math.round(a.rps * 900), connections: Math.ceil(a.rps / 10), p50Ms: 2, p99Ms: 9 },
          troubles: []
        }
      })
    }
  }

  subscribe(onEvent: (e: ClusterEvent) => void): () => void {
    this.listeners.add(onEvent)
    return () => { this.listeners.delete(onEvent) }
  }

  async snapshots(app: string): Promise<SnapshotInfo[]> {
    return this.app(app).snapshots.map((s) => ({ ...s, holders: [...s.holders] }))
  }

  async logs(app: string, lines: number): Promise<string[]> {
    const a = this.app(app)
    return lines > 0 ? a.logs.slice(-lines) : []
  }

  async * move(app: string, node: string): AsyncIterable<OperationEvent> {
    const a = this.app(app)
    const target = this.node(node)
    if (a.master === target.name) throw new ShoalError('BAD_ARGUMENT', `${app} already runs on ${node}`)
    yield * this.migrate(a, target, 'move')
  }

  async * promote(app: string, node: string): AsyncIterable<OperationEvent> {
    const a = this.app(app)
    const target = this.node(node)
    if (!a.replicas.includes(target.name)) throw new ShoalError('NOT_A_REPLICA', `${node} holds no replica of ${app}`)
    yield * this.migrate(a, target, 'promote')
  }

  async * pin(app: string, node: string): AsyncIterable<OperationEvent> {
    const a = this.app(app)
    const target = this.node(node)
    a.pinned = target.name
    yield { tag: 'pinned', data: { app, node: target.name } }
    this.emit({ kind: 'app', app, message: `${app} pinned to ${target.name}` })
    if (a.master !== target.name) yield * this.migrate(a, target, 'move')
    else yield { tag: 'result', data: { ok: true, app, from: target.name, to: target.name, epoch: a.epoch, pauseMs: 0, finalDeltaBytes: 0 } }
  }

  async unpin(app: string): Promise<void> {
    const a = this.app(app)
    this.throwFailure()
    a.pinned = null
    this.emit({ kind: 'app', app, message: `${app} unpinned` })
  }

  async * drill(app: string, mode: DrillMode): AsyncIterable<OperationEvent> {
    const a = this.app(app)
    this.busy(a)
    const old = a.master
    const next = a.replicas.find((r) => this.findNode(r)?.status === 'alive')
    if (!next) throw new ShoalError('NO_MASTER', `${app} has no live replica to fail over to`)
    a.state = 'failing-over'
    try {
      this.emit({ kind: 'drill', app, message: `${mode} drill of ${app} started on ${this.nodes[0]!.name} (master ${old})` })
      const targets = this.nodes.filter((n) => n.name !== old && n.status === 'alive').map((n) => n.name)
      yield { tag: 'probe', data: { targets, path: '/records', host: `${app}.local` } }
      const durationMs = 10_000
      yield { tag: 'stop', data: mode === 'graceful' ? { mode, node: old, at: this.now(), action: `planned promote to ${next}` } : { mode, node: old, at: this.now(), durationMs } }
      await this.step()
      const detectionMs = mode === 'graceful' ? null : 1200 + Math.round(this.random() * 1500)
      // As on a real node, this node sees the death a little after the node that takes over.
      if (detectionMs !== null) yield { tag: 'detect', data: { node: old, afterMs: detectionMs + 12 } }
      await this.step()
      this.throwFailure()
      this.switchMaster(a, this.node(next))
      this.emit({ kind: 'failover', app, node: this.node(next).id, nodeName: next, message: `${app}: master ${old} is dead; ${next} takes over (epoch ${a.epoch})` })
      const promotedMs = (detectionMs ?? 0) + 200
      yield { tag: 'promote', data: { node: next, epoch: a.epoch, afterMs: promotedMs } }
      await this.step()
      yield { tag: 'restore', data: { node: old, stash: null, afterMs: durationMs + 2000 } }
      await this.step()
      const recoveryMs = promotedMs + 300 + Math.round(this.random() * 400)
      const writes = { attempted: 120, acknowledged: 116, failed: 4, lost: 0, stashedOnly: 0, failures: { [`503 via ${targets[0] ?? next}`]: 4 } }
      yield { tag: 'done', data: { detectionMs, recoveryMs, ...writes, stash: null, master: next, epoch: a.epoch } }
      this.emit({ kind: 'drill', app, message: `${mode} drill of ${app} ended: ok` })
      const placement = { epoch: a.epoch, master: a.master, replicas: [...a.replicas] }
      yield { tag: 'result', data: { ok: true, app, mode, from: old, to: next, detectionMs, recoveryMs, writes, stash: null, stashes: [], placement } }
    } finally {
      a.state = 'running'
    }
  }

  private async * migrate(a: FakeApp, target: FakeNode, verb: 'move' | 'promote'): AsyncIterable<OperationEvent> {
    this.busy(a)
    if (target.status !== 'alive') throw new ShoalError('UNKNOWN_NODE', `${target.name} is ${target.status}`)
    const from = a.master
    a.state = 'moving'
    try {
      this.emit({ kind: 'move', app: a.name, message: `${verb} ${a.name}: ${from} → ${target.name} started` })
      yield { tag: 'start', data: { app: a.name, from, to: target.name } }
      if (!a.replicas.includes(target.name)) {
        yield { tag: 'replica', data: { node: target.name } }
        await this.step()
      }
      let total = 4_000_000
      for (let round = 1; round <= 3; round++) {
        const bytes = Math.round(total)
        yield { tag: 'precopy', data: { round, bytes, sent: round, total: 3 } }
        await this.step()
        total /= 8
      }
      yield { tag: 'stage', data: { node: target.name, snapshot: a.snapshots[0]?.id ?? '' } }
      this.throwFailure()
      const pauseStart = this.now()
      yield { tag: 'pause', data: { inFlight: Math.round(a.rps / 10) } }
      await this.step()
      yield { tag: 'final', data: { snapshot: a.snapshots[0]?.id ?? '', bytes: Math.round(total) } }
      await this.step()
      yield { tag: 'start-target', data: { node: target.name } }
      await this.step()
      yield { tag: 'health', data: { node: target.name, ok: true } }
      this.switchMaster(a, target)
      const pauseMs = this.stepMs > 0 ? Math.max(1, this.now() - pauseStart) : 40
      this.emit({ kind: 'move', app: a.name, node: target.id, nodeName: target.name, message: `${a.name} moved ${from} → ${target.name} (pause ${pauseMs} ms)` })
      yield { tag: 'done', data: { epoch: a.epoch, pauseMs, finalDeltaBytes: Math.round(total) } }
      yield { tag: 'result', data: { ok: true, app: a.name, from, to: target.name, epoch: a.epoch, pauseMs, finalDeltaBytes: Math.round(total) } }
    } catch (err) {
      this.emit({ kind: 'error', app: a.name, message: `${verb} of ${a.name} to ${target.name} failed: ${(err as Error).message}` })
      throw err
    } finally {
      a.state = 'running'
    }
  }

  private switchMaster(a: FakeApp, target: FakeNode): void {
    const old = a.master
    a.replicas = [old, ...a.replicas.filter((r) => r !== target.name && r !== old)].slice(0, Math.max(1, a.replicas.length))
    a.master = target.name
    a.epoch++
    this.takeSnapshot(a, this.now())
    this.log(a, `started on ${target.name} (epoch ${a.epoch})`, this.now())
  }

  private takeSnapshot(a: FakeApp, time: number): void {
    a.seq++
    const snap: SnapshotInfo = {
      id: `${a.name.slice(0, 3)}${a.seq.toString(16).padStart(5, '0')}${hexId(a.seq * 7 + a.name.length).slice(0, 6)}`,
      time,
      epoch: a.epoch,
      seq: a.seq,
      holders: [a.master, ...a.replicas.filter((_, i) => i === 0 || this.random() > 0.3)],
      bytes: Math.round(1_000_000 + this.random() * 50_000_000)
    }
    a.snapshots.unshift(snap)
    if (a.snapshots.length > SNAPSHOTS_KEPT) a.snapshots.length = SNAPSHOTS_KEPT
  }

  private log(a: FakeApp, line: string, time: number): void {
    a.logs.push(`${new Date(time).toISOString().slice(11, 19)} ${line}`)
    if (a.logs.length > LOG_LINES_KEPT) a.logs.splice(0, a.logs.length - LOG_LINES_KEPT)
  }

  /** One step of the random walk: CPU, memory, RTT and request rates drift within bounds. */
  private wander(): void {
    for (const n of this.nodes) {
      n.cpu = clamp(n.cpu + (this.random() - 0.5) * 0.1, 0.02, 0.98)
      n.mem = clamp(n.mem + (this.random() - 0.5) * 0.02, 0.05, 0.95)
      if (n.rttMs > 0) n.rttMs = Math.round(clamp(n.rttMs + (this.random() - 0.5) * 2, 0.3, 80) * 10) / 10
    }
    for (const a of this.appList) a.rps = Math.round(clamp(a.rps + (this.random() - 0.5) * 4, 0, 500) * 10) / 10
  }

  private busy(a: FakeApp): void {
    if (a.state !== 'running') throw new ShoalError('APP_BUSY', `${a.name} is ${a.state}; wait for it to finish`)
  }

  private throwFailure(): void {
    const f = this.failure
    if (f) {
      this.failure = null
      throw f
    }
  }

  private step(): Promise<void> {
    if (this.stepMs <= 0 || this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.timers.delete(t); resolve() }, this.stepMs)
      this.timers.add(t)
    })
  }

  private emit(e: Omit<ClusterEvent, 'at'>): void {
    const event: ClusterEvent = { at: this.now(), ...e }
    for (const l of [...this.listeners]) l(event)
  }

  private app(name: string): FakeApp {
    const a = this.appList.find((x) => x.name === name)
    if (!a) throw new ShoalError('UNKNOWN_APP', `no app named ${name}`)
    return a
  }

  private findNode(name: string): FakeNode | undefined {
    if (this.byName.size !== this.nodes.length * 2) {
      for (const n of this.nodes) this.byName.set(n.name, n).set(n.id, n)
    }
    return this.byName.get(name)
  }

  private node(name: string): FakeNode {
    const n = this.findNode(name)
    if (!n) throw new ShoalError('UNKNOWN_NODE', `no node named ${name}`)
    return n
  }
}
