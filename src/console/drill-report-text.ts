/**
 * A drill's outcome as short labelled rows (detection, recovery, writes, stash, final placement),
 * from the figures the drill streams: its `done` step and, when it succeeded, its `result` report
 * (a failed drill's report is raised as an error, so `done` may be all there is).
 */
import type { OperationEvent } from '../control/types.js'
import { isDrillFigures } from './operation-text.js'

export interface DrillFigures {
  mode: string | null
  detectionMs: number | null
  recoveryMs: number | null
  writes: { attempted: number; acknowledged: number; failed: number; lost: number; stashedOnly: number } | null
  stashes: string[]
  placement: { epoch: number | null; master: string | null; replicas: string[] | null }
}

/** The drill's figures once it has reported them; null before. */
export function drillFigures(events: readonly OperationEvent[]): DrillFigures | null {
  const done = lastOf(events, 'done')
  const result = lastOf(events, 'result')
  if (done === undefined && result === undefined) return null
  const pick = (k: string): unknown => result?.[k] ?? done?.[k] ?? null
  const num = (v: unknown) => (typeof v === 'number' ? v : null)
  const writes = (isRecord(result?.writes) ? result.writes : done) ?? {}
  const placement = isRecord(result?.placement) ? result.placement : {}
  const stashes = Array.isArray(result?.stashes) ? result.stashes.filter((s): s is string => typeof s === 'string') : []
  const stash = pick('stash')
  return {
    mode: typeof pick('mode') === 'string' ? (pick('mode') as string) : null,
    detectionMs: num(pick('detectionMs')),
    recoveryMs: num(pick('recoveryMs')),
    writes: typeof writes.attempted === 'number'
      ? { attempted: writes.attempted, acknowledged: num(writes.acknowledged) ?? 0, failed: num(writes.failed) ?? 0, lost: num(writes.lost) ?? 0, stashedOnly: num(writes.stashedOnly) ?? 0 }
      : typeof done?.lostWrites === 'number' ? { attempted: 0, acknowledged: 0, failed: 0, lost: done.lostWrites, stashedOnly: 0 } : null,
    stashes: stashes.length > 0 ? stashes : typeof stash === 'string' ? [stash] : [],
    placement: {
      epoch: num(placement.epoch) ?? num(done?.epoch),
      master: typeof placement.master === 'string' ? placement.master : typeof done?.master === 'string' ? done.master : null,
      replicas: Array.isArray(placement.replicas) ? placement.replicas.map(String) : null
    }
  }
}

/** [label, value] rows, in the order the CLI's `shoal drill` prints them. */
export function drillReportRows(f: DrillFigures): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['detection', f.detectionMs !== null ? `${f.detectionMs} ms` : f.mode === 'graceful' ? 'none: a planned promote, nothing failed' : 'not measured'],
    ['recovery', f.recoveryMs !== null ? `${f.recoveryMs} ms` : 'no probe write reached the new master']
  ]
  const w = f.writes
  if (w !== null) {
    const counts = w.attempted > 0 || w.acknowledged > 0 ? `${w.attempted} attempted, ${w.acknowledged} acknowledged, ${w.failed} failed, ` : ''
    rows.push(['writes', `${counts}${w.lost} lost${w.stashedOnly > 0 ? `, ${w.stashedOnly} kept only in the stash` : ''}`])
  }
  rows.push(['stash', f.stashes.length > 0 ? f.stashes.join(', ') : 'none'])
  const p = f.placement
  const parts = [p.epoch !== null ? `epoch ${p.epoch}` : null, `master ${p.master ?? 'unknown'}`, p.replicas !== null ? `replicas ${p.replicas.join(', ') || 'none'}` : null]
  rows.push(['placement', parts.filter((x) => x !== null).join(', ')])
  return rows
}

function lastOf(events: readonly OperationEvent[], tag: string): Record<string, unknown> | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (events[i]!.tag === tag && isDrillFigures(events[i]!.data)) return events[i]!.data
  return undefined
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
