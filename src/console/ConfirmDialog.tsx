/** The last word before a change: the question in full, then yes or no. */
import { Text } from 'ink'
import { confirmQuestion } from './action-words.js'
import type { ActionKind } from './console-reducer.js'
import { DialogBox } from './DialogBox.js'

export interface ConfirmDialogProps {
  action: ActionKind
  app: string
  target: string | null
  master: string | null
  width: number
}

export function ConfirmDialog({ action, app, target, master, width }: ConfirmDialogProps) {
  return (
    <DialogBox title="Confirm" hint="y or Enter: go ahead · n or Esc: cancel" width={width}>
      <Text wrap="wrap">{confirmQuestion(action, app, target, master)}</Text>
    </DialogBox>
  )
}
