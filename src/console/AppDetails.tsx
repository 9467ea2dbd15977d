/**
 * One app in depth: its placement, replication progress per replica, its snapshots and which
 * nodes hold them, and the tail of its logs. Sections shrink to fit the height given.
 */
import { barText } from './bar-text.js'
import { age, bytes, fit, lag, transferDone, transferText } from './format.js'
import { Lines } from './Lines.js'
import { usePaint } from './paint-context.js'
import { replicaSync } from './replica-sync.js'
import type { ConsoleAppStatus } from './source.js'
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
    const sync = replicaSync(r, app.snapshot, snapshots)
    const bar = sync.fraction === null ? ' '.repeat(barWidth) : barText(sync.fraction, barWidth)
    lines.push(line().add(`  ${fit(r.node, 12)} `).add(bar, sync.words === 'in sync' ? 'green' : 'yellow').add(` ${sync.words === 'no snapshot yet' ? sync.words : `${fit(sync.words, 7)}  lag ${lag(r.lagMs)}`}`).toString())
  }
  const room = Math.max(0, height - lines.length - 2)
  const snapRows = Math.min(snapshots.length, Math.max(1, Math.floor(room / 2)))
  const logRows = Math.max(0, room - snapRows - 2)
  lines.push(styled(`Snapshots (${snapshots.length}, newest first)`, width, paint, 'bold'))
  // The control API does not give every snapshot's size: a column of dashes would say nothing.
  const sized = snapshots.some((s) => s.bytes !== undefined)
  const size = (text: string) => (sized ? ` ${fit(text, 7, 'right')}` : '')
  lines.push(styled(`  ${fit('ID', 16)} ${fit('AGE', 4, 'right')} ${fit('EPOCH', 5, 'right')} ${fit('SEQ', 5, 'right')}${size('SIZE')}  HOLDERS`, width, paint, 'dim'))
  for (const s of snapshots.slice(0, snapRows)) {
    lines.push(styled(`  ${fit(s.id, 16)} ${fit(age(now - s.time), 4, 'right')} ${fit(String(s.epoch), 5, 'right')} ${fit(String(s.seq), 5, 'right')}${size(bytes(s.bytes))}  ${s.holders.join(' ')}`, width, paint))
  }
  if (logRows > 0) {
    lines.push(styled('Log (tail)', width, paint, 'bold'))
    const logs = (detail?.logs ?? []).slice(-logRows)
    if (logs.length === 0) lines.push(`  ${detail ? 'no output yet' : 'loading…'}`)
    for (const l of logs) lines.push(styled(`  ${l}`, width, paint))
  }
  return <Lines lines={lines} width={width} height={height} />
}
