import { ControlClient } from '../../control/client.js'
import { home, homeOption, jsonOption, parse, parseCount } from '../args.js'
import { followUntilStopped } from '../follow-until-stopped.js'
import { clockTime } from '../table.js'

export const summary = 'stream membership and cluster events as they happen'

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...homeOption, ...jsonOption, history: { type: 'string' } })
  const history = parseCount(values.history, '--history', 20)
  const client = await ControlClient.connect(home(values))
  try {
    const events = client.events({ history })
    // Ctrl-C or SIGTERM is how an operator ends this command: a normal end, exit 0.
    await followUntilStopped(events, (e) => console.log(values.json ? JSON.stringify(e) : `${clockTime(e.at)} ${e.kind.padEnd(8)} ${e.message}`))
    return 0
  } finally {
    client.close()
  }
}
