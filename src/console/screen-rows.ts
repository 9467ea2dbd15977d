/** What the screen lists for the current state and data, computed once per render. Pure. */
import type { ClusterEvent, NodeStatus } from '../control/types.js'
import type { ConsoleState } from './console-reducer.js'
import type { ConsoleAppStatus } from './source.js'
import { visibleApps, visibleEvents, visibleNodes } from './cluster-rows.js'

export interface ScreenRows {
  nodes: NodeStatus[]
  apps: ConsoleAppStatus[]
  events: ClusterEvent[]
  /** Rows of the current view; the lists of the other views are left empty. */
  count: number
  selectedNode: NodeStatus | null
  selectedApp: ConsoleAppStatus | null
}

export interface ClusterView {
  nodes: readonly NodeStatus[]
  apps: readonly ConsoleAppStatus[]
  events: readonly ClusterEvent[]
}

export function screenRows(state: ConsoleState, data: ClusterView): ScreenRows {
  // Only the list on screen is filtered and sorted: with a thousand apps that is most of the work.
  const nodes = state.view === 'nodes' ? visibleNodes(data.nodes, state.filter, state.nodeSort) : []
  const apps = state.view === 'apps' ? visibleApps(data.apps, state.filter, state.appSort) : []
  const events = state.view === 'events' ? visibleEvents(data.events, state.filter) : []
  const count = state.view === 'nodes' ? nodes.length : state.view === 'apps' ? apps.length : events.length
  const pick = <T,>(list: T[], i: number): T | null => (list.length ? list[Math.min(i, list.length - 1)]! : null)
  let selectedApp = state.view === 'apps' ? pick(apps, state.cursor.apps) : null
  let selectedNode = state.view === 'nodes' ? pick(nodes, state.cursor.nodes) : null
  if (state.details?.kind === 'app') {
    const name = state.details.name
    selectedApp = data.apps.find((a) => a.name === name) ?? null
  }
  if (state.details?.kind === 'node') {
    const name = state.details.name
    selectedNode = data.nodes.find((n) => n.name === name) ?? null
  }
  return { nodes, apps, events, count, selectedNode, selectedApp }
}
