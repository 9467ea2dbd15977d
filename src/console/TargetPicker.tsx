/** Choosing where an action goes: nodes (replicas first) or drill modes. */
import { Text } from 'ink'
import type { ActionKind } from './console-reducer.js'
import { pickerTitle } from './action-words.js'
import { DialogBox } from './DialogBox.js'
import { usePaint } from './paint-context.js'
import { scrollWindow } from './scroll-window.js'

export const PICKER_ROWS = 8

export interface TargetPickerProps {
  action: ActionKind
  app: string
  options: readonly string[]
  index: number
  /** Marks options with a note, e.g. which nodes are replicas. */
  note?: (option: string) => string
  width: number
}

export function TargetPicker({ action, app, options, index, note, width }: TargetPickerProps) {
  const paint = usePaint()
  const { start, end } = scrollWindow(index, options.length, PICKER_ROWS)
  return (
    <DialogBox title={pickerTitle(action, app)} hint="↑/↓ or j/k choose · Enter select · Esc cancel" width={width}>
      {options.slice(start, end).map((o, i) => {
        const selected = start + i === index
        const text = `${o}${note ? `  ${note(o)}` : ''}`
        return <Text key={o} wrap="truncate-end">{selected ? paint(`› ${text}`, 'bold') : `  ${text}`}</Text>
      })}
    </DialogBox>
  )
}
