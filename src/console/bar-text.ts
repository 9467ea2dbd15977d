/** A fraction drawn as a bar of block characters, with eighth-block precision. */
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉']

export function barText(fraction: number, width: number): string {
  if (width <= 0) return ''
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0
  const eighths = Math.round(f * width * 8)
  const full = Math.floor(eighths / 8)
  const rest = EIGHTHS[eighths % 8]!
  const filled = '█'.repeat(full) + rest
  return filled + '·'.repeat(Math.max(0, width - full - (rest ? 1 : 0)))
}
