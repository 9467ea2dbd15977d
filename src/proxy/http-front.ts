import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { EventEmitter } from 'node:events'
import { ShoalError } from '../core/errors.js'
import { AgentPool, type AgentPoolOptions } from './agent-pool.js'
import { forwardHeaders, hopsOf, responseHeaders, smugglingReason } from './forward-headers.js'
import type { GatePass } from './pause-gate.js'
import { endWithStatus } from './raw-response.js'
import { socketBytesSinceLast } from './socket-bytes.js'
import { normalizeHost, type RouteResolver, type Target } from './route.js'
import { connectTarget, splice } from './target-connect.js'
import { AppTraffic } from './traffic.js'
import { waitForTarget } from './wait-for-target.js'

/** Requests that went through this many Shoal fronts are refused with 508 (a routing loop). */
export const MAX_HOPS = 8
export const MAX_HEADER_SIZE = 16 * 1024
/** A client must finish sending its headers within this long (slowloris). */
export const HEADERS_TIMEOUT_MS = 10_000
/** …and its whole request within this long. */
export const REQUEST_TIMEOUT_MS = 300_000
export const KEEP_ALIVE_TIMEOUT_MS = 5_000
/** How often the server checks the two timeouts above. */
export const TIMEOUT_CHECK_MS = 1_000
/** A request for an app with no target waits this long for one before its 503. */
export const NO_TARGET_WAIT_MS = 2_000
export const RETRY_AFTER_SEC = 2
/** Connect failures: the request never reached the app, so trying elsewhere is safe. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'NO_MASTER'])
/** Abort reason when a client leaves while held; made once, errors are costly to build. */
const CLIENT_GONE = new ShoalError('GATE_TIMEOUT', 'client went away')

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
  agents?: AgentPoolOptions
}

/**
 * The HTTP listener of a node: routes by Host, passes each request (and WebSocket upgrade)
 * through the app's pause gate, and forwards it to the app's master with keep-alive pools.
 * Answers by itself: 404 unknown host, 503 + Retry-After no target, 502 target unreachable,
 * 508 hop limit, 400 smuggling attempt, 431 huge headers, 408 slow headers.
 *
 * Events: 'listening' ({host, port}), 'refused' ({status, reason, host}), 'upstream-error'
 * ({app, target?, error}: the target did not answer; a `direct` one may be worth avoiding).
 */
export class HttpFront extends EventEmitter {
  readonly traffic: AppTraffic
  private readonly server: http.Server
  private readonly agents: AgentPool
  private readonly resolver: RouteResolver
  private readonly opts: Required<Omit<HttpFrontOptions, 'resolver' | 'traffic' | 'agents' | 'nodeName'>> & { nodeName: string }
  private readonly upgraded = new Set<Duplex>()
  private opening: Promise<AddressInfo> | null = null
  private closing: Promise<void> | null = null
  /**
   * Partition drills: while set, requests forwarded by other Shoal fronts get their connection
   * cut, as if the network between the nodes were down; local clients are served as usual.
   */
  isolated = false

