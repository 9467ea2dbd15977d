/** A block of exactly `height` pre-formatted lines, each cut at the terminal's edge. */
import { Box, Text } from 'ink'

export function Lines({ lines, height }: { lines: readonly string[]; height?: number }) {
  const shown = height === undefined ? lines : lines.slice(0, height)
  return (
    <Box flexDirection="column" height={height ?? shown.length}>
      {shown.map((line, i) => <Text key={i} wrap="truncate-end">{line === '' ? ' ' : line}</Text>)}
    </Box>
  )
}
