/** The bottom line: the filter being typed, a message or error, a running operation, or key hints. */
import { Text } from 'ink'
import type { ConsoleState } from './console-reducer.js'
import { operationLine } from './operation-text.js'
import { usePaint } from './paint-context.js'

export function StatusBar({ state, pollError }: { state: ConsoleState; pollError: string | null }) {
  const paint = usePaint()
  const op = state.operation
  const opText = op && op.status === 'running' && state.dialog.kind !== 'operation'
    ? `${paint(`${op.action} ${op.app}`, 'cyan')}: ${op.events.length ? operationLine(op.events.at(-1)!) : 'starting'}  ·  `
    : ''
  let text: string
  if (state.filtering) text = `Filter: /${state.filter}▏  (Enter keep · Esc stop typing)`
  else if (state.message) text = paint(state.message.text, state.message.tone === 'error' ? 'red' : 'yellow')
  else if (pollError) text = paint(`Cannot reach the node: ${pollError}`, 'red')
  else if (state.details) text = `Esc back · ${state.details.kind === 'app' ? 'p pin · u unpin · m move · P promote · d drill · ' : ''}? help · q quit`
  else text = `${state.filter ? `filter "${state.filter}" (Esc clears) · ` : ''}? help · / filter · s sort (${state.view === 'nodes' ? state.nodeSort : state.view === 'apps' ? state.appSort : 'time'}) · Enter details · q quit`
  return <Text wrap="truncate-end">{opText}{text}</Text>
}
