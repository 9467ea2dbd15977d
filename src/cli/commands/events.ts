import { ControlClient } from '../../control/client.js'
import { home, homeOption, jsonOption, parse } from '../args.js'
import { clockTime } from '../table.js'

export const summary = 'stream membership and cluster events as they happen'

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...homeOption, ...jsonOption, history: { type: 'string' } })
  const client = await ControlClient.connect(home(values))
  const events = client.events({ history: values.history === undefined ? 20 : Number(values.history) || 0 })
  const stop = () => void events.return?.()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    for await (const e of events) {
      console.log(values.json ? JSON.stringify(e) : `${clockTime(e.at)} ${e.kind.padEnd(8)} ${e.message}`)
    }
    return 0
  } finally {
    client.close()
  }
}
