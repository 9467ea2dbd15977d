/** The last word before a change: the question in full, then yes or no. */
import { Text } from 'ink'
import { confirmQuestion } from './action-words.js'
import type { ActionKind } from './console-reducer.js'
import { DIALOG_CHROME, DialogBox } from './DialogBox.js'
import { wrapText } from './wrap-text.js'

export interface ConfirmDialogProps {
  action: ActionKind
  app: string
  target: string | null
  master: string | null
  width: number
}

/** The question's lines inside the dialog's border and padding. */
function questionLines({ action, app, target, master, width }: ConfirmDialogProps): string[] {
  return wrapText(confirmQuestion(action, app, target, master), width - 4)
}

/** Lines the dialog takes on screen, its frame included. */
export function confirmDialogHeight(props: ConfirmDialogProps): number {
  return questionLines(props).length + DIALOG_CHROME
}

export function ConfirmDialog(props: ConfirmDialogProps) {
  return (
    <DialogBox title="Confirm" hint="y or Enter: go ahead · n or Esc: cancel" width={props.width}>
      {questionLines(props).map((l, i) => <Text key={i} wrap="truncate-end">{l}</Text>)}
    </DialogBox>
  )
}
