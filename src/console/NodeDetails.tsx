/** One node in depth: its figures, CPU and memory history, and the apps it masters or replicates. */
import type { NodeStatus } from '../control/types.js'
import { barText } from './bar-text.js'
import { bytes, fit, percent, rtt } from './format.js'
import { Lines } from './Lines.js'
import type { LoadSample } from './load-history.js'
import { usePaint } from './paint-context.js'
import type { ConsoleAppStatus } from './source.js'
import { sparklineText } from './sparkline-text.js'
import { StyledLine, styled } from './styled-line.js'
import { APP_STATE_TONE, loadTone, MEMBER_TONE } from './tones.js'

export interface NodeDetailsProps {
  node: NodeStatus
  apps: readonly ConsoleAppStatus[]
  history: readonly LoadSample[]
  width: number
  height: number
}

export function NodeDetails({ node, apps, history, width, height }: NodeDetailsProps) {
  const paint = usePaint()
  const line = () => new StyledLine(width, paint)
  const hosted = apps
    .map((a) => ({ app: a, role: a.master === node.name ? 'master' : a.replicas.some((r) => r.node === node.name) ? 'replica' : null }))
    .filter((x): x is { app: ConsoleAppStatus; role: 'master' | 'replica' } => x.role !== null)
    .sort((a, b) => (a.role === b.role ? (a.app.name < b.app.name ? -1 : 1) : a.role === 'master' ? -1 : 1))
  const spark = Math.max(10, width - 10)
  const masters = hosted.filter((h) => h.role === 'master').length
  const lines: string[] = [
    line().add(node.name, 'bold').add(` (${node.id.slice(0, 8)}) · zone ${node.zone} · `).add(node.status, MEMBER_TONE[node.status])
      .add(` · rtt ${rtt(node.rttMs)} · v${node.version} · rss ${bytes(node.rssBytes)}`).toString(),
    styled(`addresses ${node.addresses.join(' ') || '-'} · http :${node.httpPort} · data ${node.dataPort !== null ? `:${node.dataPort}` : 'none (replication over the mesh)'}`, width, paint),
    line().add(`CPU ${fit(percent(node.cpu), 4, 'right')} `).add(sparklineText(history.map((s) => s.cpu), spark), 'cyan').toString(),
    line().add(`MEM ${fit(percent(node.mem), 4, 'right')} `).add(sparklineText(history.map((s) => s.mem), spark), 'cyan').toString(),
    line().add('now ').add(barText(node.cpu, Math.min(30, spark)), loadTone(node.cpu)).add(` ${percent(node.cpu)} cpu`).toString(),
    styled(`Apps on ${node.name} (${masters} master, ${hosted.length - masters} replica)`, width, paint, 'bold'),
    styled(`  ${fit('APP', 16)} ${fit('ROLE', 8)} ${fit('STATE', 12)} ${fit('REQ/S', 6, 'right')}`, width, paint, 'dim')
  ]
  if (hosted.length === 0) lines.push('  none')
  for (const { app, role } of hosted.slice(0, Math.max(0, height - lines.length))) {
    lines.push(line().add(`  ${fit(app.name, 16)} ${fit(role, 8)} `).add(fit(app.state, 12), APP_STATE_TONE[app.state]).add(` ${fit(app.rps.toFixed(1), 6, 'right')}`).toString())
  }
  return <Lines lines={lines} width={width} height={height} />
}
