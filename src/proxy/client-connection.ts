import net from 'node:net'
import type { Duplex } from 'node:stream'
import { ShoalError } from '../core/errors.js'
import { LINK_UPGRADE } from '../protocol/link-handshake.js'
import { INVALID, MORE, BodyFraming } from './body-framing.js'
import type { FrontContext } from './front-context.js'
import { forwardHeadBytes, type AddedLinesCache } from './forward-headers.js'
import type { AppMetrics } from './metrics.js'
import type { GatePass } from './pause-gate.js'
import { LINGER_MS, statusResponse } from './raw-response.js'
import { admitRequest, type Admission } from './request-admission.js'
import { hasBody, isRefusal, parseRequestHead, type RequestHead } from './request-head.js'
import { normalizeHost, type Target } from './route.js'
import { Req, UpstreamRelay } from './upstream-relay.js'

export type { FrontContext } from './front-context.js'
export { MAX_PENDING } from './upstream-relay.js'

/** Abort reason when a client leaves while held; made once, errors are costly to build. */
const CLIENT_GONE = new ShoalError('GATE_TIMEOUT', 'client went away')

/**
 * One client connection, proxied byte for byte. Each request head is read and checked here,
 * rewritten (X-Forwarded-*, hop counter) and sent with its body to an upstream connection pinned
 * to this client connection (kept while the app's target stays the same). Response bytes pass
 * back unchanged while ResponseFraming finds where each response ends: that is where the
 * request leaves the gate and its latency is recorded, and where the next (pipelined) request
 * is read. A 101 response turns the connection into a two-way byte pipe (WebSocket). The upstream
 * half (connection, responses, retry, flow control) is UpstreamRelay's; this is the client half.
 */
export class ClientConnection extends UpstreamRelay {
  private clientEnded = false

  // The exchange in progress, as far as the client side alone needs it.
  private hops = 0
  private metrics: AppMetrics | null = null
  private reqBody: BodyFraming | null = null
  /** The client's address (read once: it does not change). */
  private client: string | null = null
  /** The forwarded head's added lines, as last encoded. */
  private readonly added: AddedLinesCache = { text: '', bytes: Buffer.alloc(0) }
  private abort: AbortController | null = null

  // Timeouts, checked by the front's periodic sweep (performance.now() ms; 0 = not running).
  private headStart = 0
  private idleSince: number
  private readonly onTerminate = () => this.destroy()

  constructor(sock: Duplex, front: FrontContext) {
    super(sock, front)
    this.idleSince = performance.now()
    sock.on('data', (chunk: Buffer) => this.onData(chunk))
    sock.on('end', () => this.onEnd())
    sock.on('drain', () => this.up?.resume())
    sock.on('error', () => this.destroy())
    sock.on('close', () => this.onClose())
  }

  /** Cuts the client connection and its upstream (idempotent). */
  override destroy(): void {
    this.sock.destroy()
    this.up?.destroy()
    if (!this.closed) this.onClose()
  }

  /** Applies the headers, request and keep-alive timeouts; called periodically by the front. */
  checkTimeouts(now: number): void {
    if (this.closed || this.upgraded) return
    const s = this.front.settings
    if (!this.busy) {
      if (this.headStart > 0) {
        if (now - this.headStart > s.headersTimeoutMs) this.answerAndClose(408, 'shoal: request not received in time\n', 'ERR_HTTP_REQUEST_TIMEOUT')
      } else if (now - this.idleSince > s.keepAliveTimeoutMs) {
        this.destroy()
        return
      }
      if (this.up !== null && now - this.upIdleSince > s.upstreamIdleMs) this.dropUpstream()
    } else if (this.req === Req.Body && now - this.started > s.requestTimeoutMs) {
      if (this.responseStarted || this.responseDone) this.destroy()
      else this.answerAndClose(408, 'shoal: request not received in time\n', 'ERR_HTTP_REQUEST_TIMEOUT')
    }
  }

  // ------------------------------------------------------------------ client side

  private onData(chunk: Buffer): void {
    this.moved += chunk.length
    if (this.upgraded) {
      if (this.up !== null && !this.up.write(chunk)) this.pauseUpstreamWrites()
      return
    }
    if (this.closed) return
    if (this.pending === null) {
      this.pending = chunk
      if (!this.busy && this.headStart === 0) this.headStart = this.front.coarseNow
    } else {
      this.pending = Buffer.concat([this.pending, chunk])
    }
    this.pump()
  }

