import type { Duplex } from 'node:stream'

/**
 * Where an app's master answers, as seen from this node:
 * - `local`: the app runs here and listens on 127.0.0.1:port;
 * - `direct`: another node's proxy front at its advertised address (forwarded requests carry
 *   the hop counter, so a stale route cannot loop forever);
 * - `tunnel`: a stream over the mesh connection to the master's node; `open()` returns a fresh
 *   duplex per connection and must not block (errors surface as stream errors).
 */
export type Target =
  | { kind: 'local'; port: number }
  | { kind: 'direct'; host: string; port: number }
  | {
      kind: 'tunnel'
      /** Names the far end (e.g. the master's node id): connections are pooled per key. */
      key: string
      open(): Duplex
    }

/**
 * The routing table the fronts consult; the node implements it from the cluster state.
 * Both methods are called on every request or connection, so they should be cheap.
 */
export interface RouteResolver {
  /** The app that serves this Host header (already lower-cased, without port), or null. */
  resolve(host: string): { app: string } | null
  /**
   * The current target of an app, or null when it has no healthy master right now (the front
   * then waits a little and asks again before answering 503). Must not reject.
   */
  target(app: string): Promise<Target | null>
  /**
   * The same answer as `target`, synchronously, for resolvers that know it without waiting
   * (the HTTP front then skips a promise per request). Optional.
   */
  currentTarget?(app: string): Target | null
}

/** True when both name the same far end, so a connection to one serves the other. */
export function sameTarget(a: Target, b: Target): boolean {
  if (a.kind === 'local') return b.kind === 'local' && a.port === b.port
  if (a.kind === 'direct') return b.kind === 'direct' && a.port === b.port && a.host === b.host
  return b.kind === 'tunnel' && a.key === b.key
}

/** A stable string naming a target, for pooling and logs. */
export function targetKey(t: Target): string {
  switch (t.kind) {
    case 'local':
      return `local:${t.port}`
    case 'direct':
      return `direct:${t.host}:${t.port}`
    case 'tunnel':
      return `tunnel:${t.key}`
  }
}

/** Host header → lookup key: lower case, port and trailing dot removed. */
export function normalizeHost(host: string | undefined): string {
  if (!host) return ''
  let h = host.trim().toLowerCase()
  if (h.startsWith('[')) {
    const end = h.indexOf(']')
    return end > 0 ? h.slice(0, end + 1) : h
  }
  const colon = h.lastIndexOf(':')
  if (colon >= 0) h = h.slice(0, colon)
  if (h.endsWith('.')) h = h.slice(0, -1)
  return h
}
