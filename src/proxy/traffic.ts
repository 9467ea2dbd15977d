import type { AppLoad } from '../core/types.js'
import { AppMetrics, type AppMetricsOptions } from './metrics.js'
import { PauseGate, type PauseGateOptions } from './pause-gate.js'
import type { Target } from './route.js'

export interface AppTrafficOptions {
  gate?: PauseGateOptions
  metrics?: AppMetricsOptions
}

/**
 * The per-app gate and counters, shared by the HTTP and TCP fronts of one node so a pause holds
 * both kinds of traffic and the load figures add up. Entries are created on first use.
 */
export class AppTraffic {
  private readonly gates = new Map<string, PauseGate<Target>>()
  private readonly counters = new Map<string, AppMetrics>()

  constructor(private readonly opts: AppTrafficOptions = {}) {}

  gate(app: string): PauseGate<Target> {
    let g = this.gates.get(app)
    if (!g) {
      g = new PauseGate<Target>(this.opts.gate)
      this.gates.set(app, g)
    }
    return g
  }

  metrics(app: string): AppMetrics {
    let m = this.counters.get(app)
    if (!m) {
      m = new AppMetrics(this.opts.metrics)
      this.counters.set(app, m)
    }
    return m
  }

  /** Load of every app seen, for the node record (`cpu` comes from the supervisor). */
  loads(cpuOf: (app: string) => number = () => 0): Record<string, AppLoad> {
    const out: Record<string, AppLoad> = Object.create(null)
    for (const [app, m] of this.counters) out[app] = m.load(cpuOf(app))
    return out
  }

  /** True when this app has a gate or figures here. */
  has(app: string): boolean {
    return this.gates.has(app) || this.counters.has(app)
  }

  /** Forgets an app removed from the cluster. Its held entries are refused first. */
  forget(app: string, reason: Error): void {
    this.gates.get(app)?.refuseHeld(reason)
    this.gates.delete(app)
    this.counters.delete(app)
  }
}
