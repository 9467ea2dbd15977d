/** Events, newest first: joins, leaves, deaths, moves, failovers, drills, errors. */
import type { ClusterEvent } from '../control/types.js'
import type { Column } from './columns.js'
import { clock } from './format.js'
import { Table } from './Table.js'
import { EVENT_TONE } from './tones.js'

export interface EventsViewProps {
  events: readonly ClusterEvent[]
  cursor: number
  width: number
  height: number
  showCursor?: boolean
}

const COLUMNS: Column<ClusterEvent>[] = [
  { key: 'time', title: 'TIME', width: 8, priority: 1, cell: (e) => ({ text: clock(e.at) }) },
  { key: 'kind', title: 'KIND', width: 8, priority: 0, cell: (e) => ({ text: e.kind, tone: EVENT_TONE[e.kind] }) },
  { key: 'message', title: 'WHAT HAPPENED', width: 30, min: 20, grow: true, priority: 0, cell: (e) => ({ text: e.message }) }
]

export function EventsView({ events, cursor, width, height, showCursor }: EventsViewProps) {
  return <Table columns={COLUMNS} rows={events} cursor={cursor} width={width} height={height} empty="No events yet: they appear here as nodes join, fail and apps move." showCursor={showCursor ?? true} />
}
