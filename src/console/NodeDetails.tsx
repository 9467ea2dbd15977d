/** One node in depth: its figures, CPU and memory history, and the apps it masters or replicates. */
import { Box, Text } from 'ink'
import type { NodeStatus } from '../control/types.js'
import { Bar } from './Bar.js'
import { bytes, fit, percent, rtt } from './format.js'
import type { LoadSample } from './load-history.js'
import { usePaint } from './paint-context.js'
import type { ConsoleAppStatus } from './source.js'
import { Sparkline } from './Sparkline.js'
import { APP_STATE_TONE, MEMBER_TONE } from './tones.js'

export interface NodeDetailsProps {
  node: NodeStatus
  apps: readonly ConsoleAppStatus[]
  history: readonly LoadSample[]
  width: number
  height: number
}

export function NodeDetails({ node, apps, history, width, height }: NodeDetailsProps) {
  const paint = usePaint()
  const hosted = apps
    .map((a) => ({ app: a, role: a.master === node.name ? 'master' : a.replicas.some((r) => r.node === node.name) ? 'replica' : null }))
    .filter((x): x is { app: ConsoleAppStatus; role: 'master' | 'replica' } => x.role !== null)
    .sort((a, b) => (a.role === b.role ? a.app.name.localeCompare(b.app.name) : a.role === 'master' ? -1 : 1))
  const spark = Math.max(10, width - 20)
  const listRows = Math.max(0, height - 8)
  return (
    <Box flexDirection="column" height={height} overflowY="hidden">
      <Text wrap="truncate-end">
        {paint(node.name, 'bold')} ({node.id.slice(0, 8)}) · zone {node.zone} · {paint(node.status, MEMBER_TONE[node.status])} · rtt {rtt(node.rttMs)} · v{node.version} · rss {bytes(node.rssBytes)}
      </Text>
      <Text wrap="truncate-end">addresses {node.addresses.join(' ') || '-'} · http :{node.httpPort}</Text>
      <Text wrap="truncate-end">CPU {fit(percent(node.cpu), 4, 'right')} <Sparkline values={history.map((s) => s.cpu)} width={spark} /></Text>
      <Text wrap="truncate-end">MEM {fit(percent(node.mem), 4, 'right')} <Sparkline values={history.map((s) => s.mem)} width={spark} /></Text>
      <Text wrap="truncate-end">now <Bar fraction={node.cpu} width={Math.min(30, spark)} /> cpu</Text>
      <Text wrap="truncate-end">{paint(`Apps on ${node.name} (${hosted.filter((h) => h.role === 'master').length} master, ${hosted.filter((h) => h.role === 'replica').length} replica)`, 'bold')}</Text>
      <Text wrap="truncate-end">{paint(`  ${fit('APP', 16)} ${fit('ROLE', 8)} ${fit('STATE', 12)} ${fit('REQ/S', 6, 'right')}`, 'dim')}</Text>
      {hosted.length === 0 ? <Text>  none</Text> : null}
      {hosted.slice(0, listRows).map(({ app, role }) => (
        <Text key={app.name} wrap="truncate-end">
          {'  '}{fit(app.name, 16)} {fit(role, 8)} {paint(fit(app.state, 12), APP_STATE_TONE[app.state])} {fit(app.rps.toFixed(1), 6, 'right')}
        </Text>
      ))}
    </Box>
  )
}
