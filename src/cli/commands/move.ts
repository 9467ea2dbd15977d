import { ShoalError } from '../../core/errors.js'
import { ControlClient } from '../../control/client.js'
import type { OperationEvent } from '../../control/types.js'
import { home, homeOption, jsonOption, parse } from '../args.js'

export const summary = 'move APP NODE: live-migrate an app to another node'

/** One line per progress event, as an operator reads them. */
export function describe(e: OperationEvent): string {
  const d = e.data as Record<string, string | number>
  switch (e.tag) {
    case 'start':
      return `moving ${d.app} from ${d.from} to ${d.to}`
    case 'replica':
      return `${d.node} becomes a replica first`
    case 'precopy':
      return `pre-copy round ${d.round}: ${formatBytes(Number(d.bytes))}`
    case 'pause':
      return `paused new requests (${d.inFlight} in flight)`
    case 'final':
      return `final delta: ${formatBytes(Number(d.bytes))} (snapshot ${String(d.snapshot).slice(0, 12)})`
    case 'start-target':
      return `starting on ${d.node}`
    case 'health':
      return `${d.node} passed its health check`
    case 'done':
      return `done: epoch ${d.epoch}, paused ${d.pauseMs} ms`
    case 'error':
      return `failed (${d.code}): ${d.message}`
    case 'pinned':
      return `${d.app} is pinned to ${d.node}`
    default:
      return `${e.tag} ${JSON.stringify(e.data)}`
  }
}

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
      if (e.tag === 'result') result = e.data
      else if (!values.json) console.log(describe(e))
    }
    if (values.json) console.log(JSON.stringify(result))
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
