/** Renders rows as left-aligned columns for a terminal (no colour: pipes and logs stay clean). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n')
}

export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`
}

export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23)
}
