import { readdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ShoalError } from '../core/errors.js'
import type { Handlers } from '../control/methods.js'
import type { ClusterEvent, NodeStatus, StatusResult } from '../control/types.js'
import type { MemberView } from '../mesh/mesh.js'
import { logRequest } from './app-logs.js'
import type { AppHandlers } from './app-handlers.js'
import type { EventLog } from './event-log.js'
import type { LocalApps } from './local-apps.js'
import type { StashCatalog } from './stash-catalog.js'
import type { DrillOptions } from './drill.js'
import type { DrillReport } from '../control/drill-types.js'
import type { OperationEvent } from '../control/types.js'

export interface NodeView {
  selfId: string
  members(): MemberView[]
  events: EventLog
  apps: AppHandlers
  local: LocalApps
  stashes: StashCatalog
  drill(app: string, opts: DrillOptions, emit: (e: OperationEvent) => void): Promise<DrillReport>
}

export function nodeStatus(m: MemberView, masters: number): NodeStatus {
  const r = m.record
  return {
    id: r.id,
    name: r.name,
    zone: r.zone,
    status: m.status,
    rttMs: m.rttMs === null ? null : Math.round(m.rttMs * 100) / 100,
    cpu: r.load.cpu,
    mem: r.load.mem,
    apps: masters,
    addresses: r.addresses,
    self: m.self,
    incarnation: r.incarnation,
    capacity: r.capacity,
    version: r.version,
    httpPort: r.httpPort,
    dataPort: r.dataPort ?? null,
    portOffset: r.portOffset,
    rssBytes: r.load.rss
  }
}

const name = (p: Record<string, unknown>, key = 'app'): string => {
  const v = p[key]
  if (typeof v !== 'string' || v === '') throw new ShoalError('BAD_ARGUMENT', `${key} is required`)
  return v
}

/** The control API of a node, as a method table over the node's parts. */
export function controlHandlers(node: NodeView): Handlers {
  return {
    async ping() {
      return { ok: true, id: node.selfId }
    },
    async status(): Promise<StatusResult> {
      const counts = new Map<string, number>()
      for (const a of node.apps.list().apps) if (a.masterId) counts.set(a.masterId, (counts.get(a.masterId) ?? 0) + 1)
      const nodes = node.members().map((m) => nodeStatus(m, counts.get(m.record.id) ?? 0))
      nodes.sort((a, b) => (a.self !== b.self ? (a.self ? -1 : 1) : a.name.localeCompare(b.name) || a.id.localeCompare(b.id)))
      return { self: node.selfId, nodes, frontLinks: node.local.frontLinks.counts }
    },
    async events(params, emit, signal) {
      const history = Number(params.history ?? 0)
      for (const e of node.events.recent(Number.isFinite(history) ? history : 0)) emit(e)
      await new Promise<void>((done) => {
        const off = node.events.subscribe((e: ClusterEvent) => emit(e))
        signal.addEventListener('abort', () => {
          off()
          done()
        })
      })
    },
    async apps() {
      return node.apps.list()
    },
    async 'app.add'(p) {
      return node.apps.add(p)
    },
    async 'app.rm'(p) {
      node.apps.remove(name(p))
      return { ok: true }
    },
    async 'app.scale'(p) {
      const n = Number(p.replicas)
      if (!Number.isInteger(n)) throw new ShoalError('BAD_ARGUMENT', 'replicas must be a whole number')
      return node.apps.scale(name(p), n)
    },
    async logs(p, emit, signal) {
      const app = name(p)
      node.apps.existing(app)
      await node.local.logs(logRequest(p, app), emit, signal)
    },
    async 'app.move'(p, emit) {
      const app = name(p)
      const target = node.apps.nodeId(name(p, 'node'))
      node.apps.refusePinnedElsewhere(app, target, 'move')
      emit({ tag: 'result', data: await node.local.move(app, target, emit) })
    },
    async 'app.promote'(p, emit) {
      const app = name(p)
      const target = node.apps.nodeId(name(p, 'node'))
      node.apps.refusePinnedElsewhere(app, target, 'promote')
      emit({ tag: 'result', data: await node.local.move(app, target, emit, { requireReplica: true }) })
    },
    async 'app.pin'(p, emit) {
      const app = name(p)
      const target = node.apps.nodeId(name(p, 'node'))
      node.apps.existing(app)
      // Checked before the pin is recorded: a pin to a node that is not there would be kept.
      node.apps.requireAlive(target, `pin ${app} to a live node`)
      node.apps.setPin(app, target)
      emit({ tag: 'pinned', data: { app, node: name(p, 'node') } })
      emit({ tag: 'result', data: await node.local.move(app, target, emit) })
    },
    async 'app.unpin'(p) {
      const app = name(p)
      const wasPinned = node.apps.existing(app).pin !== ''
      node.apps.setPin(app, '')
      return { ok: true, wasPinned }
    },
    async 'stash.list'() {
      return node.stashes.cluster()
    },
    async 'stash.checkout'(p) {
      return node.stashes.checkout(name(p, 'id'), name(p, 'dir'))
    },
    async 'stash.drop'(p) {
      return node.stashes.drop(name(p, 'id'))
    },
    async 'app.drill'(p, emit) {
      const app = name(p)
      const mode = name(p, 'mode') as DrillOptions['mode']
      const durationS = p.durationS === undefined ? undefined : Number(p.durationS)
      if (durationS !== undefined && !Number.isFinite(durationS)) throw new ShoalError('BAD_ARGUMENT', '--duration takes a number of seconds')
      const probePath = p.probePath === undefined ? undefined : String(p.probePath)
      const report = await node.drill(app, { mode, durationMs: durationS === undefined ? undefined : Math.round(durationS * 1000), probePath, wholeNode: p.wholeNode === true }, emit)
      emit({ tag: 'result', data: report })
    },
    async snapshots(p) {
      const app = name(p)
      node.apps.existing(app)
      const vol = await node.local.volume(app)
      const nameOf = (id: string) => node.members().find((m) => m.record.id === id)?.record.name ?? id.slice(0, 8)
      return {
        app,
        node: node.selfId,
        snapshots: vol.store.list().map((s) => ({ ...s, originName: nameOf(s.origin), holderNames: s.holders.map(nameOf) })),
        stashes: vol.store.stashes()
      }
    },
    async 'snapshot.checkout'(p) {
      const app = name(p)
      const prefix = name(p, 'snapshot').toLowerCase()
      const dir = resolve(name(p, 'dir'))
      node.apps.existing(app)
      const vol = await node.local.volume(app)
      const hits = vol.store.list().filter((s) => s.id.startsWith(prefix))
      if (hits.length === 0) throw new ShoalError('NOT_FOUND', `this node holds no snapshot ${prefix} of ${app} (see: shoal snapshots ${app})`)
      if (hits.length > 1) throw new ShoalError('BAD_ARGUMENT', `${prefix} matches ${hits.length} snapshots: give more of the id`)
      const entries = await readdir(dir).catch(() => null)
      if (entries !== null && entries.length > 0) throw new ShoalError('BAD_ARGUMENT', `${dir} is not empty: choose a new or empty folder`)
      await vol.checkoutTo(hits[0]!.id, dir)
      return { app, snapshot: hits[0]!.id, dir }
    }
  }
}
