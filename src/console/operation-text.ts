/**
 * One plain sentence per streamed operation step (src/node/migration.ts for move, promote and
 * pin; src/node/drill.ts for drills), so the panel never shows a raw step name.
 */
import type { OperationEvent } from '../control/types.js'
import { bytes } from './format.js'

/** What the whole operation already knows, for steps whose figure a later report settles. */
export interface OperationFacts {
  /** The drill report's detection time: fault → the cluster declared the master dead. */
  detectionMs?: number | null
}

export function operationLine(e: OperationEvent, facts: OperationFacts = {}): string {
  const d = e.data
  const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : undefined)
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined)
  const node = str('node')
  switch (e.tag) {
    case 'start':
      return str('from') !== undefined ? `moving ${str('app') ?? 'the app'} from ${str('from')} to ${str('to') ?? '?'}` : `starting on ${node ?? 'the target'}`
    case 'replica': return `${node ?? 'the target'} becomes a replica first`
    case 'sync': return `syncing a replica on ${node ?? 'the target'}`
    case 'precopy':
      return str('skipped') !== undefined ? `pre-copy round ${num('round') ?? '?'} skipped: ${str('skipped')}` : `pre-copy round ${num('round') ?? '?'}: ${bytes(num('bytes'))} sent`
    case 'stage': return `${node ?? 'the target'} laid out the data ahead of the pause`
    case 'pause':
      return num('inFlight') !== undefined ? `new requests held; waiting for ${num('inFlight')} in flight` : `paused: holding ${num('held') ?? 0} requests`
    case 'final': return `final snapshot sent: ${bytes(num('bytes'))}`
    case 'start-target': return `starting on ${node ?? 'the target'}`
    case 'health': return `health check ${d.ok === false ? 'failed' : 'passed'}${node ? ` on ${node}` : ''}`
    case 'pinned': return `pinned to ${node ?? '?'}`
    case 'error': return `failed: ${str('message') ?? str('code') ?? 'unknown error'}`
    case 'result': return resultLine(d)
    case 'probe': return `probe writing to ${str('path') ?? '/'} through ${Array.isArray(d.targets) ? d.targets.join(', ') : 'the other nodes'}`
    case 'stop': return stopLine(d)
    case 'detect': return detectLine(d, facts)
    case 'promote': return promoteLine(d)
    case 'restore': {
      const stash = str('stash')
      return `${node ?? 'the old master'} is back as a replica${stash ? `; its divergent writes are stashed as ${stash}` : ''}`
    }
    case 'done': return doneLine(d)
    default: return unknownStep(e)
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

/** A drill's `done` and `result` carry its figures; a move's only the pause. */
export function isDrillFigures(d: Record<string, unknown>): boolean {
  return 'recoveryMs' in d || 'detectionMs' in d
}

function stopLine(d: Record<string, unknown>): string {
  if (d.mode === 'graceful') return `fault: ${typeof d.action === 'string' ? d.action : 'a planned promote'}`
  const who = typeof d.node === 'string' ? d.node : 'the master'
  const how = d.mode === 'partition' ? 'is cut off' : 'crashes'
  return `fault: ${who} ${how}${typeof d.durationMs === 'number' ? ` for ${Math.round(d.durationMs / 1000)} s` : ''}`
}

/**
 * The drill's report measures detection on the node that took over; this node's own sighting comes
 * a little later. Once the report's figure is known it replaces the sighting, so one figure is shown.
 */
function detectLine(d: Record<string, unknown>, facts: OperationFacts): string {
  const who = `${typeof d.node === 'string' ? d.node : 'the master'} declared dead`
  const reported = typeof facts.detectionMs === 'number' ? facts.detectionMs : null
  if (reported !== null) return `${who} after ${reported} ms`
  const seen = typeof d.afterMs === 'number' ? d.afterMs : typeof d.detectionMs === 'number' ? d.detectionMs : null
  if (typeof d.seenBy === 'string') return `${who} by ${d.seenBy}${seen === null ? '' : ` after ${seen} ms`}`
  return seen === null ? who : `${who} (seen from here after ${seen} ms)`
}

function promoteLine(d: Record<string, unknown>): string {
  // A graceful drill's promote is a planned move: its steps arrive wrapped, with the move's tag in `step`.
  if (typeof d.step === 'string') return `promote: ${operationLine({ tag: d.step, data: d })}`
  const head = `${typeof d.node === 'string' ? d.node : '?'} is master (epoch ${typeof d.epoch === 'number' ? d.epoch : '?'})`
  if (typeof d.afterMs === 'number') return `${head} after ${d.afterMs} ms`
  if (typeof d.pauseMs === 'number') return `${head}, paused ${d.pauseMs} ms`
  return head
}

function doneLine(d: Record<string, unknown>): string {
  if (typeof d.pauseMs === 'number') return `done: paused ${d.pauseMs} ms${typeof d.epoch === 'number' ? `, epoch ${d.epoch}` : ''}`
  if (isDrillFigures(d)) {
    const lost = typeof d.lost === 'number' ? d.lost : typeof d.lostWrites === 'number' ? d.lostWrites : null
    const master = typeof d.master === 'string' ? `${d.master} is master${typeof d.epoch === 'number' ? ` (epoch ${d.epoch})` : ''}` : 'drill over'
    return `done: ${master}${lost === null ? '' : `, ${lost} write${lost === 1 ? '' : 's'} lost`}`
  }
  return 'done'
}

function resultLine(d: Record<string, unknown>): string {
  if (isDrillFigures(d)) return `drill report: ${d.ok === false ? 'failed' : 'ok'}`
  if (d.ok === false) return `failed: ${typeof d.error === 'string' ? d.error : 'the operation did not complete'}`
  return `${typeof d.app === 'string' ? d.app : 'the app'} runs on ${typeof d.to === 'string' ? d.to : '?'} now${typeof d.epoch === 'number' ? ` (epoch ${d.epoch})` : ''}`
}

/** A step this console does not know yet: its name in words and its simple figures. */
function unknownStep(e: OperationEvent): string {
  const facts = Object.entries(e.data)
    .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
    .map(([k, v]) => `${k} ${String(v)}`)
  return `${e.tag.replace(/[-_]+/g, ' ')}${facts.length ? `: ${facts.join(', ')}` : ''}`
}
