import type { Duplex } from 'node:stream'
import net, { type AddressInfo } from 'node:net'
import { EventEmitter } from 'node:events'
import { ShoalError } from '../core/errors.js'
import { listen } from './listen.js'
import { socketBytesSinceLast } from './socket-bytes.js'
import { sameTarget, type RouteResolver, type Target } from './route.js'
import { connectTarget, splice } from './target-connect.js'
import { AppTraffic } from './traffic.js'
import { admitRequest } from './request-admission.js'

/** A connection for an app with no target waits this long for one, then is closed. */
export const NO_TARGET_WAIT_MS = 2_000

export interface TcpFrontOptions {
  app: string
  /** The app's TCP port plus this node's port offset; 0 picks a free one (tests). */
  port: number
  host?: string
  /**
   * The app's TCP target from this node. A `direct` target must be the master node's TCP front
   * for this app (not its HTTP front); `local` is the app's own port.
   */
  resolver: Pick<RouteResolver, 'target'>
  traffic?: AppTraffic
  noTargetWaitMs?: number
}

/**
 * The TCP listener for one app: each connection passes the app's pause gate (held during a
 * move), then is spliced to the target byte for byte. Without a target within the wait, the
 * connection is closed (TCP has no way to say 503).
 *
 * Events: 'listening' ({port}), 'refused' ({app, reason}), 'upstream-error' ({app, target?, error}).
 */
export class TcpFront extends EventEmitter {
  readonly app: string
  readonly traffic: AppTraffic
  private readonly server: net.Server
  private readonly opts: TcpFrontOptions
  private readonly sockets = new Set<net.Socket>()
  private opening: Promise<AddressInfo> | null = null
  private closing: Promise<void> | null = null

  constructor(opts: TcpFrontOptions) {
    super()
    this.opts = opts
    this.app = opts.app
    this.traffic = opts.traffic ?? new AppTraffic()
    this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
      this.onConnection(socket).catch((err: unknown) => {
        this.emit('upstream-error', { app: this.app, error: err })
        socket.destroy()
      })
    })
  }

  /** Serves a connection that came another way (a mesh tunnel stream), through the same gate. */
  accept(stream: Duplex): void {
    this.onConnection(stream as net.Socket).catch((err: unknown) => {
      this.emit('upstream-error', { app: this.app, error: err })
      stream.destroy()
    })
  }

  /** Starts listening (idempotent); resolves with the bound address. */
  ready(): Promise<AddressInfo> {
    this.opening ??= listen(this.server, this.opts.port, this.opts.host ?? '127.0.0.1').then((addr) => {
      this.emit('listening', { port: addr.port })
      return addr
    })
    return this.opening
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0
  }

  /** Stops listening and cuts every connection (idempotent). */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const s of this.sockets) s.destroy()
      if (!this.server.listening) return resolve()
      this.server.close(() => resolve())
    })
    return this.closing
  }

  private async onConnection(socket: net.Socket): Promise<void> {
    this.sockets.add(socket)
    socket.on('error', () => {})
    socket.once('close', () => this.sockets.delete(socket))
    const abort = new AbortController()
    const onGone = () => abort.abort(new ShoalError('GATE_TIMEOUT', 'client went away'))
    socket.once('close', onGone)
    // Hold the client's first bytes (it may speak first) until the target is there.
    socket.pause()
    const got = await admitRequest(this.traffic, this.opts.resolver, this.app, null, this.opts.noTargetWaitMs ?? NO_TARGET_WAIT_MS, abort.signal)
    if (got === null || abort.signal.aborted) {
      socket.off('close', onGone)
      if (got === null && !abort.signal.aborted) this.emit('refused', { app: this.app, reason: 'held too long, or no healthy master in time' })
      got?.pass.leave()
      socket.destroy()
      return
    }
    const { pass } = got
    let target = got.target
    let upstream = connectTarget(target)
    // A connection to another node is made before any of the client's bytes go into it: one that
    // fails to connect (refused, unreachable, timed out) took nothing, so the client is sent
    // wherever the router says once told (the mesh tunnel), not cut.
    const failed = await connectFailure(target, upstream)
    if (failed !== null && !abort.signal.aborted) {
      this.emit('upstream-error', { app: this.app, target, error: failed })
      const again = await this.opts.resolver.target(this.app)
      if (again === null || sameTarget(again, target)) abort.abort(failed)
      else {
        target = again
        upstream = connectTarget(target)
      }
    }
    socket.off('close', onGone)
    if (abort.signal.aborted || socket.destroyed) {
      socket.destroy()
      upstream.destroy()
      pass.leave()
      return
    }
    const metrics = this.traffic.metrics(this.app)
    metrics.connectionOpened()
    pass.onTerminate(() => socket.destroy())
    const spliced = target
    splice(socket, upstream, (err) => {
      if (err && !ShoalError.is(err)) this.emit('upstream-error', { app: this.app, target: spliced, error: err })
      metrics.connectionClosed()
      metrics.exchange(socketBytesSinceLast(socket))
      pass.leave()
    })
    socket.resume()
  }
}

/** Resolves with the error when a direct connection fails before it is made, else null (made,
 * or not a direct one). */
function connectFailure(target: Target, upstream: Duplex): Promise<Error | null> {
  if (target.kind !== 'direct' || !(upstream instanceof net.Socket) || !upstream.connecting) return Promise.resolve(null)
  return new Promise((resolve) => {
    const onConnect = () => {
      upstream.off('error', onError)
      resolve(null)
    }
    const onError = (err: Error) => {
      upstream.off('connect', onConnect)
      resolve(err)
    }
    upstream.once('connect', onConnect)
    upstream.once('error', onError)
  })
}
