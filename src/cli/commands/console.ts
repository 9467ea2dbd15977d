import { ControlClient } from '../../control/client.js'
import { ControlSource } from '../../console/control-source.js'
import { runConsole } from '../../console/run-console.js'
import { home, homeOption, parse } from '../args.js'

export const summary = 'open the interactive console of the cluster (--read-only to only look)'

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...homeOption, 'read-only': { type: 'boolean', default: false } })
  const client = await ControlClient.connect(home(values))
  const source = new ControlSource(client)
  try {
    await runConsole(source, { readOnly: values['read-only'] })
    return 0
  } finally {
    source.close()
  }
}
