/** The details page for whatever Enter opened: an app or a node. */
import { Text } from 'ink'
import type { NodeStatus } from '../control/types.js'
import { AppDetails } from './AppDetails.js'
import type { Details } from './console-reducer.js'
import type { LoadHistory } from './load-history.js'
import { NodeDetails } from './NodeDetails.js'
import type { ConsoleAppStatus } from './source.js'
import type { AppDetailData } from './use-app-details.js'

export interface DetailsViewProps {
  details: Details
  nodes: readonly NodeStatus[]
  apps: readonly ConsoleAppStatus[]
  history: LoadHistory
  appDetail: AppDetailData | null
  width: number
  height: number
  now: number
}

export function DetailsView({ details, nodes, apps, history, appDetail, width, height, now }: DetailsViewProps) {
  if (details.kind === 'app') {
    const app = apps.find((a) => a.name === details.name)
    if (!app) return <Text>The app {details.name} is gone. Press Esc to go back.</Text>
    return <AppDetails app={app} detail={appDetail} width={width} height={height} now={now} />
  }
  const node = nodes.find((n) => n.name === details.name)
  if (!node) return <Text>The node {details.name} is gone. Press Esc to go back.</Text>
  return <NodeDetails node={node} apps={apps} history={history.get(node.id) ?? []} width={width} height={height} />
}
