/** A fraction as a bar with its percentage, coloured by how full it is. */
import { Text } from 'ink'
import { barText } from './bar-text.js'
import { percent } from './format.js'
import { usePaint } from './paint-context.js'
import type { Tone } from './paint.js'
import { loadTone } from './tones.js'

export function Bar({ fraction, width, tone, label }: { fraction: number; width: number; tone?: Tone; label?: string }) {
  const paint = usePaint()
  return <Text>{paint(barText(fraction, width), tone ?? loadTone(fraction))} {label ?? percent(fraction).padStart(4)}</Text>
}
