import { access, mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { AppSpec } from '../core/app-types.js'
import { checkSpec, type NodePorts } from '../core/app-spec-check.js'
import { requireAlive } from './move-check.js'
import { ShoalError } from '../core/errors.js'
import { observeHlc, tickHlc, type Hlc } from '../core/hlc.js'
import { placeApp } from '../core/placement.js'
import type { NodeId } from '../core/types.js'
import type { AppStatus, AppsResult, ReplicaStatus, TransferStatus } from '../control/types.js'
import type { Mesh } from '../mesh/mesh.js'
import { Snapshotter } from '../volume/snapshotter.js'
import type { ReplicationProgress } from '../volume/transfer-progress.js'
import type { LocalApps } from './local-apps.js'

export interface AppHandlersContext {
  self: NodeId
  mesh: Mesh
  apps: LocalApps
}

const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new ShoalError('BAD_ARGUMENT', `${what} must be a string`)
  return v
}
const optStr = (v: unknown, what: string): string => (v === undefined || v === null ? '' : str(v, what))
const int = (v: unknown, what: string, fallback: number): number => {
  if (v === undefined || v === null) return fallback
  const n = typeof v === 'string' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new ShoalError('BAD_ARGUMENT', `${what} must be a whole number`)
  return n
}

/** The app-related control methods: add, remove, scale, list, logs, snapshots. */
export class AppHandlers {
  private hlc: Hlc = { wall: 0, logical: 0 }

  constructor(private readonly ctx: AppHandlersContext) {}

  /** Resolves a node given by name or (a prefix of its) id. */
  nodeId(nameOrId: string): NodeId {
    const members = this.ctx.mesh.members()
    const hit =
      members.find((m) => m.record.name === nameOrId) ??
      (nameOrId.length >= 6 ? members.find((m) => m.record.id.startsWith(nameOrId.toLowerCase())) : undefined)
    if (hit === undefined) throw new ShoalError('UNKNOWN_NODE', `no node called ${nameOrId} in this cluster`)
    return hit.record.id
  }

  private nameOf(id: NodeId): string {
    return this.ctx.mesh.gossip.table.get(id)?.record?.name ?? id.slice(0, 8)
  }

  private writeSpec(spec: Omit<AppSpec, 'hlc' | 'writer'>): AppSpec {
    // After every write seen (so this one outranks them), even with a clock a little behind.
    for (const s of this.ctx.mesh.gossip.apps.specs.values()) this.hlc = observeHlc(this.hlc, s.hlc)
    this.hlc = tickHlc(this.hlc, Date.now())
    const full: AppSpec = { ...spec, hlc: this.hlc, writer: this.ctx.self }
    this.ctx.mesh.gossip.applySpec(full, null)
    return full
  }

  /** Throws UNKNOWN_NODE, ending with `advice`, unless `id` is a live member. */
  requireAlive(id: NodeId, advice: string): void {
    requireAlive(this.ctx.mesh, id, advice)
  }

  /**
   * A zone no node has is most likely a typo, and a pin to a node of another zone contradicts it:
   * both refused, naming what there is.
   */
  private checkZone(zone: string, pin: NodeId | ''): void {
    if (zone === '') return
    const zones = new Set<string>()
    for (const m of this.ctx.mesh.gossip.table.members.values()) if (m.record !== null && m.record.zone !== '') zones.add(m.record.zone)
    if (!zones.has(zone)) {
      const known = zones.size === 0 ? 'no node has a zone (shoal up --zone Z)' : `zones: ${[...zones].sort().join(', ')}`
      throw new ShoalError('BAD_SPEC', `no node is in zone ${zone} (${known})`)
    }
    const pinZone = pin === '' ? zone : (this.ctx.mesh.gossip.table.get(pin)?.record?.zone ?? '')
    if (pinZone !== zone) throw new ShoalError('BAD_SPEC', `--pin ${this.nameOf(pin)} is in zone ${pinZone || '(none)'}, not ${zone}: give one of --pin and --zone`)
  }

