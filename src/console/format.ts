/** Small pure formatters shared by the views: widths, ages, sizes. */

/** Pads or cuts `text` to exactly `width` columns; a cut ends in an ellipsis. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return ''
  if (text.length > width) return width === 1 ? '…' : text.slice(0, width - 1) + '…'
  return align === 'left' ? text.padEnd(width) : text.padStart(width)
}

export function age(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-'
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h`
  return `${Math.floor(h / 24)}d`
}

export function lag(ms: number | null): string {
  if (ms === null) return '?'
  if (ms < 1000) return `${Math.round(ms)}ms`
  return age(ms)
}

export function rtt(ms: number | null): string {
  if (ms === null) return '-'
  if (ms === 0) return 'self'
  return ms < 10 ? `${ms.toFixed(1)}ms` : `${Math.round(ms)}ms`
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '-'
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let v = n
  let u = 0
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++ }
  return `${v < 10 && u > 0 ? v.toFixed(1) : Math.round(v)}${units[u]}`
}

export function percent(fraction: number): string {
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`
}

export function clock(ms: number): string {
  const d = new Date(ms)
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, '0')).join(':')
}

/** Short id for display: the first 8 characters. */
export function shortId(id: string | null): string {
  return id ? id.slice(0, 8) : '-'
}

/** A running transfer in a few words: "syncing 41% of 1.1GB, 60MB/s, 12s left". */
export function transferText(t: { phase: string; bytes: number; totalBytes: number; rate: number; etaMs: number | null }): string {
  if (t.phase === 'manifest') return 'syncing: manifest'
  if (t.phase === 'commit') return 'syncing: committing'
  const pct = t.totalBytes > 0 ? Math.min(99, Math.floor((100 * t.bytes) / t.totalBytes)) : 0
  const left = t.etaMs === null ? '' : `, ${age(t.etaMs)} left`
  return `syncing ${pct}% of ${bytes(t.totalBytes)}, ${bytes(t.rate)}/s${left}`
}

/** Fraction of a running transfer done (0…1). */
export function transferDone(t: { bytes: number; totalBytes: number }): number {
  return t.totalBytes > 0 ? Math.min(1, t.bytes / t.totalBytes) : 0
}
