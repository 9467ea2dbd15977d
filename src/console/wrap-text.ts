/**
 * Breaks text into lines of at most `width` at spaces, so a long sentence is read whole instead of
 * cut at the edge. Lines after the first start with `indent` spaces (and hold that much less); a
 * word longer than a line is split.
 */
export function wrapText(text: string, width: number, indent = 0): string[] {
  if (width <= 0) return []
  const pad = ' '.repeat(Math.max(0, Math.min(indent, width - 1)))
  const lines: string[] = []
  let line = ''
  const room = () => width - (lines.length === 0 ? 0 : pad.length)
  const push = () => {
    lines.push((lines.length === 0 ? '' : pad) + line)
    line = ''
  }
  for (let word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > room()) push()
    while (word.length > room()) {
      if (line !== '') push()
      line = word.slice(0, room())
      word = word.slice(room())
      push()
    }
    if (word !== '') line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '' || lines.length === 0) push()
  return lines
}
