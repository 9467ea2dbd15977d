/** A running or finished operation: each streamed step, a progress bar when known, the outcome. */
import { Text } from 'ink'
import { operationTitle } from './action-words.js'
import { Bar } from './Bar.js'
import type { Operation } from './console-reducer.js'
import { DIALOG_CHROME, DialogBox } from './DialogBox.js'
import { OPERATION_MAX_ROWS, operationPanelLines } from './operation-panel-lines.js'
import { usePaint } from './paint-context.js'

/** Border and padding on each side of the panel's lines. */
const SIDES = 4

/** Lines the panel takes on screen, its frame included. */
export function operationPanelHeight(operation: Operation, width: number, maxRows = OPERATION_MAX_ROWS): number {
  return operationPanelLines(operation, width - SIDES, maxRows).length + DIALOG_CHROME
}

export function OperationPanel({ operation, width, maxRows = OPERATION_MAX_ROWS }: { operation: Operation; width: number; maxRows?: number }) {
  const paint = usePaint()
  const status =
    operation.status === 'running' ? paint('running', 'cyan') : operation.status === 'done' ? paint('done', 'green') : paint('failed', 'red')
  const hint = operation.status === 'running' ? 'Esc hides this panel; the operation keeps running' : 'Esc or Enter closes'
  const lines = operationPanelLines(operation, width - SIDES, maxRows)
  return (
    <DialogBox title={`${operationTitle(operation.action, operation.app, operation.target)}: ${status}`} hint={hint} width={width}>
      {lines.map((l, i) => {
        if (l.kind === 'bar') return <Bar key={i} fraction={l.fraction} width={Math.max(6, width - SIDES - 5)} tone="cyan" />
        const mark = l.mark === 'ok' ? `${paint('✓', 'green')} ` : l.mark === 'failed' ? `${paint('✗', 'red')} ` : ''
        return <Text key={i} wrap="truncate-end">{mark}{paint(l.text, l.tone)}</Text>
      })}
    </DialogBox>
  )
}
