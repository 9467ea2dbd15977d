/**
 * A block of pre-painted lines, each no wider than `width`, drawn through Ink's Transform over a
 * blank placeholder of the same size. Ink lays out and measures the placeholder, which depends
 * only on the block's size: measuring is cheap (plain ASCII) and Ink's text-measure cache,
 * which keeps every distinct text it has measured for the life of the process, stays bounded
 * however long the console runs. The lines themselves only go through Ink's per-frame output.
 */
import { useCallback } from 'react'
import { Box, Text, Transform } from 'ink'

const blanks = new Map<string, string>()

function placeholder(width: number, height: number): string {
  const key = `${width}x${height}`
  let text = blanks.get(key)
  if (text === undefined) {
    text = Array.from({ length: height }, () => ' '.repeat(Math.max(1, width))).join('\n')
    blanks.set(key, text)
  }
  return text
}

export function Lines({ lines, width, height }: { lines: readonly string[]; width: number; height?: number }) {
  const h = height ?? lines.length
  const transform = useCallback((_line: string, index: number) => lines[index] ?? '', [lines])
  if (h <= 0 || width <= 0) return null
  return (
    <Box height={h} width={width} flexShrink={0}>
      <Transform transform={transform}>
        <Text>{placeholder(width, h)}</Text>
      </Transform>
    </Box>
  )
}
