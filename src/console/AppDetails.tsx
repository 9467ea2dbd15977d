/**
 * One app in depth: its placement, replication progress per replica, its snapshots and which
 * nodes hold them, and the tail of its logs. Sections shrink to fit the height given.
 */
import { barText } from './bar-text.js'
import { age, bytes, fit, lag, transferDone, transferText } from './format.js'
import { Lines } from './Lines.js'
import { usePaint } from './paint-context.js'
import type { ConsoleAppStatus, SnapshotInfo } from './source.js'
import { StyledLine, styled } from './styled-line.js'
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
  const line = () => new StyledLine(width, paint)
  const snapshots = detail?.snapshots ?? []
  const barWidth = Math.max(6, Math.min(20, width - 40))
  const lines: string[] = [
    line().add(app.name, 'bold').add(' · ').add(app.state, APP_STATE_TONE[app.state]).add(` · epoch ${app.epoch} · master `)
      .add(app.master ?? 'none', app.master ? null : 'red').add(` · ${app.rps.toFixed(1)} req/s · pinned ${app.pinned ?? '-'}`).toString(),
    detail?.error ? styled(detail.error, width, paint, 'red') : '',
    styled('Replication', width, paint, 'bold')
  ]
  if (app.replicas.length === 0) lines.push('  no replicas')
  for (const r of app.replicas) {
    if (r.transfer) {
      // A transfer running (seen from the master or the replica): how far it is, and how fast.
      const done = transferDone(r.transfer)
      const via = r.via ? ` over the ${r.via === 'direct' ? 'data port' : 'mesh'}` : ''
      lines.push(line().add(`  ${fit(r.node, 12)} `).add(barText(done, barWidth), 'yellow').add(` ${transferText(r.transfer)}${via}`).toString())
      continue
    }
    const p = replicaProgress(r.snapshot, snapshots)
    lines.push(line().add(`  ${fit(r.node, 12)} `).add(barText(p, barWidth), p >= 1 ? 'green' : 'yellow').add(` ${p >= 1 ? 'in sync' : 'behind '}  lag ${lag(r.lagMs)}`).toString())
  }
  const room = Math.max(0, height - lines.length - 2)
  const snapRows = Math.min(snapshots.length, Math.max(1, Math.floor(room / 2)))
  const logRows = Math.max(0, room - snapRows - 2)
  lines.push(styled(`Snapshots (${snapshots.length}, newest first)`, width, paint, 'bold'))
  lines.push(styled(`  ${fit('ID', 16)} ${fit('AGE', 4, 'right')} ${fit('EPOCH', 5, 'right')} ${fit('SEQ', 5, 'right')} ${fit('SIZE', 7, 'right')}  HOLDERS`, width, paint, 'dim'))
  for (const s of snapshots.slice(0, snapRows)) {
    lines.push(styled(`  ${fit(s.id, 16)} ${fit(age(now - s.time), 4, 'right')} ${fit(String(s.epoch), 5, 'right')} ${fit(String(s.seq), 5, 'right')} ${fit(bytes(s.bytes), 7, 'right')}  ${s.holders.join(' ')}`, width, paint))
  }
  if (logRows > 0) {
    lines.push(styled('Log (tail)', width, paint, 'bold'))
    const logs = (detail?.logs ?? []).slice(-logRows)
    if (logs.length === 0) lines.push(`  ${detail ? 'no output yet' : 'loading…'}`)
    for (const l of logs) lines.push(styled(`  ${l}`, width, paint))
  }
  return <Lines lines={lines} width={width} height={height} />
}
