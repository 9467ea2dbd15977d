import type { Duplex } from 'node:stream'
import net, { type AddressInfo } from 'node:net'
import { EventEmitter } from 'node:events'
import { ShoalError } from '../core/errors.js'
import { listen } from './listen.js'
import { socketBytesSinceLast } from './socket-bytes.js'
import type { RouteResolver } from './route.js'
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
    socket.off('close', onGone)
    if (got === null || abort.signal.aborted) {
      if (got === null && !abort.signal.aborted) this.emit('refused', { app: this.app, reason: 'held too long, or no healthy master in time' })
      got?.pass.leave()
      socket.destroy()
      return
    }
    const { pass, target } = got
    const metrics = this.traffic.metrics(this.app)
    metrics.connectionOpened()
    const upstream = connectTarget(target)
    pass.onTerminate(() => socket.destroy())
    splice(socket, upstream, (err) => {
      if (err && !ShoalError.is(err)) this.emit('upstream-error', { app: this.app, target, error: err })
      metrics.connectionClosed()
      metrics.exchange(socketBytesSinceLast(socket))
      pass.leave()
    })
    socket.resume()
  }
}
