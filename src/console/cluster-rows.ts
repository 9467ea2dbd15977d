/** What each view lists: filtering, sorting and the targets an action may pick. Pure. */
import type { AppStatus, ClusterEvent, NodeStatus } from '../control/types.js'
import type { ActionKind, AppSort, ConsoleState, NodeSort } from './console-reducer.js'

export function visibleNodes(nodes: readonly NodeStatus[], filter: string, sort: NodeSort): NodeStatus[] {
  const f = filter.toLowerCase()
  const shown = f ? nodes.filter((n) => n.name.toLowerCase().includes(f) || n.zone.toLowerCase().includes(f) || n.status.includes(f)) : [...nodes]
  return shown.sort(NODE_ORDER[sort])
}

export function visibleApps<A extends AppStatus>(apps: readonly A[], filter: string, sort: AppSort): A[] {
  const f = filter.toLowerCase()
  const shown = f ? apps.filter((a) => a.name.toLowerCase().includes(f) || (a.master ?? '').toLowerCase().includes(f) || a.state.includes(f)) : [...apps]
  return shown.sort(APP_ORDER[sort])
}

/** Events newest first. */
export function visibleEvents(events: readonly ClusterEvent[], filter: string): ClusterEvent[] {
  const f = filter.toLowerCase()
  const shown = f ? events.filter((e) => e.message.toLowerCase().includes(f) || e.kind.includes(f) || (e.app ?? '').includes(f)) : events
  return [...shown].reverse()
}

export function rowCount(state: ConsoleState, data: { nodes: readonly NodeStatus[]; apps: readonly AppStatus[]; events: readonly ClusterEvent[] }): number {
  if (state.view === 'nodes') return visibleNodes(data.nodes, state.filter, state.nodeSort).length
  if (state.view === 'apps') return visibleApps(data.apps, state.filter, state.appSort).length
  return visibleEvents(data.events, state.filter).length
}

export const DRILL_MODES = ['crash', 'partition', 'graceful'] as const

/** The choices an action offers for an app: node names (or drill modes), the likeliest first. */
export function targetsFor(action: ActionKind, app: AppStatus, nodes: readonly NodeStatus[]): string[] {
  const alive = nodes.filter((n) => n.status === 'alive').map((n) => n.name)
  const replicas = app.replicas.map((r) => r.node)
  switch (action) {
    case 'move':
      return [...alive.filter((n) => replicas.includes(n)), ...alive.filter((n) => !replicas.includes(n) && n !== app.master)]
    case 'promote':
      return alive.filter((n) => replicas.includes(n))
    case 'pin':
      return [...alive.filter((n) => n === app.master), ...alive.filter((n) => n !== app.master)]
    case 'drill':
      return [...DRILL_MODES]
    case 'unpin':
      return []
  }
}

/** Plain code-unit order: localeCompare costs more than the rest of a 1000-row sort together. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const byName = (a: { name: string }, b: { name: string }) => cmp(a.name, b.name)
const NODE_ORDER: Record<NodeSort, (a: NodeStatus, b: NodeStatus) => number> = {
  name: byName,
  zone: (a, b) => cmp(a.zone, b.zone) || byName(a, b),
  cpu: (a, b) => b.cpu - a.cpu || byName(a, b),
  mem: (a, b) => b.mem - a.mem || byName(a, b),
  apps: (a, b) => b.apps - a.apps || byName(a, b)
}
const APP_ORDER: Record<AppSort, (a: AppStatus, b: AppStatus) => number> = {
  name: byName,
  state: (a, b) => cmp(a.state, b.state) || byName(a, b),
  master: (a, b) => cmp(a.master ?? '', b.master ?? '') || byName(a, b),
  rps: (a, b) => b.rps - a.rps || byName(a, b),
  epoch: (a, b) => b.epoch - a.epoch || byName(a, b)
}
