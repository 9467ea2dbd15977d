import type { Handlers } from '../control/methods.js'
import type { ClusterEvent, NodeStatus, StatusResult } from '../control/types.js'
import type { MemberView } from '../mesh/mesh.js'
import type { EventLog } from './event-log.js'

export interface NodeView {
  selfId: string
  members(): MemberView[]
  events: EventLog
}

export function nodeStatus(m: MemberView): NodeStatus {
  const r = m.record
  return {
    id: r.id,
    name: r.name,
    zone: r.zone,
    status: m.status,
    rttMs: m.rttMs === null ? null : Math.round(m.rttMs * 100) / 100,
    cpu: r.load.cpu,
    mem: r.load.mem,
    apps: Object.keys(r.load.apps).length,
    addresses: r.addresses,
    self: m.self,
    incarnation: r.incarnation,
    capacity: r.capacity,
    version: r.version,
    httpPort: r.httpPort,
    portOffset: r.portOffset,
    rssBytes: r.load.rss
  }
}

/** The control API of a node, as a method table over the node's parts. */
export function controlHandlers(node: NodeView): Handlers {
  return {
    async ping() {
      return { ok: true, id: node.selfId }
    },
    async status(): Promise<StatusResult> {
      const nodes = node.members().map(nodeStatus)
      nodes.sort((a, b) => (a.self !== b.self ? (a.self ? -1 : 1) : a.name.localeCompare(b.name) || a.id.localeCompare(b.id)))
      return { self: node.selfId, nodes }
    },
    async events(params, emit, signal) {
      const history = Number(params.history ?? 0)
      for (const e of node.events.recent(Number.isFinite(history) ? history : 0)) emit(e)
      await new Promise<void>((resolve) => {
        const off = node.events.subscribe((e: ClusterEvent) => emit(e))
        signal.addEventListener('abort', () => {
          off()
          resolve()
        })
      })
    }
  }
}