  /** Moves pending client bytes along: request heads, then bodies, one exchange at a time. */
  protected override pump(): void {
    while (this.pending !== null && !this.closed) {
      if (this.req === Req.Body) {
        const buf: Buffer = this.pending
        const r = this.reqBody!.feed(buf, 0, buf.length)
        if (r === INVALID) return this.requestBroken(`bad chunked body: ${this.reqBody!.error}`)
        if (r === MORE) {
          this.pending = null
          this.sendBody(buf)
          if (this.clientEnded) this.destroy()
          break
        }
        this.pending = r === buf.length ? null : buf.subarray(r)
        this.sendBody(r === buf.length ? buf : buf.subarray(0, r))
        this.requestSent()
        continue
      }
      if (this.req !== Req.Head || this.busy) break
      const buf: Buffer = this.pending
      const parsed = parseRequestHead(buf, 0, buf.length, this.front.settings.maxHeaderSize)
      if (parsed === null) break
      if (isRefusal(parsed)) {
        const body = parsed.status === 431 ? `shoal: request headers larger than ${this.front.settings.maxHeaderSize} bytes\n` : `shoal: request refused: ${parsed.reason}\n`
        return this.answerAndClose(parsed.status, body, parsed.reason)
      }
      this.pending = parsed.size === buf.length ? null : buf.subarray(parsed.size)
      this.startRequest(parsed)
    }
    if (this.corked !== null) {
      this.corked.uncork()
      this.corked = null
    }
    // A client that half-closed gets answers to every whole request it sent, then the close.
    if (this.clientEnded && !this.busy && !this.closed) return this.endClient()
    this.updateReading()
  }

  private sendBody(bytes: Buffer): void {
    if (this.discarding || this.up === null || bytes.length === 0) return
    if (!this.up.write(bytes)) this.pauseUpstreamWrites()
  }

  private onEnd(): void {
    this.clientEnded = true
    if (this.upgraded) {
      this.up?.end()
      return
    }
    if (!this.busy) {
      // Idle, or in the middle of a head that will never be finished.
      this.endClient()
      return
    }
    // A body cut short can never be finished; a whole request is answered first (see pump).
    if (this.req === Req.Body && !this.discarding) this.destroy()
  }

  private onClose(): void {
    if (this.closed) return
    this.closed = true
    this.pending = null
    this.up?.destroy()
    this.up = null
    this.abort?.abort(CLIENT_GONE)
    if (this.busy) this.finishExchange()
    this.front.forget(this)
  }

  // ------------------------------------------------------------------ requests

  private startRequest(head: RequestHead): void {
    this.busy = true
    this.head = head
    this.headStart = 0
    this.started = performance.now()
    this.responseDone = false
    this.responseStarted = false
    this.retried = false
    this.discarding = false
    this.closeAfter = !head.keepAlive
    this.reqBody = hasBody(head) ? new BodyFraming(head.chunked ? -1 : head.contentLength, head.chunked) : null
    if (head.upgrade === LINK_UPGRADE && this.reqBody === null && this.front.acceptLink !== null && this.sock instanceof net.Socket) return this.becomeLink(this.sock, head.url)
    const host = normalizeHost(head.host)
    const route = this.front.resolver.resolve(host)
    if (route === null) return this.answer(404, `shoal: no app serves host "${host}" on ${this.front.settings.nodeName}\n`, null, head.host)
    const hops = head.hops
    if (hops > 0 && this.front.isolated) return this.destroy()
    if (!(hops < this.front.settings.maxHops)) {
      const through = Number.isNaN(hops) ? 'a malformed number of' : String(hops)
      return this.answer(508, `shoal: request for "${host}" went through ${through} proxies; refusing a routing loop\n`, null, head.host)
    }
    this.app = route.app
    this.hops = hops
    // Hot path: an open gate and a target known right now need no promise.
    const quick = this.front.traffic.gate(route.app).tryEnter()
    if (quick !== null && this.front.resolver.currentTarget !== undefined) {
      const target = this.front.resolver.currentTarget(route.app)
      if (target !== null) return this.forward(quick, target)
    }
    this.req = Req.Admitting
    this.abort = new AbortController()
    const s = this.front.settings
    admitRequest(this.front.traffic, this.front.resolver, route.app, quick, s.noTargetWaitMs, this.abort.signal).then(
      (got) => this.admitted(got),
      (err: unknown) => this.internalError(err)
    )
  }

