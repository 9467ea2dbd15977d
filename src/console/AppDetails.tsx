/**
 * One app in depth: its placement, replication progress per replica, its snapshots and which
 * nodes hold them, and the tail of its logs. Sections shrink to fit the height given.
 */
import { Box, Text } from 'ink'
import { Bar } from './Bar.js'
import { age, bytes, fit, lag } from './format.js'
import { usePaint } from './paint-context.js'
import type { ConsoleAppStatus, SnapshotInfo } from './source.js'
import { APP_STATE_TONE } from './tones.js'
import type { AppDetailData } from './use-app-details.js'

export interface AppDetailsProps {
  app: ConsoleAppStatus
  detail: AppDetailData | null
  width: number
  height: number
  now: number
}

/** How far a replica has caught up: 1 when it holds the newest snapshot, less per snapshot behind. */
export function replicaProgress(held: string | null, snapshots: readonly SnapshotInfo[]): number {
  if (!held) return 0
  const at = snapshots.findIndex((s) => s.id === held)
  if (at < 0) return snapshots.length ? 0.05 : 0
  return 1 - at / snapshots.length
}

export function AppDetails({ app, detail, width, height, now }: AppDetailsProps) {
  const paint = usePaint()
  const snapshots = detail?.snapshots ?? []
  const barWidth = Math.max(6, Math.min(20, width - 40))
  const replicaRows = app.replicas.length
  const fixed = 2 + 1 + Math.max(1, replicaRows) + 2
  const room = Math.max(0, height - fixed)
  const snapRows = Math.min(snapshots.length, Math.max(1, Math.floor(room / 2)))
  const logRows = Math.max(0, room - snapRows - 2)
  const logs = logRows > 0 ? (detail?.logs ?? []).slice(-logRows) : []
  return (
    <Box flexDirection="column" height={height} overflowY="hidden">
      <Text wrap="truncate-end">
        {paint(app.name, 'bold')} · {paint(app.state, APP_STATE_TONE[app.state])} · epoch {app.epoch} · master {app.master ?? paint('none', 'red')} · {app.rps.toFixed(1)} req/s · pinned {app.pinned ?? '-'}
      </Text>
      {detail?.error ? <Text wrap="truncate-end">{paint(detail.error, 'red')}</Text> : <Text> </Text>}
      <Text wrap="truncate-end">{paint('Replication', 'bold')}</Text>
      {replicaRows === 0 ? <Text>  no replicas</Text> : app.replicas.map((r) => {
        const p = replicaProgress(r.snapshot, snapshots)
        return (
          <Text key={r.node} wrap="truncate-end">
            {'  '}{fit(r.node, 12)} <Bar fraction={p} width={barWidth} tone={p >= 1 ? 'green' : 'yellow'} label={p >= 1 ? 'in sync' : 'behind '} />  lag {lag(r.lagMs)}
          </Text>
        )
      })}
      <Text wrap="truncate-end">{paint(`Snapshots (${snapshots.length}, newest first)`, 'bold')}</Text>
      <Text wrap="truncate-end">{paint(`  ${fit('ID', 16)} ${fit('AGE', 4, 'right')} ${fit('EPOCH', 5, 'right')} ${fit('SEQ', 5, 'right')} ${fit('SIZE', 7, 'right')}  HOLDERS`, 'dim')}</Text>
      {snapshots.slice(0, snapRows).map((s) => (
        <Text key={s.id} wrap="truncate-end">
          {`  ${fit(s.id, 16)} ${fit(age(now - s.time), 4, 'right')} ${fit(String(s.epoch), 5, 'right')} ${fit(String(s.seq), 5, 'right')} ${fit(bytes(s.bytes), 7, 'right')}  ${s.holders.join(' ')}`}
        </Text>
      ))}
      {logRows > 0 ? <Text wrap="truncate-end">{paint('Log (tail)', 'bold')}</Text> : null}
      {logRows > 0 && logs.length === 0 ? <Text>  {detail ? 'no output yet' : 'loading…'}</Text> : null}
      {logs.map((line, i) => <Text key={i} wrap="truncate-end">  {line}</Text>)}
    </Box>
  )
}
