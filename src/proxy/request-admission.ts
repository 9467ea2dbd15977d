import { ShoalError } from '../core/errors.js'
import type { GatePass } from './pause-gate.js'
import type { RouteResolver, Target } from './route.js'
import type { AppTraffic } from './traffic.js'
import { waitForTarget } from './wait-for-target.js'

/** A request let through its app's gate, and where to send it. */
export interface Admission {
  pass: GatePass<Target>
  target: Target
}

/**
 * The slow way in for one request: through the app's gate (held while it is paused), then to a
 * target (the one a release handed over, or the router's, waited for up to `waitMs`). Resolves
 * null when the gate refused (hold timeout, too many held, `signal` aborted) or no target turned
 * up: the 503 case. `quick` is a pass the caller already holds from tryEnter().
 */
export async function admitRequest(
  traffic: AppTraffic,
  resolver: Pick<RouteResolver, 'target'>,
  app: string,
  quick: GatePass<Target> | null,
  waitMs: number,
  signal: AbortSignal
): Promise<Admission | null> {
  if (quick !== null) {
    const target = await resolver.target(app)
    if (target !== null) return { pass: quick, target }
    quick.leave()
  }
  let pass: GatePass<Target>
  try {
    pass = await traffic.gate(app).enter({ signal })
  } catch (err) {
    if (ShoalError.is(err)) return null
    throw err
  }
  const target = pass.target ?? (await waitForTarget(resolver, app, waitMs, signal))
  if (target === null) {
    pass.leave()
    return null
  }
  return { pass, target }
}
