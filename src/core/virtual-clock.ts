import type { Clock, TimerHandle } from './clock.js'

interface Timer {
  at: number
  order: number
  fn: () => void
  cancelled: boolean
}

/**
 * A discrete-event clock for simulations: time only moves when `advance` runs the timers due.
 * A thousand simulated nodes then behave as if each had its own machine.
 */
export class VirtualClock implements Clock {
  private time = 0
  private order = 0
  private readonly heap: Timer[] = []

  now(): number {
    return this.time
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: Timer = { at: this.time + Math.max(0, ms), order: this.order++, fn, cancelled: false }
    this.push(t)
    return { cancel: () => void (t.cancelled = true) }
  }

  /** Runs every timer due up to now + ms, in order; returns how many ran. */
  advance(ms: number): number {
    const until = this.time + ms
    let ran = 0
    while (this.heap.length > 0 && this.heap[0]!.at <= until) {
      const t = this.pop()
      if (t.cancelled) continue
      this.time = t.at
      t.fn()
      ran++
    }
    this.time = until
    return ran
  }

  /** Advances until `done()` holds or `limitMs` passes; returns the time it took. */
  runUntil(done: () => boolean, limitMs: number, stepMs = 1): number {
    const start = this.time
    while (!done() && this.time - start < limitMs) this.advance(stepMs)
    return this.time - start
  }

  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order)
  }

  private push(t: Timer): void {
    const h = this.heap
    h.push(t)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.less(h[i]!, h[p]!)) break
      ;[h[i], h[p]] = [h[p]!, h[i]!]
      i = p
    }
  }

  private pop(): Timer {
    const h = this.heap
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m]!, h[i]!]
        i = m
      }
    }
    return top
  }
}
