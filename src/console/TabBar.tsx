/** The top line: the views, the active one marked, and a one-line summary of the cluster. */
import { Text } from 'ink'
import type { NodeStatus } from '../control/types.js'
import { VIEWS, type View } from './console-reducer.js'
import { usePaint } from './paint-context.js'
import type { ConsoleAppStatus } from './source.js'

const LABEL: Record<View, string> = { nodes: 'Nodes', apps: 'Apps', events: 'Events' }

export function TabBar({ view, nodes, apps, readOnly }: { view: View; nodes: readonly NodeStatus[]; apps: readonly ConsoleAppStatus[]; readOnly: boolean }) {
  const paint = usePaint()
  const tabs = VIEWS.map((v, i) => (v === view ? paint(`[${i + 1} ${LABEL[v]}]`, 'inverse') : ` ${i + 1} ${LABEL[v]} `)).join('')
  const alive = nodes.filter((n) => n.status === 'alive').length
  const down = nodes.length - alive
  const busy = apps.filter((a) => a.state !== 'running').length
  const summary = `${alive}/${nodes.length} nodes alive${down ? ` (${paint(`${down} down`, 'red')})` : ''} · ${apps.length} apps${busy ? ` (${busy} busy)` : ''}`
  return <Text wrap="truncate-end">{paint('Shoal', 'bold')} {tabs}  {summary}{readOnly ? `  ${paint('READ-ONLY', 'yellow')}` : ''}</Text>
}
