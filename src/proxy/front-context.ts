// The contract between a front and the client connections it accepts (HttpFront implements it).
import type net from 'node:net'
import type { ClientConnection } from './client-connection.js'
import type { RouteResolver, Target } from './route.js'
import type { AppTraffic } from './traffic.js'

/** Takes over a connection that asked for a front link (`url`: its request's target), with the
 * bytes read after its request head. */
export type LinkAcceptor = (sock: net.Socket, rest: Buffer | null, url: string) => void

/** What a connection needs from the front that accepted it. */
export interface FrontContext {
  readonly resolver: RouteResolver
  readonly traffic: AppTraffic
  readonly settings: {
    readonly proto: string
    readonly nodeName: string
    readonly maxHops: number
    readonly maxHeaderSize: number
    readonly headersTimeoutMs: number
    readonly requestTimeoutMs: number
    readonly keepAliveTimeoutMs: number
    readonly noTargetWaitMs: number
    readonly retryAfterSec: number
    readonly upstreamIdleMs: number
  }
  readonly isolated: boolean
  /**
   * performance.now() as of the last timeout sweep (or new connection): good enough for timeouts
   * of seconds, and free, where a clock read per event is not.
   */
  readonly coarseNow: number
  /** The Keep-Alive value clients are told ("timeout=5"): the front's idle timeout. */
  readonly keepAliveHint: string
  emit(event: 'refused', e: { status: number; reason: string; host: string | null }): boolean
  emit(event: 'upstream-error', e: { app: string | null; target?: Target; error: unknown }): boolean
  /** Takes over a connection that asked for a front link (HttpFrontOptions.acceptLink), or null. */
  readonly acceptLink: LinkAcceptor | null
  /** The connection closed: stop tracking it. */
  forget(conn: ClientConnection): void
}
