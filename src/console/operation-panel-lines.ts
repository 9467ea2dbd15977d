/**
 * What the operation panel prints, as lines that already fit its width: each step as a sentence
 * (wrapped, never cut), a drill's report over several rows, the error sentence, a progress bar.
 * Pure, so ConsoleScreen sizes the panel from the same lines the panel draws.
 */
import type { Operation } from './console-reducer.js'
import { drillFigures, drillReportRows } from './drill-report-text.js'
import { operationLine, operationProgress } from './operation-text.js'
import type { Tone } from './paint.js'
import { wrapText } from './wrap-text.js'

/** Lines a running operation shows: its newest steps, and the progress bar when there is one. */
export const OPERATION_ROWS = 6
/** Most lines a finished operation takes, report and error included. */
export const OPERATION_MAX_ROWS = 12

export type PanelLine =
  | { kind: 'text'; text: string; mark?: 'ok' | 'failed'; tone?: Tone }
  | { kind: 'bar'; fraction: number }

/** Width of the label column of a drill report row. */
const LABEL = 10
/** Steps are printed after a two-cell mark ("✓ "). */
const MARK = 2

/** `width` is the panel's inner width; `maxRows` the most lines it may take once finished. */
export function operationPanelLines(op: Operation, width: number, maxRows = OPERATION_MAX_ROWS): PanelLine[] {
  const figures = op.action === 'drill' ? drillFigures(op.events) : null
  const facts = { detectionMs: figures?.detectionMs }
  const report: PanelLine[] = figures === null ? [] : drillReportRows(figures).flatMap(([label, value]) =>
    wrapText(value, width - MARK - LABEL - 1).map((text, i): PanelLine => ({ kind: 'text', text: `${' '.repeat(MARK)}${(i === 0 ? label : '').padEnd(LABEL)} ${text}` })))
  const error: PanelLine[] = op.error === null ? [] : wrapText(op.error, width).map((text): PanelLine => ({ kind: 'text', text, tone: 'red' }))
  const progress = op.status === 'running' ? operationProgress(op.events.at(-1)) : null
  const bar: PanelLine[] = progress === null ? [] : [{ kind: 'bar', fraction: progress }]

  // The result repeats the done step (a move) or is the report above (a drill); a failure's
  // error step is said in full by the error sentence.
  const shown = op.events.filter((e) => e.tag !== 'result' && !(e.tag === 'error' && op.error !== null))
  const steps = shown.map((e) => wrapText(operationLine(e, facts), width - MARK).map((text, i): PanelLine =>
    i === 0 ? { kind: 'text', text, mark: e.tag === 'error' ? 'failed' : 'ok' } : { kind: 'text', text: ' '.repeat(MARK) + text }))
  const rows = op.status === 'running' ? OPERATION_ROWS : Math.max(OPERATION_ROWS, maxRows)
  let room = Math.max(1, rows - report.length - error.length - bar.length)
  const kept: PanelLine[][] = []
  for (let i = steps.length - 1; i >= 0 && room > 0; i--) {
    const step = steps[i]!
    kept.unshift(step.slice(0, room))
    room -= Math.min(room, step.length)
  }
  const body = kept.flat()
  if (body.length === 0 && op.status === 'running') body.push({ kind: 'text', text: 'starting…' })
  return [...body, ...report, ...bar, ...error]
}
