import { ShoalError } from '../core/errors.js'
import { commandHelp, commandPath, groupHelp, HelpRequested, isGroupHelp } from './help.js'

interface Command {
  summary: string
  run(argv: string[]): Promise<number>
}

/**
 * Commands load on demand: `shoal up` must not pay for the console's UI libraries (memory), and
 * a client command starts faster without the node's.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  init: () => import('./commands/init.js'),
  bootstrap: () => import('./commands/bootstrap.js'),
  up: () => import('./commands/up.js'),
  status: () => import('./commands/status.js'),
  events: () => import('./commands/events.js'),
  apps: () => import('./commands/apps.js'),
  app: () => import('./commands/app.js'),
  logs: () => import('./commands/logs.js'),
  snapshots: () => import('./commands/snapshots.js'),
  snapshot: () => import('./commands/snapshot.js'),
  move: () => import('./commands/move.js'),
  promote: () => import('./commands/promote.js'),
  pin: () => import('./commands/pin.js'),
  unpin: () => import('./commands/unpin.js'),
  stash: () => import('./commands/stash.js'),
  drill: () => import('./commands/drill.js'),
  console: () => import('./commands/console.js'),
  demo: () => import('./commands/demo.js')
}

async function usage(): Promise<string> {
  const names = Object.keys(COMMANDS)
  const width = Math.max(...names.map((k) => k.length))
  const lines = await Promise.all(names.map(async (name) => `  ${name.padEnd(width)}  ${(await COMMANDS[name]!()).summary}`))
  return ['usage: shoal COMMAND [options]', '', ...lines, '', 'Client commands find their node with --home DIR (default $SHOAL_HOME, else ~/.shoal).', 'shoal COMMAND --help lists what a command takes.'].join('\n')
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  // `shoal help app add` is `shoal app add --help`.
  if (name === 'help' && rest.length > 0) return main([...rest, '--help'])
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(await usage())
    return name === undefined ? 2 : 0
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (load === undefined) {
    console.error(`shoal: unknown command "${name}"\n\n${await usage()}`)
    return 2
  }
  let summary = ''
  try {
    const command = await load()
    summary = command.summary
    if (isGroupHelp(name, rest)) {
      console.log(groupHelp(name, summary))
      return 0
    }
    return await command.run(rest)
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(commandHelp(commandPath(name, rest), summary, err.options))
      return 0
    }
    const message = err instanceof Error ? err.message : String(err)
    console.error(`shoal: ${message}`)
    if (!(err instanceof ShoalError) && process.env.SHOAL_DEBUG) console.error(err)
    return ShoalError.exitStatus(err)
  }
}
