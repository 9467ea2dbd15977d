/** One line per streamed operation step, in the words the CLI also uses. */
import type { OperationEvent } from '../control/types.js'
import { bytes } from './format.js'

export function operationLine(e: OperationEvent): string {
  const d = e.data
  const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : undefined)
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined)
  switch (e.tag) {
    case 'sync': return `syncing a replica on ${str('node') ?? 'the target'}`
    case 'precopy': return `pre-copy round ${num('round') ?? '?'}: ${bytes(num('bytes'))}`
    case 'pause': return `paused: holding ${num('held') ?? 0} requests`
    case 'final': return `final snapshot sent: ${bytes(num('bytes'))}`
    case 'start': return `starting on ${str('node') ?? 'the target'}`
    case 'health': return d.ok === false ? 'health check failed' : 'health check passed'
    case 'pinned': return `pinned to ${str('node') ?? '?'}`
    case 'stop': return `stopping ${str('node') ?? 'the master'} (${str('mode') ?? 'drill'})`
    case 'detect': return `failure detected in ${num('afterMs') ?? num('detectionMs') ?? '?'} ms`
    case 'promote': return `${str('node') ?? '?'} promoted (epoch ${num('epoch') ?? '?'})`
    case 'restore': return `restoring ${str('node') ?? 'the old master'}`
    case 'done': return doneLine(d)
    default: return `${e.tag} ${summarise(d)}`.trim()
  }
}

/** Fraction complete when the event says so (`sent`/`total` or `progress`), else null. */
export function operationProgress(e: OperationEvent | undefined): number | null {
  if (!e) return null
  const { sent, total, progress } = e.data
  if (typeof progress === 'number') return progress
  if (typeof sent === 'number' && typeof total === 'number' && total > 0) return sent / total
  return null
}

function doneLine(d: Record<string, unknown>): string {
  if (typeof d.pauseMs === 'number') return `done: paused ${d.pauseMs} ms${typeof d.epoch === 'number' ? `, epoch ${d.epoch}` : ''}`
  if (typeof d.recoveryMs === 'number') return `done: detected in ${d.detectionMs} ms, recovered in ${d.recoveryMs} ms, ${d.lostWrites ?? 0} writes lost`
  return 'done'
}

function summarise(d: Record<string, unknown>): string {
  return Object.entries(d)
    .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ')
}
