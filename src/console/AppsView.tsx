/** Apps: name, state, master, replicas with their lag, epoch, requests/s, pinned node, snapshot age. */
import type { Column } from './columns.js'
import { age, lag, transferDone } from './format.js'
import type { ConsoleAppStatus } from './source.js'
import { Table } from './Table.js'
import { APP_STATE_TONE } from './tones.js'

export interface AppsViewProps {
  apps: readonly ConsoleAppStatus[]
  cursor: number
  width: number
  height: number
  now: number
  showCursor?: boolean
}

export function appColumns(now: number): Column<ConsoleAppStatus>[] {
  return [
    { key: 'name', title: 'APP', width: 14, min: 10, priority: 0, cell: (a) => ({ text: a.name }) },
    { key: 'state', title: 'STATE', width: 12, min: 7, priority: 0, cell: (a) => ({ text: a.state, tone: APP_STATE_TONE[a.state] }) },
    { key: 'master', title: 'MASTER', width: 10, min: 8, priority: 1, cell: (a) => ({ text: a.master ?? 'none', tone: a.master ? null : 'red' }) },
    { key: 'replicas', title: 'REPLICAS:LAG', width: 20, min: 12, grow: true, priority: 2, cell: (a) => ({ text: a.replicas.map((r) => `${r.node}:${r.transfer ? `${Math.floor(100 * transferDone(r.transfer))}%` : lag(r.lagMs)}`).join(' ') || 'none' }) },
    { key: 'epoch', title: 'EPOCH', width: 5, priority: 5, align: 'right', cell: (a) => ({ text: String(a.epoch) }) },
    { key: 'rps', title: 'REQ/S', width: 6, priority: 3, align: 'right', cell: (a) => ({ text: a.rps.toFixed(1) }) },
    { key: 'pinned', title: 'PINNED', width: 8, min: 7, priority: 6, cell: (a) => ({ text: a.pinned ?? '-' }) },
    { key: 'snap', title: 'SNAP', width: 4, priority: 4, align: 'right', cell: (a) => ({ text: a.snapshotAt ? age(now - a.snapshotAt) : '-' }) }
  ]
}

export function AppsView({ apps, cursor, width, height, now, showCursor }: AppsViewProps) {
  return <Table columns={appColumns(now)} rows={apps} cursor={cursor} width={width} height={height} empty="No apps match." showCursor={showCursor ?? true} />
}
