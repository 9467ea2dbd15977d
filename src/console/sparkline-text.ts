/** Recent values drawn with the eight block heights; the newest value is at the right. */
const LEVELS = '▁▂▃▄▅▆▇█'

/** `values` are fractions 0..1; only the last `width` are drawn, padded on the left. */
export function sparklineText(values: readonly number[], width: number): string {
  if (width <= 0) return ''
  const shown = values.slice(-width)
  let out = ' '.repeat(width - shown.length)
  for (const v of shown) {
    const f = Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0
    out += LEVELS[Math.min(LEVELS.length - 1, Math.floor(f * LEVELS.length))]
  }
  return out
}
