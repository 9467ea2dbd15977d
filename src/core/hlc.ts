/**
 * Hybrid logical clock: wall-clock ms plus a counter, so causally later writes always compare
 * higher even when clocks disagree a little. Ties between writers are broken by node id.
 */
export interface Hlc {
  wall: number
  logical: number
}

export function compareHlc(a: Hlc, b: Hlc): number {
  return a.wall - b.wall || a.logical - b.logical
}

/** The next timestamp for a local write, after everything seen so far (`last`). */
export function tickHlc(last: Hlc, nowMs: number): Hlc {
  return nowMs > last.wall ? { wall: nowMs, logical: 0 } : { wall: last.wall, logical: last.logical + 1 }
}

/** Folds a remote timestamp into the local clock so later local writes outrank it. */
export function observeHlc(last: Hlc, remote: Hlc): Hlc {
  return compareHlc(remote, last) > 0 ? remote : last
}
