import net, { type AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { EventEmitter } from 'node:events'
import { ClientConnection, type FrontContext } from './client-connection.js'
import type { LinkAcceptor } from './front-context.js'
import { listen } from './listen.js'
import type { RouteResolver } from './route.js'
import { AppTraffic } from './traffic.js'

/** Requests that went through this many Shoal fronts are refused with 508 (a routing loop). */
export const MAX_HOPS = 8
export const MAX_HEADER_SIZE = 16 * 1024
/** A client must finish sending its headers within this long (slowloris). */
export const HEADERS_TIMEOUT_MS = 10_000
/** …and its whole request within this long. */
export const REQUEST_TIMEOUT_MS = 300_000
export const KEEP_ALIVE_TIMEOUT_MS = 5_000
/** How often the front checks the timeouts above. */
export const TIMEOUT_CHECK_MS = 1_000
/** A request for an app with no target waits this long for one before its 503. */
export const NO_TARGET_WAIT_MS = 2_000
export const RETRY_AFTER_SEC = 2
/** An upstream connection idle this long is closed rather than reused (below common app
 * keep-alive timeouts, so the app is not the one closing it under a new request). */
export const UPSTREAM_IDLE_MS = 4_000

export interface HttpFrontOptions {
  resolver: RouteResolver
  /** Gates and counters shared with the TCP fronts; a private one is made if omitted. */
  traffic?: AppTraffic
  /** Listen address; 127.0.0.1 unless the node says otherwise. */
  host?: string
  port?: number
  /** Value of X-Forwarded-Proto set by this front. */
  proto?: 'http' | 'https'
  /** Named in the 404 body so an operator knows which node answered. */
  nodeName?: string
  maxHops?: number
  maxHeaderSize?: number
  headersTimeoutMs?: number
  requestTimeoutMs?: number
  keepAliveTimeoutMs?: number
  timeoutCheckMs?: number
  noTargetWaitMs?: number
  retryAfterSec?: number
  upstreamIdleMs?: number
  /**
   * Takes over a connection that asked for a front link (another node's front, see
   * mesh/front-links.ts) with the bytes read after its request head. Without it such a request
   * is routed like any other (and gets 404: no app serves the link's host).
   */
  acceptLink?: LinkAcceptor
}

type Settings = Required<Omit<HttpFrontOptions, 'resolver' | 'traffic' | 'acceptLink'>>

/**
 * The HTTP listener of a node: routes by Host, passes each request (and WebSocket upgrade)
 * through the app's pause gate, and forwards it to the app's master over an upstream
 * connection pinned to the client's (see ClientConnection: bytes are relayed as they are, only
 * request heads are rewritten). Answers by itself: 404 unknown host, 503 + Retry-After no
 * target, 502 target unreachable, 508 hop limit, 400 smuggling attempt or malformed request,
 * 431 huge headers, 408 slow headers.
 *
 * Events: 'listening' ({host, port}), 'refused' ({status, reason, host}), 'upstream-error'
 * ({app, target?, error}: the target did not answer; a `direct` one may be worth avoiding).
 */
export class HttpFront extends EventEmitter implements FrontContext {
  readonly traffic: AppTraffic
  readonly resolver: RouteResolver
  readonly settings: Settings
  readonly keepAliveHint: string
  readonly acceptLink: LinkAcceptor | null
  private readonly server: net.Server
  private readonly connections = new Set<ClientConnection>()
  private sweeper: NodeJS.Timeout | null = null
  private opening: Promise<AddressInfo> | null = null
  private closing: Promise<void> | null = null
  /**
   * Partition drills: while set, requests forwarded by other Shoal fronts get their connection
   * cut, as if the network between the nodes were down; local clients are served as usual.
   */
  isolated = false
  /** See FrontContext.coarseNow. */
  coarseNow = performance.now()

  constructor(options: HttpFrontOptions) {
    super()
    this.resolver = options.resolver
    this.traffic = options.traffic ?? new AppTraffic()
    this.acceptLink = options.acceptLink ?? null
    this.settings = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      proto: options.proto ?? 'http',
      nodeName: options.nodeName ?? 'this node',
      maxHops: options.maxHops ?? MAX_HOPS,
      maxHeaderSize: options.maxHeaderSize ?? MAX_HEADER_SIZE,
      headersTimeoutMs: options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
      requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS,
      timeoutCheckMs: options.timeoutCheckMs ?? TIMEOUT_CHECK_MS,
      noTargetWaitMs: options.noTargetWaitMs ?? NO_TARGET_WAIT_MS,
      retryAfterSec: options.retryAfterSec ?? RETRY_AFTER_SEC,
      upstreamIdleMs: options.upstreamIdleMs ?? UPSTREAM_IDLE_MS
    }
    this.keepAliveHint = `timeout=${Math.floor(this.settings.keepAliveTimeoutMs / 1000)}`
    // Half-open allowed: a client may send its request, then its FIN, and still wait for the answer.
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true })
    this.server.on('connection', (sock: Duplex) => this.serve(sock))
  }

  /**
   * Serves a connection that did not come through the listener (e.g. a mesh tunnel stream from
   * another node), exactly as if it had: same routing, gate, counters and limits.
   */
  accept(stream: Duplex): void {
    this.server.emit('connection', stream)
  }

  /** Starts listening (idempotent). Resolves with the bound address. */
  ready(): Promise<AddressInfo> {
    this.opening ??= listen(this.server, this.settings.port, this.settings.host).then((addr) => {
      this.emit('listening', { host: addr.address, port: addr.port })
      return addr
    })
    return this.opening
  }

  /** The bound port (after ready()). */
  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0
  }

  /** Stops listening and cuts every connection, upstream ones included (idempotent). */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.stopSweeper()
      for (const c of [...this.connections]) c.destroy()
      if (!this.server.listening) return resolve()
      this.server.close(() => resolve())
    })
    return this.closing
  }

  forget(conn: ClientConnection): void {
    this.connections.delete(conn)
    if (this.connections.size === 0) this.stopSweeper()
  }

  private serve(sock: Duplex): void {
    if (this.closing !== null) return void sock.destroy()
    this.coarseNow = performance.now()
    this.connections.add(new ClientConnection(sock, this))
    if (this.sweeper === null) {
      // Timeouts are swept, not armed per request: a timer per request costs more than the request.
      this.sweeper = setInterval(() => this.sweep(), this.settings.timeoutCheckMs)
      this.sweeper.unref()
    }
  }

  private sweep(): void {
    const now = performance.now()
    this.coarseNow = now
    for (const c of this.connections) c.checkTimeouts(now)
  }

  private stopSweeper(): void {
    if (this.sweeper !== null) clearInterval(this.sweeper)
    this.sweeper = null
  }
}
