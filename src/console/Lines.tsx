/**
 * A block of pre-formatted lines, each already no wider than the box. They are drawn as one
 * Text node: Ink measures and lays out one node instead of one per line, which is most of a
 * frame's cost for a long list. Lines that might be too wide must use `cut` instead.
 */
import { Box, Text } from 'ink'

export function Lines({ lines, height, cut = false }: { lines: readonly string[]; height?: number; cut?: boolean }) {
  const shown = height === undefined ? lines : lines.slice(0, height)
  return (
    <Box flexDirection="column" height={height ?? shown.length}>
      {cut
        ? shown.map((line, i) => <Text key={i} wrap="truncate-end">{line === '' ? ' ' : line}</Text>)
        : <Text>{shown.join('\n')}</Text>}
    </Box>
  )
}
