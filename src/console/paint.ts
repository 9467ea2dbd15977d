/**
 * Colour as plain SGR escapes chosen per console, not through chalk's process-wide level: an SSH
 * session has its own terminal, and NO_COLOR must turn colour off while keeping every word.
 */
export type Tone = 'green' | 'yellow' | 'red' | 'cyan' | 'gray' | 'magenta' | 'blue' | 'bold' | 'inverse' | 'dim'

const CODES: Record<Tone, [number, number]> = {
  green: [32, 39],
  yellow: [33, 39],
  red: [31, 39],
  cyan: [36, 39],
  magenta: [35, 39],
  blue: [34, 39],
  gray: [90, 39],
  bold: [1, 22],
  dim: [2, 22],
  inverse: [7, 27]
}

export type Painter = (text: string, tone: Tone | null | undefined) => string

export function painter(color: boolean): Painter {
  if (!color) return (text) => text
  return (text, tone) => {
    if (!tone || text === '') return text
    const [on, off] = CODES[tone]
    return `\u001b[${on}m${text}\u001b[${off}m`
  }
}

/** Colour unless NO_COLOR is set (to anything, as no-color.org says) or TERM is dumb. */
export function colorWanted(env: NodeJS.ProcessEnv): boolean {
  return env.NO_COLOR === undefined && env.TERM !== 'dumb'
}
