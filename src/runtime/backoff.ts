/** First restart delay after a crash. */
export const BACKOFF_INITIAL_MS = 200
/** Restart delays never grow past this. */
export const BACKOFF_MAX_MS = 30_000
export const BACKOFF_FACTOR = 2
/** Random spread added to each delay, as a fraction of it, so apps do not restart in lockstep. */
export const BACKOFF_JITTER = 0.1

export interface BackoffOptions {
  initialMs?: number
  maxMs?: number
  factor?: number
  jitter?: number
  random?: () => number
}

/** Exponential restart delays: initial, ×factor each time, capped; `reset()` after a good run. */
export class Backoff {
  private readonly initialMs: number
  private readonly maxMs: number
  private readonly factor: number
  private readonly jitter: number
  private readonly random: () => number
  private attempt = 0

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? BACKOFF_INITIAL_MS
    this.maxMs = opts.maxMs ?? BACKOFF_MAX_MS
    this.factor = opts.factor ?? BACKOFF_FACTOR
    this.jitter = opts.jitter ?? BACKOFF_JITTER
    this.random = opts.random ?? Math.random
  }

  /** The delay before the next attempt; each call lengthens the following one. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * Math.pow(this.factor, this.attempt))
    this.attempt++
    return Math.min(this.maxMs, Math.round(base * (1 + this.jitter * this.random())))
  }

  reset(): void {
    this.attempt = 0
  }
}

/** Counts events (crashes) inside a sliding time window. */
export class EventWindow {
  private times: number[] = []
  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now
  ) {}

  /** Records one event and returns how many fell inside the window, this one included. */
  record(): number {
    const t = this.now()
    this.times = this.times.filter((x) => t - x < this.windowMs)
    this.times.push(t)
    return this.times.length
  }

  clear(): void {
    this.times = []
  }
}
