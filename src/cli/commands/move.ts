import { ShoalError } from '../../core/errors.js'
import { ControlClient } from '../../control/client.js'
import { operationLine } from '../../console/operation-text.js'
import { home, homeOption, jsonOption, parse } from '../args.js'

export const summary = 'move APP NODE: live-migrate an app to another node'

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

/** Runs a streamed move-like operation; exit 0 only if it succeeded. */
export async function runMove(kind: 'move' | 'promote' | 'pin', argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...homeOption, ...jsonOption }, 2)
  const [app, node] = positionals
  if (app === undefined || node === undefined) throw new ShoalError('BAD_ARGUMENT', `shoal ${kind} needs APP and NODE`)
  const client = await ControlClient.connect(home(values))
  try {
    let result: Record<string, unknown> | null = null
    for await (const e of client[kind](app, node)) {
      // The console's words for each step: an operator reads the same sentences in both.
      if (e.tag === 'result') result = e.data
      else if (!values.json) console.log(operationLine(e))
    }
    if (values.json) console.log(JSON.stringify(result))
    else if (result?.ok === true && result.from === result.to) {
      // The node answers a move to where the app already is with success and no steps at all.
      console.log(`${app} is already on ${String(result.to)} (epoch ${String(result.epoch)}): nothing to ${kind === 'promote' ? 'promote' : 'move'}`)
    }
    if (result !== null && result.ok !== true) {
      if (!values.json) console.error(`shoal: ${app} stays on ${result.from}: ${result.error}`)
      return 14
    }
    return 0
  } finally {
    client.close()
  }
}

export async function run(argv: string[]): Promise<number> {
  return runMove('move', argv)
}
