import type { RouteResolver, Target } from './route.js'

const POLL_MIN_MS = 20
const POLL_MAX_MS = 250

/**
 * Asks the resolver for an app's target until it has one, `waitMs` passes, or `signal` aborts
 * (the client left). Polls with a growing delay: a master is usually found within a gossip
 * round. Resolves null when none turned up.
 */
export async function waitForTarget(
  resolver: Pick<RouteResolver, 'target'>,
  app: string,
  waitMs: number,
  signal?: AbortSignal
): Promise<Target | null> {
  const deadline = Date.now() + waitMs
  let delay = POLL_MIN_MS
  for (;;) {
    const t = await resolver.target(app)
    if (t || signal?.aborted) return t
    const left = deadline - Date.now()
    if (left <= 0) return null
    await new Promise((r) => setTimeout(r, Math.min(delay, left)))
    delay = Math.min(delay * 2, POLL_MAX_MS)
  }
}