  /**
   * An operator's move or promote must not take a pinned app away from its pin (it would only be
   * moved back): they unpin it, or pin it to the target, instead.
   */
  refusePinnedElsewhere(app: string, target: NodeId, verb: 'move' | 'promote'): void {
    const spec = this.existing(app)
    if (spec.pin === '' || spec.pin === target) return
    const pin = this.nameOf(spec.pin)
    const to = this.nameOf(target)
    throw new ShoalError('APP_PINNED', `${app} is pinned to ${pin}: to ${verb} it to ${to}, pin it there (shoal pin ${app} ${to}), or unpin it first (shoal unpin ${app})`)
  }

  /** The ports of every node known, down or not (it comes back with them; TCP fronts must not land on them). */
  private knownNodePorts(): NodePorts[] {
    const out: NodePorts[] = []
    for (const m of this.ctx.mesh.gossip.table.members.values()) if (m.record !== null) out.push(m.record)
    return out
  }

  existing(name: string): AppSpec {
    const spec = this.ctx.mesh.gossip.apps.specs.get(name)
    if (spec === undefined || spec.deleted) throw new ShoalError('UNKNOWN_APP', `no app called ${name}`)
    return spec
  }

  async add(p: Record<string, unknown>): Promise<AppStatus> {
    const env: Record<string, string> = {}
    if (p.env !== undefined) {
      if (typeof p.env !== 'object' || p.env === null) throw new ShoalError('BAD_ARGUMENT', 'env must be an object')
      for (const [k, v] of Object.entries(p.env)) env[k] = str(v, `env ${k}`)
    }
    const hosts = Array.isArray(p.httpHosts) ? p.httpHosts.map((h) => str(h, 'http host').toLowerCase()) : []
    const draft = {
      name: str(p.name, 'name'),
      cmd: str(p.cmd, 'cmd'),
      env,
      httpHosts: hosts,
      tcpPort: int(p.tcpPort, 'tcpPort', 0),
      replicas: int(p.replicas, 'replicas', 2),
      zone: optStr(p.zone, 'zone'),
      pin: optStr(p.pin, 'pin') === '' ? '' : this.nodeId(str(p.pin, 'pin')),
      health: optStr(p.health, 'health'),
      partitionPolicy: (optStr(p.partitionPolicy, 'partitionPolicy') || '') as AppSpec['partitionPolicy'],
      createdAt: Date.now(),
      seed: '',
      deleted: false
    }
    if (!['', 'available', 'majority'].includes(draft.partitionPolicy)) throw new ShoalError('BAD_SPEC', 'partition policy is available or majority')
    checkSpec(draft, [...this.ctx.mesh.gossip.apps.specs.values()], { isNew: true, nodes: this.knownNodePorts() })
    this.checkZone(draft.zone, draft.pin)
    const where = placeApp(draft, this.ctx.apps.candidates())
    if (p.data !== undefined && p.data !== null) draft.seed = await this.seed(draft.name, str(p.data, 'data'))
    this.writeSpec(draft)
    this.ctx.mesh.gossip.applyPlacement({ app: draft.name, epoch: 1, rev: 0, master: where.master, replicas: where.replicas, state: 'pending', snapSeq: 0 }, null)
    this.ctx.apps.schedule()
    return this.status(draft.name)
  }

  /** Snapshots a local folder into the app's store, to be sent to its first master. */
  private async seed(app: string, dir: string): Promise<string> {
    const root = resolve(dir)
    await access(root).catch(() => {
      throw new ShoalError('BAD_ARGUMENT', `--data ${dir}: no such folder on this node`)
    })
    const vol = await this.ctx.apps.volume(app)
    await mkdir(vol.dir, { recursive: true })
    const snapper = new Snapshotter({ root, chunks: vol.chunks, snapshots: vol.store, origin: this.ctx.self, statCachePath: `${vol.dir}/seed-stat-cache.json` })
    const r = await snapper.snapshot({ epoch: 1, parent: null, force: true })
    this.ctx.apps.publishHead(app)
    return r.snapnode.id
  }

  remove(name: string): void {
    const spec = this.existing(name)
    this.writeSpec({ ...spec, deleted: true })
    this.ctx.apps.schedule()
  }

