import { ShoalError } from '../../core/errors.js'
import { ControlClient } from '../../control/client.js'
import { home, homeOption, jsonOption, parse } from '../args.js'
import { table } from '../table.js'

export const summary = "list the snapshots of an app this node holds"

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...homeOption, ...jsonOption }, 1)
  const app = positionals[0]
  if (app === undefined) throw new ShoalError('BAD_ARGUMENT', 'shoal snapshots needs an APP')
  const client = await ControlClient.connect(home(values))
  try {
    const res = await client.snapshots(app)
    if (values.json) {
      console.log(JSON.stringify(res))
      return 0
    }
    const rows = [...res.snapshots].reverse().map((s) => [s.id.slice(0, 16), String(s.epoch), String(s.seq), new Date(s.time).toISOString().replace('T', ' ').slice(0, 19), s.originName, s.holderNames.join(', ')])
    console.log(rows.length === 0 ? `this node holds no snapshot of ${app}` : table(['SNAPSHOT', 'EPOCH', 'SEQ', 'TAKEN (UTC)', 'ORIGIN', 'HELD BY'], rows))
    return 0
  } finally {
    client.close()
  }
}
