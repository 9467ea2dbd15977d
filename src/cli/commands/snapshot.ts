import { ShoalError } from '../../core/errors.js'
import { ControlClient } from '../../control/client.js'
import { home, homeOption, jsonOption, parse } from '../args.js'

export const summary = 'snapshot checkout APP SNAP DIR: materialise a snapshot this node holds'

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'checkout') throw new ShoalError('BAD_ARGUMENT', `shoal snapshot takes checkout${sub ? `, not "${sub}"` : ''}`)
  const { values, positionals } = parse(rest, { ...homeOption, ...jsonOption }, 3)
  const [app, snapshot, dir] = positionals
  if (app === undefined || snapshot === undefined || dir === undefined) throw new ShoalError('BAD_ARGUMENT', 'shoal snapshot checkout needs APP SNAPSHOT DIR')
  const client = await ControlClient.connect(home(values))
  try {
    const res = await client.checkoutSnapshot(app, snapshot, dir)
    console.log(values.json ? JSON.stringify(res) : `snapshot ${res.snapshot.slice(0, 16)} of ${app} is in ${res.dir}`)
    return 0
  } finally {
    client.close()
  }
}
