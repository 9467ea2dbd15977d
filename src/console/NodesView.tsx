/** Nodes: name, zone, status, RTT, CPU and memory bars, a sparkline of recent load, apps. */
import type { NodeStatus } from '../control/types.js'
import { barText } from './bar-text.js'
import type { Column } from './columns.js'
import { percent, rtt } from './format.js'
import { HISTORY_LENGTH, type LoadHistory } from './load-history.js'
import { sparklineText } from './sparkline-text.js'
import { Table } from './Table.js'
import { loadTone, MEMBER_TONE } from './tones.js'

export interface NodesViewProps {
  nodes: readonly NodeStatus[]
  history: LoadHistory
  cursor: number
  width: number
  height: number
  showCursor?: boolean
}

function loadBar(fraction: number, width: number) {
  const pct = percent(fraction).padStart(4)
  return { text: width >= 8 ? `${barText(fraction, width - 5)} ${pct}` : pct, tone: loadTone(fraction) }
}

/**
 * NODE and ZONE are as wide as their longest value (within bounds), so short names and zones are
 * shown whole and do not take room they do not use; spare width goes to the bars and the sparkline.
 * A zone cut to "rac…" tells nothing, so ZONE never shrinks: when there is no room it is dropped.
 */
export function nodeColumns(history: LoadHistory): Column<NodeStatus>[] {
  return [
    { key: 'name', title: 'NODE', width: 12, min: 8, max: 32, content: true, priority: 0, cell: (n) => ({ text: n.self ? `${n.name}*` : n.name }) },
    { key: 'zone', title: 'ZONE', width: 6, max: 16, content: true, priority: 4, cell: (n) => ({ text: n.zone }) },
    { key: 'status', title: 'STATUS', width: 7, priority: 0, cell: (n) => ({ text: n.status, tone: MEMBER_TONE[n.status] }) },
    { key: 'rtt', title: 'RTT', width: 6, priority: 5, align: 'right', cell: (n) => ({ text: rtt(n.rttMs) }) },
    { key: 'cpu', title: 'CPU', width: 14, min: 9, max: 24, grow: true, priority: 1, cell: (n, w) => loadBar(n.cpu, w) },
    { key: 'mem', title: 'MEM', width: 14, min: 9, max: 24, grow: true, priority: 2, cell: (n, w) => loadBar(n.mem, w) },
    { key: 'load', title: 'LOAD', width: 12, min: 6, max: HISTORY_LENGTH, grow: true, priority: 6, cell: (n, w) => ({ text: sparklineText((history.get(n.id) ?? []).map((s) => s.cpu), w) }) },
    { key: 'apps', title: 'APPS', width: 4, priority: 3, align: 'right', cell: (n) => ({ text: String(n.apps) }) }
  ]
}

export function NodesView({ nodes, history, cursor, width, height, showCursor }: NodesViewProps) {
  return <Table columns={nodeColumns(history)} rows={nodes} cursor={cursor} width={width} height={height} empty="No nodes match." showCursor={showCursor ?? true} />
}