  private admitted(got: Admission | null): void {
    this.abort = null
    if (this.closed) return got?.pass.leave()
    if (got === null) {
      this.front.emit('refused', { status: 503, reason: 'no target', host: this.head!.host })
      this.respondHere(503, noTargetBody(this.app), { 'retry-after': String(this.front.settings.retryAfterSec) })
    } else {
      this.forward(got.pass, got.target)
    }
    this.pump()
  }

  private forward(pass: GatePass<Target>, target: Target): void {
    this.pass = pass
    pass.onTerminate(this.onTerminate)
    this.metrics = this.front.traffic.metrics(this.app)
    this.metrics.connectionOpened()
    this.client ??= (this.sock as { remoteAddress?: string }).remoteAddress ?? ''
    this.headOut = forwardHeadBytes(this.head!, { hops: this.hops, proto: this.front.settings.proto, client: this.client }, this.added)
    this.req = this.reqBody !== null ? Req.Body : Req.Sent
    this.send(target)
  }

  /** Hands the connection to the front's link acceptor: from here on it carries framed messages. */
  private becomeLink(sock: net.Socket, url: string): void {
    const rest = this.pending
    this.pending = null
    this.busy = false
    this.head = null
    this.dropUpstream()
    this.closed = true
    for (const ev of ['data', 'end', 'drain', 'error', 'close']) sock.removeAllListeners(ev)
    this.front.forget(this)
    this.front.acceptLink!(sock, rest, url)
    sock.resume()
  }

  /** The request's last byte went upstream (or was dropped). */
  private requestSent(): void {
    this.req = Req.Sent
    this.reqBody = null
    if (this.responseDone) this.finishExchange()
  }

  /** Answers the current request from here; the connection stays open when it may. */
  private answer(status: number, body: string, headers: Record<string, string> | null, host: string): void {
    this.front.emit('refused', { status, reason: body.trim(), host })
    this.respondHere(status, body, headers)
  }

  private respondHere(status: number, body: string, headers: Record<string, string> | null): void {
    // An HTTP/1.0 client assumes a close unless told otherwise.
    if (this.head!.minor === 0 && !this.closeAfter) headers = { ...headers, connection: 'keep-alive' }
    this.sock.write(statusResponse(status, body, headers, this.closeAfter))
    this.responseDone = true
    if (this.reqBody !== null) {
      // An unread body must not be mistaken for the next request.
      this.discarding = true
      this.req = Req.Body
    } else {
      this.requestSent()
    }
  }

  /** Answers (if nothing was sent yet) and closes: the byte stream cannot be trusted any more. */
  protected override answerAndClose(status: number, body: string, reason: string): void {
    if (this.closed) return
    this.front.emit('refused', { status, reason, host: this.head?.host ?? null })
    this.pending = null
    // Past the first response byte (or an answer given here) another answer would be garbage.
    if (this.responseStarted || (this.busy && this.responseDone) || !this.sock.writable) return this.destroy()
    this.closeAfter = true
    this.up?.destroy()
    this.up = null
    this.sock.write(statusResponse(status, body, null, true))
    this.endClient()
  }

  private requestBroken(reason: string): void {
    this.answerAndClose(400, `shoal: request refused: ${reason}\n`, reason)
  }

  protected override internalError(err: unknown): void {
    this.front.emit('upstream-error', { app: this.app || null, error: err })
    this.answerAndClose(500, 'shoal: internal error\n', 'internal error')
  }

  /** The exchange is over (response sent and request read, or the connection died). */
  protected override finishExchange(): void {
    const now = performance.now()
    const pass = this.pass
    if (pass !== null) {
      const metrics = this.metrics!
      metrics.connectionClosed()
      metrics.exchange(this.moved, this.upgraded ? undefined : now - this.started)
      this.pass = null
      this.metrics = null
      pass.leave()
    }
    this.moved = 0
    this.busy = false
    this.req = Req.Head
    this.head = null
    this.headOut = null
    this.target = null
    this.reqBody = null
    this.idleSince = now
    if (this.closed) return
    if (this.closeAfter) return this.endClient()
    if (this.pending !== null) this.headStart = now
  }

  private endClient(): void {
    this.closed = true
    this.pending = null
    this.dropUpstream()
    const sock = this.sock
    sock.end()
    // A client that never reads or never closes its side must not keep the socket.
    if (sock.writableFinished) sock.destroy()
    else sock.once('finish', () => sock.destroy())
    setTimeout(() => sock.destroy(), LINGER_MS).unref()
    if (this.busy) this.finishExchange()
    this.front.forget(this)
  }
}

function noTargetBody(app: string): string {
  return `shoal: app "${app}" has no healthy master right now; retry shortly\n`
}
