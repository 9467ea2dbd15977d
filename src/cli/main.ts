import { ShoalError } from '../core/errors.js'
import * as bootstrap from './commands/bootstrap.js'
import * as events from './commands/events.js'
import * as init from './commands/init.js'
import * as status from './commands/status.js'
import * as up from './commands/up.js'
import * as apps from './commands/apps.js'
import * as app from './commands/app.js'
import * as logs from './commands/logs.js'
import * as snapshots from './commands/snapshots.js'
import * as snapshot from './commands/snapshot.js'
import * as move from './commands/move.js'
import * as promote from './commands/promote.js'
import * as pin from './commands/pin.js'
import * as unpin from './commands/unpin.js'
import * as stash from './commands/stash.js'
import * as drill from './commands/drill.js'
import * as consoleCmd from './commands/console.js'
import * as demo from './commands/demo.js'

interface Command {
  summary: string
  run(argv: string[]): Promise<number>
}

const COMMANDS: Record<string, Command> = { init, bootstrap, up, status, events, apps, app, logs, snapshots, snapshot, move, promote, pin, unpin, stash, drill, console: consoleCmd, demo }

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length))
  return [
    'usage: shoal COMMAND [options]',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Client commands find their node with --home DIR (default $SHOAL_HOME, else ~/.shoal).'
  ].join('\n')
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage())
    return name === undefined ? 2 : 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    console.error(`shoal: unknown command "${name}"\n\n${usage()}`)
    return 2
  }
  try {
    return await command.run(rest)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    console.error(`shoal: ${message}`)
    if (!(err instanceof ShoalError) && process.env.SHOAL_DEBUG) console.error(err)
    return ShoalError.exitStatus(err)
  }
}
