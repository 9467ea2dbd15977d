/**
 * Time as the protocol sees it. The node uses real timers; large simulations use a virtual clock
 * so a thousand nodes can run in one process without the host's scheduling noise.
 */
export interface TimerHandle {
  cancel(): void
}

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number
  /** Runs fn once after ms; the handle cancels it. Never throws into the caller. */
  setTimeout(fn: () => void, ms: number): TimerHandle
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms)
    t.unref?.()
    return { cancel: () => clearTimeout(t) }
  }
}

/** Repeats fn every ms (first run after ms) until cancelled. */
export function every(clock: Clock, ms: number, fn: () => void): TimerHandle {
  let cancelled = false
  let handle: TimerHandle | null = null
  const tick = () => {
    if (cancelled) return
    fn()
    if (!cancelled) handle = clock.setTimeout(tick, ms)
  }
  handle = clock.setTimeout(tick, ms)
  return {
    cancel() {
      cancelled = true
      handle?.cancel()
    }
  }
}
