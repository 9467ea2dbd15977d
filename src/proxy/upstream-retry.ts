// When a request whose upstream connection failed may be sent again, and where to.

/** Connect failures: the request never reached the app, so trying elsewhere is safe. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'CONNECT_TIMEOUT', 'NO_MASTER'])
/** What a pooled connection the app had just closed looks like. */
const CLOSED_BY_APP = new Set(['ECONNRESET', 'EPIPE'])

/**
 * Where to send again a request that failed with error `code` before any response byte came
 * back (the caller makes sure it has no body and was not retried yet):
 * - 'same-target': it went on a pinned connection (`reused`) that the app had just closed;
 * - 'rerouted': connecting failed, so the app never saw it; wherever the router says now (a
 *   direct path that stopped answering may give way to a tunnel);
 * - null: the app may have seen it, so it is not sent again.
 */
export function retryRoute(code: string, reused: boolean): 'same-target' | 'rerouted' | null {
  if (reused && CLOSED_BY_APP.has(code)) return 'same-target'
  return NEVER_CONNECTED.has(code) ? 'rerouted' : null
}

/** True when `err` says a connection was never made (so nothing was sent over it). */
export function isConnectFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && NEVER_CONNECTED.has(code)
}
