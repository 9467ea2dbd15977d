import { ShoalError } from '../../core/errors.js'
import { ControlClient } from '../../control/client.js'
import { home, homeOption, parse, parseCount } from '../args.js'
import { followUntilStopped } from '../follow-until-stopped.js'
import { clockTime } from '../table.js'

export const summary = "show an app's output on its master (-f to follow)"

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...homeOption, follow: { type: 'boolean', short: 'f', default: false }, lines: { type: 'string' } }, 1)
  const app = positionals[0]
  if (app === undefined) throw new ShoalError('BAD_ARGUMENT', 'shoal logs needs an APP')
  const lines = parseCount(values.lines, '--lines', 100)
  const client = await ControlClient.connect(home(values))
  try {
    // The node answers with the master's output, wherever the master is.
    const stream = client.logs(app, { follow: values.follow, lines })
    // Ctrl-C or SIGTERM is how an operator ends `logs -f`: a normal end, exit 0.
    await followUntilStopped(stream, (l) => console.log(`${clockTime(l.ts)} ${l.stream.padEnd(6)} ${l.line}`))
    return 0
  } finally {
    client.close()
  }
}
