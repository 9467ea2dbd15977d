/** A running or finished operation: each streamed step, a progress bar when known, the outcome. */
import { Text } from 'ink'
import { operationTitle } from './action-words.js'
import { Bar } from './Bar.js'
import type { Operation } from './console-reducer.js'
import { DialogBox } from './DialogBox.js'
import { operationLine, operationProgress } from './operation-text.js'
import { usePaint } from './paint-context.js'

export const OPERATION_ROWS = 6

export function OperationPanel({ operation, width, rows = OPERATION_ROWS }: { operation: Operation; width: number; rows?: number }) {
  const paint = usePaint()
  const last = operation.events.at(-1)
  const progress = operationProgress(last)
  const status =
    operation.status === 'running' ? paint('running', 'cyan') : operation.status === 'done' ? paint('done', 'green') : paint('failed', 'red')
  const steps = operation.events.slice(-(rows - (progress === null ? 0 : 1)))
  const hint = operation.status === 'running' ? 'Esc hides this panel; the operation keeps running' : 'Esc or Enter closes'
  return (
    <DialogBox title={`${operationTitle(operation.action, operation.app, operation.target)}: ${status}`} hint={hint} width={width}>
      {steps.length === 0 && operation.status === 'running' ? <Text>starting…</Text> : null}
      {steps.map((e, i) => <Text key={operation.events.length - steps.length + i} wrap="truncate-end">{paint('✓', 'green')} {operationLine(e)}</Text>)}
      {progress !== null && operation.status === 'running' ? <Bar fraction={progress} width={Math.max(6, width - 12)} tone="cyan" /> : null}
      {operation.error ? <Text wrap="wrap">{paint(operation.error, 'red')}</Text> : null}
    </DialogBox>
  )
}
