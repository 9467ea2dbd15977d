import { describe, expect, it } from 'vitest'
import { AppMetrics } from '../../src/proxy/metrics.js'
import { LatencyHistogram } from '../../src/proxy/latency-histogram.js'

describe('LatencyHistogram', () => {
  it('gives percentiles within 5 %', () => {
    const h = new LatencyHistogram()
    for (let i = 1; i <= 1000; i++) h.record(i / 10) // 0.1 .. 100 ms
    expect(h.quantile(0.5)).toBeGreaterThanOrEqual(50)
    expect(h.quantile(0.5)).toBeLessThanOrEqual(50 * 1.06)
    expect(h.quantile(0.99)).toBeGreaterThanOrEqual(99)
    expect(h.quantile(0.99)).toBeLessThanOrEqual(99 * 1.06)
    expect(new LatencyHistogram().quantile(0.5)).toBe(0)
  })
})

describe('AppMetrics', () => {
  it('reports rps, bytes/s, connections and latency over a sliding window', () => {
    let now = 1_000_000
    const m = new AppMetrics({ windowMs: 10_000, slotMs: 1_000, now: () => now })
    now += 10_000 // a full window old
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 100; i++) {
        m.request(i < 99 ? 2 : 200)
        m.bytes(1000)
      }
      now += 1000
    }
    m.connectionOpened()
    m.connectionOpened()
    m.connectionClosed()
    const load = m.load(0.25)
    expect(load.rps).toBeCloseTo(100, 0)
    expect(load.bytesPerSec).toBeCloseTo(100_000, -3)
    expect(load.connections).toBe(1)
    expect(load.p50Ms).toBeGreaterThanOrEqual(2)
    expect(load.p50Ms).toBeLessThan(2.2)
    expect(load.p99Ms).toBeLessThan(2.2)
    expect(load.cpu).toBe(0.25)
    // Traffic older than the window is forgotten.
    now += 20_000
    const idle = m.load()
    expect(idle.rps).toBe(0)
    expect(idle.p99Ms).toBe(0)
    expect(m.totalRequests).toBe(1000)
  })

  it('a young counter divides by the time it has existed', () => {
    let now = 5_000_000
    const m = new AppMetrics({ now: () => now })
    now += 2000
    for (let i = 0; i < 40; i++) m.request(1)
    expect(m.load().rps).toBeCloseTo(20, 0)
  })
})
