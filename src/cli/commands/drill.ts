import { ShoalError } from '../../core/errors.js'
import { ControlClient } from '../../control/client.js'
import type { DrillMode, DrillReport } from '../../control/drill-types.js'
import type { OperationEvent } from '../../control/types.js'
import { home, homeOption, jsonOption, parse, parsePositiveNumber } from '../args.js'
import { operationLine } from '../../console/operation-text.js'

export const summary = 'drill failover APP --mode crash|partition|graceful: rehearse a failover and measure it'

const MODES: DrillMode[] = ['crash', 'partition', 'graceful']

/** One line per progress event. */
export function describe(e: OperationEvent): string {
  const d = e.data as Record<string, unknown>
  const after = typeof d.afterMs === 'number' ? ` after ${d.afterMs} ms` : ''
  switch (e.tag) {
    case 'probe':
      return `probe writing to ${String(d.path)} through ${(d.targets as string[]).join(', ')}`
    case 'stop':
      return d.mode === 'graceful' ? `fault: ${String(d.action)}` : `fault: ${String(d.node)} ${d.mode === 'crash' ? 'crashes' : 'is cut off'} for ${Math.round(Number(d.durationMs) / 1000)} s`
    case 'detect':
      return `${String(d.node)} declared dead${after}`
    case 'promote':
      return d.step !== undefined ? `  ${operationLine({ tag: String(d.step), data: d })}` : `${String(d.node)} is master (epoch ${String(d.epoch)})${after}`
    case 'restore':
      return `${String(d.node)} is back as a replica${d.stash ? `, its divergent writes stashed as ${String(d.stash)}` : ''}${after}`
    case 'done':
      return 'done'
    case 'error':
      return `failed (${String(d.code)}): ${String(d.message)}`
    default:
      return operationLine(e)
  }
}

function ms(v: number | null): string {
  return v === null ? 'n/a' : `${v} ms`
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...homeOption, ...jsonOption, mode: { type: 'string' }, duration: { type: 'string' }, 'probe-path': { type: 'string' }, 'whole-node': { type: 'boolean', default: false } }, 2)
  const [kind, app] = positionals
  if (kind !== 'failover') throw new ShoalError('BAD_ARGUMENT', `shoal drill takes failover${kind ? `, not "${kind}"` : ''}: shoal drill failover APP --mode crash|partition|graceful`)
  if (app === undefined) throw new ShoalError('BAD_ARGUMENT', 'shoal drill failover needs an APP')
  const mode = values.mode as DrillMode | undefined
  if (mode === undefined || !MODES.includes(mode)) throw new ShoalError('BAD_ARGUMENT', `--mode takes crash, partition or graceful${mode ? `, not "${mode}"` : ''}`)
  const durationS = values.duration === undefined ? undefined : parsePositiveNumber(values.duration, '--duration', 10)
  const client = await ControlClient.connect(home(values))
  try {
    let report: DrillReport | null = null
    for await (const e of client.drill(app, mode, { durationS, probePath: values['probe-path'], wholeNode: values['whole-node'] })) {
      if (e.tag === 'result') report = e.data as unknown as DrillReport
      else if (!values.json) console.log(describe(e))
    }
    if (report === null) throw new ShoalError('INTERNAL', 'the drill ended without a report')
    if (values.json) console.log(JSON.stringify(report))
    else {
      const w = report.writes
      console.log(
        [
          `${report.mode} drill of ${report.app}: ${report.from} → ${report.to}`,
          `  detection   ${ms(report.detectionMs)}`,
          `  recovery    ${ms(report.recoveryMs)}`,
          `  writes      ${w.attempted} attempted, ${w.acknowledged} acknowledged, ${w.failed} failed, ${w.lost} lost${w.stashedOnly > 0 ? `, ${w.stashedOnly} kept only in the stash` : ''}`,
          ...(Object.keys(w.failures ?? {}).length > 0 ? [`  failures    ${Object.entries(w.failures).map(([k, n]) => `${n}× ${k}`).join(', ')}`] : []),
          `  stash       ${report.stashes.length > 0 ? report.stashes.join(', ') : 'none'}`,
          `  placement   epoch ${report.placement.epoch}, master ${report.placement.master}, replicas ${report.placement.replicas.join(', ') || 'none'}`
        ].join('\n')
      )
      if (report.error) console.error(`shoal: ${report.error}`)
    }
    return report.ok ? 0 : report.code !== undefined ? ShoalError.exitStatus(new ShoalError(report.code as never, '')) : 14
  } finally {
    client.close()
  }
}
