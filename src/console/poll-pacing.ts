/**
 * How long to wait before the next poll: the configured interval, stretched when drawing the
 * result costs more than CPU_BUDGET of a core. A thousand-app screen on a slow or busy machine
 * then refreshes less often instead of eating the node's CPU; events still refresh at once.
 */
export const CPU_BUDGET = 0.01
export const MAX_POLL_MS = 10_000
const SMOOTHING = 0.3

export interface PollPacing {
  /** Smoothed milliseconds one poll's redraw took. */
  costMs: number
}

export function recordDrawCost(p: PollPacing, ms: number): PollPacing {
  return { costMs: p.costMs === 0 ? ms : p.costMs + SMOOTHING * (ms - p.costMs) }
}

export function nextPollDelay(p: PollPacing, intervalMs: number, budget = CPU_BUDGET): number {
  return Math.round(Math.min(Math.max(intervalMs, MAX_POLL_MS), Math.max(intervalMs, p.costMs / budget)))
}
