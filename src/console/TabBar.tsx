/** The top line: the views, the active one marked, and a one-line summary of the cluster. */
import type { NodeStatus } from '../control/types.js'
import { VIEWS, type View } from './console-reducer.js'
import { Lines } from './Lines.js'
import { usePaint } from './paint-context.js'
import type { ConsoleAppStatus } from './source.js'
import { StyledLine } from './styled-line.js'

const LABEL: Record<View, string> = { nodes: 'Nodes', apps: 'Apps', events: 'Events' }

export interface TabBarProps {
  view: View
  nodes: readonly NodeStatus[]
  apps: readonly ConsoleAppStatus[]
  readOnly: boolean
  width: number
}

export function TabBar({ view, nodes, apps, readOnly, width }: TabBarProps) {
  const paint = usePaint()
  const line = new StyledLine(width, paint).add('Shoal', 'bold').add(' ')
  VIEWS.forEach((v, i) => (v === view ? line.add(`[${i + 1} ${LABEL[v]}]`, 'inverse') : line.add(` ${i + 1} ${LABEL[v]} `)))
  // A node that left on purpose is not down: it is counted apart.
  const left = nodes.filter((n) => n.status === 'left').length
  const alive = nodes.filter((n) => n.status === 'alive').length
  const down = nodes.length - left - alive
  const busy = apps.filter((a) => a.state !== 'running').length
  line.add(`  ${alive}/${nodes.length - left} nodes alive`)
  if (down) line.add(' (').add(`${down} down`, 'red').add(')')
  if (left) line.add(`, ${left} left`)
  line.add(` · ${apps.length} apps${busy ? ` (${busy} busy)` : ''}`)
  if (readOnly) line.add('  ').add('READ-ONLY', 'yellow')
  return <Lines lines={[line.toString()]} width={width} />
}
