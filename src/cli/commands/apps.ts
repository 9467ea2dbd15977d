import { ControlClient } from '../../control/client.js'
import type { AppStatus } from '../../control/types.js'
import { home, homeOption, jsonOption, parse } from '../args.js'
import { table } from '../table.js'
import { transferText } from '../../console/format.js'

export const summary = 'list apps: state, master, replicas and their lag (or their sync in progress)'

export function lag(ms: number | null): string {
  if (ms === null) return 'no data'
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`
}

/** The table, then a line for each trouble a node reports (why an app is not running). */
export function appRows(apps: AppStatus[]): string {
  const troubles = apps.flatMap((a) => a.troubles.map((t) => `! ${a.name} on ${t.node}: ${t.text}`))
  return [appTable(apps), ...troubles].join('\n')
}

function appTable(apps: AppStatus[]): string {
  return table(
    ['APP', 'STATE', 'EPOCH', 'MASTER', 'REPLICAS (LAG)', 'REQ/S', 'P99', 'CONNS', 'PINNED'],
    apps.map((a) => [
      a.name,
      a.state,
      String(a.epoch),
      a.master ?? '-',
      a.replicas.map((r) => `${r.node} (${r.transfer !== null ? transferText(r.transfer) : lag(r.lagMs)})`).join(', ') || '-',
      String(a.rps),
      `${a.load.p99Ms}ms`,
      String(a.load.connections),
      a.pinned ?? '-'
    ])
  )
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...homeOption, ...jsonOption })
  const client = await ControlClient.connect(home(values))
  try {
    const res = await client.apps()
    console.log(values.json ? JSON.stringify(res) : res.apps.length === 0 ? 'no apps yet (add one with: shoal app add NAME --cmd CMD)' : appRows(res.apps))
    return 0
  } finally {
    client.close()
  }
}
