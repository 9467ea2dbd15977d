import type { NodeId } from './types.js'

/** A pinned app goes back to its node once that node has been alive this long (not at its first sign of life: it may flap). */
export const PIN_RETURN_AFTER_MS = 10_000
/** After a failed attempt, the next is not made before this. */
export const PIN_RETRY_MS = 60_000

export interface PinReturnFacts {
  self: NodeId
  /** The app's pin ('' when it has none) and its master now. */
  pin: NodeId
  master: NodeId
  /** The placement's state: an app is moved back only while it runs. */
  state: string
  /** The pin node is alive, and since when (ms); null when it is not alive. */
  pinAliveSince: number | null
  /** A move of the app is in progress on this node. */
  busy: boolean
  /** When this node's last try to move the app back failed (0: none did). */
  lastTryAt: number
  now: number
}

/**
 * True when this node, the master of a pinned app that runs elsewhere than its pin (after a
 * failover, or a drill), should move it back to the pinned node now.
 */
export function pinReturnDue(f: PinReturnFacts): boolean {
  if (f.pin === '' || f.pin === f.master || f.master !== f.self) return false
  if (f.state !== 'running' || f.busy || f.pinAliveSince === null) return false
  return f.now - f.pinAliveSince >= PIN_RETURN_AFTER_MS && f.now - f.lastTryAt >= PIN_RETRY_MS
}
