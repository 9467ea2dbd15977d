/** The frame shared by the picker, the confirmation and the operation panel. */
import type { ReactNode } from 'react'
import { Box, Text } from 'ink'
import { usePaint } from './paint-context.js'

/** Border (2 lines) + title + hint, around the dialog's own lines. */
export const DIALOG_CHROME = 4

export function DialogBox({ title, hint, width, children }: { title: string; hint: string; width: number; children: ReactNode }) {
  const paint = usePaint()
  return (
    <Box flexDirection="column" borderStyle="round" width={width} paddingX={1} flexShrink={0}>
      <Text wrap="truncate-end">{paint(title, 'bold')}</Text>
      {children}
      <Text wrap="truncate-end">{paint(hint, 'dim')}</Text>
    </Box>
  )
}
