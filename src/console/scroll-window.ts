/** Which slice of a long list to draw so the cursor stays visible, roughly centred. Pure. */
export function scrollWindow(cursor: number, count: number, height: number): { start: number; end: number } {
  if (height <= 0 || count <= 0) return { start: 0, end: 0 }
  const at = Math.min(Math.max(0, cursor), count - 1)
  const start = Math.max(0, Math.min(at - Math.floor(height / 2), count - height))
  return { start, end: Math.min(count, start + height) }
}