  scale(name: string, replicas: number): AppStatus {
    const spec = this.existing(name)
    const next = { ...spec, replicas }
    checkSpec(next, [...this.ctx.mesh.gossip.apps.specs.values()], { isNew: false })
    const alive = this.ctx.apps.candidates().length
    if (replicas > alive) throw new ShoalError('BAD_SPEC', `${name} cannot have ${replicas} copies: only ${alive} nodes are alive`)
    this.writeSpec(next)
    this.ctx.apps.schedule()
    return this.status(name)
  }

  /** Pins `name` to a node (moving it there first when needed); '' unpins. */
  setPin(name: string, node: NodeId | ''): AppSpec {
    const spec = this.existing(name)
    return this.writeSpec({ ...spec, pin: node })
  }

  list(): AppsResult {
    return { apps: this.ctx.mesh.gossip.apps.liveSpecs().map((s) => this.status(s.name)) }
  }

  status(name: string): AppStatus {
    const { table, apps } = this.ctx.mesh.gossip
    const spec = this.existing(name)
    const pl = apps.placements.get(name)
    const masterRec = pl ? table.get(pl.master)?.record : null
    const masterHead = masterRec?.heads[name] ?? null
    const hub = this.ctx.apps.hub
    const sending = pl?.master === this.ctx.self ? hub.outgoing(name) : []
    const receiving = hub.incoming.get(name) ?? null
    const replicas: ReplicaStatus[] = (pl?.replicas ?? []).map((id) => {
      const head = table.get(id)?.record?.heads[name] ?? null
      let lagMs: number | null = null
      if (head !== null && masterHead !== null) lagMs = head.id === masterHead.id ? 0 : Math.max(0, masterHead.time - head.time)
      const out = sending.find((o) => o.peer === id)
      const progress = out?.progress ?? (id === this.ctx.self ? receiving : null)
      return { node: this.nameOf(id), nodeId: id, snapshot: head?.id ?? null, lagMs, via: out?.via ?? null, transfer: transferStatus(progress) }
    })
    return {
      name,
      state: pl?.state ?? 'pending',
      epoch: pl?.epoch ?? 0,
      master: pl && pl.master ? this.nameOf(pl.master) : null,
      masterId: pl?.master || null,
      replicas,
      snapshot: masterHead?.id ?? null,
      snapshotAt: masterHead?.time ?? null,
      pinned: spec.pin === '' ? null : this.nameOf(spec.pin),
      rps: Math.round((masterRec?.load.apps[name]?.rps ?? 0) * 10) / 10,
      load: appLoad(masterRec?.load.apps[name]),
      troubles: this.troubles(name)
    }
  }

  /** The troubles live nodes publish for `name` (the master's first). */
  private troubles(name: string): AppStatus['troubles'] {
    const { table, apps } = this.ctx.mesh.gossip
    const master = apps.placements.get(name)?.master
    const out: AppStatus['troubles'] = []
    for (const [id, m] of table.members) {
      const text = m.record?.troubles?.[name]
      if (text === undefined || table.status(id) !== 'alive') continue
      out.push({ node: m.record!.name, nodeId: id, text })
    }
    return out.sort((a, b) => Number(b.nodeId === master) - Number(a.nodeId === master) || a.node.localeCompare(b.node))
  }
}

const r1 = (n: number) => Math.round(n * 10) / 10

function appLoad(l: { rps: number; bytesPerSec: number; connections: number; p50Ms: number; p99Ms: number } | undefined): AppStatus['load'] {
  return { rps: r1(l?.rps ?? 0), bytesPerSec: Math.round(l?.bytesPerSec ?? 0), connections: l?.connections ?? 0, p50Ms: r1(l?.p50Ms ?? 0), p99Ms: r1(l?.p99Ms ?? 0) }
}

/** A transfer's progress as the CLI and console show it; null when none is running. */
function transferStatus(p: ReplicationProgress | null): TransferStatus | null {
  if (p === null || p.phase === 'done') return null
  return { snapshot: p.id, phase: p.phase, bytes: p.bytes, totalBytes: p.totalBytes, chunks: p.chunks, totalChunks: p.totalChunks, rate: Math.round(p.rate), etaMs: p.etaMs }
}