  constructor(options: HttpFrontOptions) {
    super()
    this.resolver = options.resolver
    this.traffic = options.traffic ?? new AppTraffic()
    this.agents = new AgentPool(options.agents)
    this.opts = {
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
      retryAfterSec: options.retryAfterSec ?? RETRY_AFTER_SEC
    }
    this.server = http.createServer({
      maxHeaderSize: this.opts.maxHeaderSize,
      headersTimeout: this.opts.headersTimeoutMs,
      requestTimeout: this.opts.requestTimeoutMs,
      keepAliveTimeout: this.opts.keepAliveTimeoutMs,
      connectionsCheckingInterval: this.opts.timeoutCheckMs,
      requireHostHeader: true,
      insecureHTTPParser: false,
      noDelay: true
    })
    this.server.on('request', (req, res) => {
      this.onRequest(req, res).catch((err) => this.internalError(res, err))
    })
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.onUpgrade(req, socket, head).catch((err) => {
        this.emit('upstream-error', { app: null, error: err })
        endWithStatus(socket, 500, 'shoal: internal error\n')
      })
    })
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket))
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
    this.opening ??= new Promise<AddressInfo>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject)
        const addr = this.server.address() as AddressInfo
        this.emit('listening', { host: addr.address, port: addr.port })
        resolve(addr)
      })
    })
    return this.opening
  }

  /** The bound port (after ready()). */
  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0
  }

  /** Stops listening and cuts every connection, pooled upstream ones included (idempotent). */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.agents.destroy()
      for (const s of this.upgraded) s.destroy()
      if (!this.server.listening) return resolve()
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
    return this.closing
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now()
    const smuggling = smugglingReason(req)
    if (smuggling) return this.refuse(res, 400, `shoal: request refused: ${smuggling}\n`, req, true)
    const host = normalizeHost(req.headers.host)
    const route = this.resolver.resolve(host)
    if (!route) return this.refuse(res, 404, `shoal: no app serves host "${host}" on ${this.opts.nodeName}\n`, req)
    const hops = hopsOf(req)
    if (hops > 0 && this.isolated) return void req.socket.destroy()
    if (!(hops < this.opts.maxHops)) {
      return this.refuse(res, 508, `shoal: request for "${host}" went through ${req.headers['x-shoal-hops']} proxies; refusing a routing loop\n`, req)
    }
    const app = route.app
    // Hot path: an open gate and a known target need no abort plumbing.
    const quick = this.traffic.gate(app).tryEnter()
    if (quick) {
      const target = await this.resolver.target(app)
      if (target) return this.forward(req, res, app, quick, target, hops, started)
      quick.leave()
    }
    const abort = new AbortController()
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(CLIENT_GONE)
    })
    const got = await this.admit(app, abort.signal)
    if (abort.signal.aborted) return got?.pass.leave()
    if (!got) return this.noTarget(res, app, req)
    this.forward(req, res, app, got.pass, got.target, hops, started)
  }

  /** Gate, then a target: null when none turned up in time (the 503 case). */
  private async admit(app: string, signal: AbortSignal): Promise<{ pass: GatePass<Target>; target: Target } | null> {
    let pass: GatePass<Target>
    try {
      pass = await this.traffic.gate(app).enter({ signal })
    } catch (err) {
      if (ShoalError.is(err)) return null
      throw err
    }
    const target = pass.target ?? (await waitForTarget(this.resolver, app, this.opts.noTargetWaitMs, signal))
    if (!target) {
      pass.leave()
      return null
    }
    return { pass, target }
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    app: string,
    pass: GatePass<Target>,
    target: Target,
    hops: number,
    started: number
  ): void {
    const metrics = this.traffic.metrics(app)
    metrics.connectionOpened()
    let upstream: http.ClientRequest | null = null
    let done = false
    const finish = () => {
      if (done) return
      done = true
      metrics.connectionClosed()
      metrics.bytes(socketBytesSinceLast(req.socket))
      metrics.request(performance.now() - started)
      pass.leave()
    }
    pass.onTerminate(() => {
      upstream?.destroy()
      res.destroy()
    })
    res.on('close', () => {
      if (!res.writableFinished) upstream?.destroy()
      finish()
    })
    const length = req.headers['content-length']
    const bodyless = (length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined
    const headers = forwardHeaders(req, { hops, proto: this.opts.proto })
    const send = (to: Target, retried: boolean) => {
      const up = http.request({
        agent: this.agents.agent(to),
        host: to.kind === 'direct' ? to.host : '127.0.0.1',
        port: to.kind === 'tunnel' ? 0 : to.port,
        method: req.method,
        path: req.url,
        headers,
        setHost: false
      })
      upstream = up
      up.on('response', (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders(answer.rawHeaders))
        // Hand-rolled pipe: a quarter of the listeners stream.pipe() sets up and tears down.
        answer.on('data', (chunk: Buffer) => {
          if (!res.write(chunk)) answer.pause()
        })
        res.on('drain', () => answer.resume())
        answer.on('end', () => res.end())
        answer.on('error', () => res.destroy())
      })
      up.on('error', (err: NodeJS.ErrnoException) => {
        this.emit('upstream-error', { app, target: to, error: err })
        if (res.headersSent || res.destroyed) return void res.destroy()
        // Nothing reached the app: a bodyless request is tried once more, on the same target
        // (a pooled connection the app had just closed) or on whatever the router says now
        // (a direct path that stopped answering; the node may switch to a tunnel).
        if (bodyless && !retried && (up.reusedSocket || NEVER_CONNECTED.has(err.code ?? ''))) {
          const again = up.reusedSocket && err.code === 'ECONNRESET' ? Promise.resolve(to) : this.resolver.target(app)
          again.then(
            (next) => (next && !res.destroyed ? send(next, true) : this.badGateway(res, app, err)),
            () => this.badGateway(res, app, err)
          )
          return
        }
        this.badGateway(res, app, err)
      })
      if (bodyless) {
        // No body to stream (GET, HEAD…): no pipe to set up.
        up.end()
      } else {
        req.pipe(up)
      }
    }
    if (bodyless) req.resume()
    send(target, false)
  }

  private badGateway(res: ServerResponse, app: string, err: NodeJS.ErrnoException): void {
    if (res.headersSent || res.destroyed) return void res.destroy()
    res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
    res.end(`shoal: app "${app}" did not answer (${err.code ?? err.message})\n`)
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const smuggling = smugglingReason(req)
    if (smuggling) return this.refuseRaw(socket, 400, `shoal: request refused: ${smuggling}\n`, req)
    const host = normalizeHost(req.headers.host)
    const route = this.resolver.resolve(host)
    if (!route) return this.refuseRaw(socket, 404, `shoal: no app serves host "${host}" on ${this.opts.nodeName}\n`, req)
    const hops = hopsOf(req)
    if (hops > 0 && this.isolated) return void socket.destroy()
    if (!(hops < this.opts.maxHops)) return this.refuseRaw(socket, 508, `shoal: routing loop for "${host}"\n`, req)
    const app = route.app
    const abort = new AbortController()
    const onGone = () => abort.abort(CLIENT_GONE)
    socket.once('close', onGone)
    const got = await this.admit(app, abort.signal)
    socket.off('close', onGone)
    if (abort.signal.aborted) return got?.pass.leave()
    if (!got) {
      return this.refuseRaw(socket, 503, noTargetBody(app), req, { 'retry-after': String(this.opts.retryAfterSec) })
    }
    const { pass, target } = got
    const metrics = this.traffic.metrics(app)
    metrics.connectionOpened()
    const upstream = connectTarget(target)
    const headers = forwardHeaders(req, { hops, proto: this.opts.proto, upgrade: true })
    let headText = `${req.method} ${req.url} HTTP/1.1\r\n`
    for (let i = 0; i < headers.length; i += 2) headText += `${headers[i]}: ${headers[i + 1]}\r\n`
    upstream.write(headText + '\r\n')
    if (head.length > 0) upstream.write(head)
    this.upgraded.add(socket)
    let finished = false
    const done = (err?: Error) => {
      if (finished) return
      finished = true
      this.upgraded.delete(socket)
      if (err) this.emit('upstream-error', { app, target, error: err })
      metrics.connectionClosed()
      metrics.bytes(socketBytesSinceLast(socket))
      metrics.request()
      pass.leave()
    }
    pass.onTerminate(() => {
      socket.destroy()
      upstream.destroy()
    })
    // Until the app answers, a failure can still be told to the client as a 502.
    const early = (err: NodeJS.ErrnoException) => {
      upstream.destroy()
      endWithStatus(socket, 502, `shoal: app "${app}" did not answer (${err.code ?? err.message})\n`)
      done(err)
    }
    upstream.once('error', early)
    upstream.once('close', () => {
      if (!finished && !answered) early(new ShoalError('NO_MASTER', 'connection closed before an answer'))
    })
    let answered = false
    socket.once('close', () => {
      if (!answered) upstream.destroy()
    })
    upstream.once('data', (first: Buffer) => {
      answered = true
      upstream.pause()
      upstream.off('error', early)
      ;(socket as Socket).setNoDelay?.(true)
      socket.write(first)
      splice(socket, upstream, done)
    })
  }

  private noTarget(res: ServerResponse, app: string, req: IncomingMessage): void {
    if (res.destroyed) return
    this.emit('refused', { status: 503, reason: 'no target', host: req.headers.host })
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': String(this.opts.retryAfterSec) })
    res.end(noTargetBody(app))
  }

  private refuse(res: ServerResponse, status: number, body: string, req: IncomingMessage, close = false): void {
    this.emit('refused', { status, reason: body.trim(), host: req.headers.host })
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' }
    if (close) headers.connection = 'close'
    res.writeHead(status, headers)
    res.end(body)
    // An unread body must not be mistaken for the next request.
    if (close) res.on('finish', () => req.socket.destroySoon())
    else req.resume()
  }

  private refuseRaw(socket: Duplex, status: number, body: string, req: IncomingMessage, headers?: Record<string, string>): void {
    this.emit('refused', { status, reason: body.trim(), host: req.headers.host })
    endWithStatus(socket, status, body, headers)
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    const inProgress = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage
    if (err.code === 'ECONNRESET' || !socket.writable || inProgress?.headersSent) {
      socket.destroy()
      return
    }
    let status = 400
    let body = `shoal: malformed request (${err.code ?? 'parse error'})\n`
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      status = 431
      body = `shoal: request headers larger than ${this.opts.maxHeaderSize} bytes\n`
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      status = 408
      body = 'shoal: request not received in time\n'
    }
    this.emit('refused', { status, reason: err.code ?? err.message, host: null })
    endWithStatus(socket, status, body)
  }

  private internalError(res: ServerResponse, err: unknown): void {
    this.emit('upstream-error', { app: null, error: err })
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
      res.end('shoal: internal error\n')
    } else {
      res.destroy()
    }
  }
}

function noTargetBody(app: string): string {
  return `shoal: app "${app}" has no healthy master right now; retry shortly\n`
}
