/** Every key, in two groups; shown over the body with `?`. */
import { Box, Text } from 'ink'
import { usePaint } from './paint-context.js'

const MOVING: Array<[string, string]> = [
  ['Tab 1 2 3', 'switch view: nodes, apps, events'],
  ['↑ ↓ j k', 'move the cursor (PgUp PgDn g G: page, top, end)'],
  ['Enter', 'details of the selected app or node'],
  ['Esc', 'back, close a dialog, clear the filter'],
  ['/', 'filter the list (Enter keeps it, Esc stops typing)'],
  ['s', 'sort by the next column'],
  ['?', 'this help'],
  ['q Ctrl-C', 'quit']
]

const ACTIONS: Array<[string, string]> = [
  ['p', 'pin the app to a node'],
  ['u', 'unpin the app'],
  ['m', 'move the app to another node (live)'],
  ['P', 'promote a replica to master'],
  ['d', 'failover drill: crash, partition or graceful'],
  ['o', 'show the last operation']
]

/** `notes`: lines shown first under their own heading (the demo's commands to try). */
export function HelpOverlay({ height, readOnly, notes = [] }: { height: number; readOnly: boolean; notes?: readonly string[] }) {
  const paint = usePaint()
  const line = ([k, v]: [string, string]) => <Text key={k} wrap="truncate-end">  {paint(k.padEnd(10), 'bold')} {v}</Text>
  return (
    <Box flexDirection="column" height={height} overflowY="hidden">
      {notes.length > 0 && <Text>{paint('Try, from another terminal', 'bold')}</Text>}
      {notes.map((n, i) => <Text key={`note-${i}`} wrap="truncate-end">  {n}</Text>)}
      <Text>{paint('Keys', 'bold')}</Text>
      {MOVING.map(line)}
      <Text>{paint(readOnly ? 'Actions (refused: this console is read-only)' : 'Actions on the selected app (each asks for a target, then confirmation)', 'bold')}</Text>
      {ACTIONS.map(line)}
      <Text>{paint('Press ? or Esc to close.', 'dim')}</Text>
    </Box>
  )
}
