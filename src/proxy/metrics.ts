import type { AppLoad } from '../core/types.js'
import { LatencyHistogram } from './latency-histogram.js'

/** Width of the sliding window load figures are computed over. */
export const WINDOW_MS = 10_000
/** The window moves in slots this wide. */
export const SLOT_MS = 1_000

export interface AppMetricsOptions {
  windowMs?: number
  slotMs?: number
  now?: () => number
}

interface Slot {
  start: number
  requests: number
  bytes: number
  latency: LatencyHistogram
}

/**
 * Per-app traffic figures over a sliding window: requests and bytes per second, latency
 * percentiles, and the connections open right now. Fed by the fronts; read by the node for its
 * gossiped load record. Memory is fixed (one histogram per slot).
 */
export class AppMetrics {
  private readonly slotMs: number
  private readonly slots: Slot[]
  private readonly now: () => number
  private readonly created: number
  /** Connections (HTTP sockets or TCP streams) open right now. */
  connections = 0
  /** Lifetime totals. */
  totalRequests = 0
  totalBytes = 0

  constructor(opts: AppMetricsOptions = {}) {
    this.slotMs = opts.slotMs ?? SLOT_MS
    const n = Math.max(1, Math.round((opts.windowMs ?? WINDOW_MS) / this.slotMs))
    this.now = opts.now ?? Date.now
    this.created = this.now()
    this.slots = Array.from({ length: n }, () => ({ start: -1, requests: 0, bytes: 0, latency: new LatencyHistogram() }))
  }

  /** One finished request and how long it took end to end; a TCP connection passes no latency
   * (its lifetime says nothing about the app's speed). */
  request(latencyMs?: number): void {
    const s = this.slot()
    s.requests++
    if (latencyMs !== undefined) s.latency.record(latencyMs)
    this.totalRequests++
  }

  /** One finished request and the bytes it moved: `request` and `bytes` in one. */
  exchange(bytes: number, latencyMs?: number): void {
    const s = this.slot()
    s.requests++
    s.bytes += bytes
    if (latencyMs !== undefined) s.latency.record(latencyMs)
    this.totalRequests++
    this.totalBytes += bytes
  }

  /** Bytes moved in either direction. */
  bytes(n: number): void {
    this.slot().bytes += n
    this.totalBytes += n
  }

  connectionOpened(): void {
    this.connections++
  }

  connectionClosed(): void {
    if (this.connections > 0) this.connections--
  }

  /** The load over the window. `cpu` is left to the caller (the supervisor measures it). */
  load(cpu = 0): AppLoad {
    const now = this.now()
    const current = Math.floor(now / this.slotMs)
    const merged = new LatencyHistogram()
    let requests = 0
    let bytes = 0
    for (const s of this.slots) {
      if (s.start < 0 || current - s.start >= this.slots.length) continue
      requests += s.requests
      bytes += s.bytes
      merged.add(s.latency)
    }
    // The window is the current, partial slot plus the n-1 before it; a young counter has not
    // seen a whole window yet, so divide by what it has seen.
    const windowSpan = (this.slots.length - 1) * this.slotMs + (now % this.slotMs)
    const spanMs = Math.max(1, Math.min(windowSpan, now - this.created))
    const perSec = 1000 / spanMs
    return {
      rps: requests * perSec,
      bytesPerSec: bytes * perSec,
      connections: this.connections,
      p50Ms: merged.quantile(0.5),
      p99Ms: merged.quantile(0.99),
      cpu
    }
  }

  private slot(): Slot {
    const index = Math.floor(this.now() / this.slotMs)
    const s = this.slots[index % this.slots.length]
    if (s.start !== index) {
      s.start = index
      s.requests = 0
      s.bytes = 0
      s.latency.clear()
    }
    return s
  }
}
