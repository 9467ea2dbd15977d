import { ShoalError } from '../../core/errors.js'
import { ControlClient } from '../../control/client.js'
import { home, homeOption, parse } from '../args.js'

export const summary = 'unpin APP: let the app move again'

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...homeOption }, 1)
  if (positionals[0] === undefined) throw new ShoalError('BAD_ARGUMENT', 'shoal unpin needs an APP')
  const client = await ControlClient.connect(home(values))
  try {
    const r = await client.unpin(positionals[0])
    console.log(!r.wasPinned ? `${positionals[0]} was not pinned` : `${positionals[0]} is no longer pinned`)
    return 0
  } finally {
    client.close()
  }
}
