/** The bottom line: the filter being typed, a message or error, a running operation, or key hints. */
import type { ConsoleState } from './console-reducer.js'
import { keyHints } from './key-hints.js'
import { Lines } from './Lines.js'
import { operationLine } from './operation-text.js'
import { usePaint } from './paint-context.js'
import { StyledLine } from './styled-line.js'

export function StatusBar({ state, pollError, width }: { state: ConsoleState; pollError: string | null; width: number }) {
  const paint = usePaint()
  const line = new StyledLine(width, paint)
  const op = state.operation
  if (op && op.status === 'running' && state.dialog.kind !== 'operation') {
    line.add(`${op.action} ${op.app}`, 'cyan').add(`: ${op.events.length ? operationLine(op.events.at(-1)!) : 'starting'}  ·  `)
  }
  if (state.filtering) line.add(`Filter: /${state.filter}▏  (Enter keep · Esc stop typing)`)
  else if (state.message) line.add(state.message.text, state.message.tone === 'error' ? 'red' : 'yellow')
  else if (pollError) line.add(`Cannot reach the node: ${pollError}`, 'red')
  else line.add(keyHints(state))
  return <Lines lines={[line.toString()]} width={width} />
}
