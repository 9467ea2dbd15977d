import { ControlClient } from '../../control/client.js'
import type { NodeStatus } from '../../control/types.js'
import { home, homeOption, jsonOption, parse } from '../args.js'
import { percent, table } from '../table.js'

export const summary = 'show every node this node knows'

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...homeOption, ...jsonOption })
  const client = await ControlClient.connect(home(values))
  try {
    const status = await client.status()
    if (values.json) {
      console.log(JSON.stringify(status))
      return 0
    }
    const rows = status.nodes.map((n: NodeStatus) => [
      n.name + (n.self ? ' *' : ''),
      n.id.slice(0, 12),
      n.zone || '-',
      n.status,
      n.rttMs === null ? '-' : `${n.rttMs.toFixed(1)}ms`,
      percent(n.cpu),
      percent(n.mem),
      String(n.apps),
      n.version || '-',
      n.addresses.join(',') || '-'
    ])
    console.log(table(['NAME', 'ID', 'ZONE', 'STATUS', 'RTT', 'CPU', 'MEM', 'APPS', 'VERSION', 'ADDRESSES'], rows))
    const links = status.frontLinks
    if (links !== undefined) console.log(`front links: ${links.out} to other nodes' masters, ${links.in} from other nodes`)
    return 0
  } finally {
    client.close()
  }
}
