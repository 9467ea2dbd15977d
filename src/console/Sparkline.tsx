/** Recent values (fractions 0..1) as a sparkline, newest at the right. */
import { Text } from 'ink'
import { usePaint } from './paint-context.js'
import { sparklineText } from './sparkline-text.js'

export function Sparkline({ values, width }: { values: readonly number[]; width: number }) {
  const paint = usePaint()
  return <Text>{paint(sparklineText(values, width), 'cyan')}</Text>
}
