import type { Duplex } from 'node:stream'
import { ShoalError } from '../core/errors.js'
import { INVALID, MORE, BodyFraming } from './body-framing.js'
import { forwardHeadBytes, type AddedLinesCache } from './forward-headers.js'
import type { AppMetrics } from './metrics.js'
import type { GatePass } from './pause-gate.js'
import { LINGER_MS, statusResponse } from './raw-response.js'
import { admitRequest, type Admission } from './request-admission.js'
import { hasBody, isRefusal, parseRequestHead, type RequestHead } from './request-head.js'
import { ResponseFraming } from './response-framing.js'
import { normalizeHost, sameTarget, type RouteResolver, type Target } from './route.js'
import { ReadBuffer } from './read-buffer.js'
import { connectTarget, readsDirectly } from './target-connect.js'
import type { AppTraffic } from './traffic.js'

/** Bytes a client may send ahead (pipelining) before its connection stops being read. */
export const MAX_PENDING = 64 * 1024
/** Below this size a response whose head gets the front's Keep-Alive is copied into one write. */
const SPLICE_COPY_MAX = 16 * 1024
/** Connect failures: the request never reached the app, so trying elsewhere is safe. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'NO_MASTER'])
/** What a pooled connection the app had just closed looks like. */
const CLOSED_BY_APP = new Set(['ECONNRESET', 'EPIPE'])
/** Abort reason when a client leaves while held; made once, errors are costly to build. */
const CLIENT_GONE = new ShoalError('GATE_TIMEOUT', 'client went away')

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
  /** The connection closed: stop tracking it. */
  forget(conn: ClientConnection): void
}

const enum Req {
  /** Waiting for (the rest of) a request head. */
  Head,
  /** Head read; waiting at the gate or for a target. */
  Admitting,
  /** Streaming the request body upstream. */
  Body,
  /** The whole request went upstream (or was answered here). */
  Sent
}

/**
 * One client connection, proxied byte for byte. Each request head is read and checked here,
 * rewritten (X-Forwarded-*, hop counter) and sent with its body to an upstream connection pinned
 * to this client connection (kept while the app's target stays the same). Response bytes pass
 * back unchanged while ResponseFraming finds where each response ends: that is where the
 * request leaves the gate and its latency is recorded, and where the next (pipelined) request
 * is read. A 101 response turns the connection into a two-way byte pipe (WebSocket).
 */
export class ClientConnection {
  private pending: Buffer | null = null
  private closed = false
  private clientEnded = false
  private readingPaused = false
  /** Writes to the upstream wait for 'drain'. */
  private upstreamFull = false
  private upgraded = false

  // The exchange in progress (request and its response), from head to response end.
  private busy = false
  private req = Req.Head
  private head: RequestHead | null = null
  private headOut: Buffer | null = null
  private app = ''
  private hops = 0
  private pass: GatePass<Target> | null = null
  private metrics: AppMetrics | null = null
  private target: Target | null = null
  private reqBody: BodyFraming | null = null
  /** Request body bytes are read and dropped (the request was answered here). */
  private discarding = false
  private responseDone = false
  /** Bytes of the current response have reached the client. */
  private responseStarted = false
  private retried = false
  private reusedUpstream = false
  private closeAfter = false
  private started = 0
  /** The client's address (read once: it does not change). */
  private client: string | null = null
  /** The forwarded head's added lines, as last encoded. */
  private readonly added: AddedLinesCache = { text: '', bytes: Buffer.alloc(0) }
  /** Bytes read from and written to the client since the last exchange ended. */
  private moved = 0
  private abort: AbortController | null = null
  /** The upstream corked so a request's head and first body bytes leave in one write. */
  private corked: Duplex | null = null

  // The pinned upstream connection.
  private up: Duplex | null = null
  private upTarget: Target | null = null
  private upResponses = 0
  private upIdleSince = 0
  /** What upstream TCP connections read into (made on first use). */
  private readBuffer: ReadBuffer | null = null
  private readonly framing: ResponseFraming

  // Timeouts, checked by the front's periodic sweep (performance.now() ms; 0 = not running).
  private headStart = 0
  private idleSince: number
  private readonly onTerminate = () => this.destroy()

  constructor(
    private readonly sock: Duplex,
    private readonly front: FrontContext
  ) {
    this.idleSince = performance.now()
    this.framing = new ResponseFraming(front.keepAliveHint)
    sock.on('data', (chunk: Buffer) => this.onData(chunk))
    sock.on('end', () => this.onEnd())
    sock.on('drain', () => this.up?.resume())
    sock.on('error', () => this.destroy())
    sock.on('close', () => this.onClose())
  }

  /** Cuts the client connection and its upstream (idempotent). */
  destroy(): void {
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
  private pump(): void {
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

  /** Sends the current request head to `target`, over the pinned connection when it fits. */
  private send(target: Target): void {
    this.target = target
    if (this.up !== null && (!sameTarget(this.upTarget!, target) || this.started - this.upIdleSince > this.front.settings.upstreamIdleMs)) {
      this.dropUpstream()
    }
    if (this.up === null) this.openUpstream(target)
    const up = this.up!
    this.reusedUpstream = this.upResponses > 0
    this.framing.begin(this.head!.method === 'HEAD')
    // The body's first bytes usually came with the head: one write to the app for both (pump uncorks).
    if (this.req === Req.Body && this.pending !== null && this.corked === null) {
      this.corked = up
      up.cork()
    }
    if (!up.write(this.headOut!)) this.pauseUpstreamWrites()
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
  private answerAndClose(status: number, body: string, reason: string): void {
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

  private internalError(err: unknown): void {
    this.front.emit('upstream-error', { app: this.app || null, error: err })
    this.answerAndClose(500, 'shoal: internal error\n', 'internal error')
  }

  /** The exchange is over (response sent and request read, or the connection died). */
  private finishExchange(): void {
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

  // ------------------------------------------------------------------ upstream side

  private openUpstream(target: Target): void {
    let up: Duplex
    if (readsDirectly(target)) {
      // The app's bytes are read into this connection's own memory; a chunk still queued on the
      // client socket after it was handled keeps that memory, and the next read gets fresh.
      const buffer = (this.readBuffer ??= new ReadBuffer())
      up = connectTarget(target, {
        buffer,
        read: (chunk) => {
          this.onUpstreamData(up, chunk)
          if (this.sock.writableLength > 0) buffer.retain()
          return true
        }
      })
    } else {
      up = connectTarget(target)
      up.on('data', (chunk: Buffer) => this.onUpstreamData(up, chunk))
    }
    this.up = up
    this.upTarget = target
    this.upResponses = 0
    this.upIdleSince = performance.now()
    this.upstreamFull = false
    up.on('end', () => {
      // An upgraded connection half-closes across; HTTP has no use for a half-open upstream.
      if (up === this.up && this.upgraded) this.sock.end()
      else this.onUpstreamGone(up, null)
    })
    up.on('error', (err: Error) => this.onUpstreamGone(up, err))
    up.on('close', () => this.onUpstreamGone(up, null))
    up.on('drain', () => {
      if (up !== this.up) return
      this.upstreamFull = false
      this.updateReading()
    })
  }

  private dropUpstream(): void {
    const up = this.up
    this.up = null
    this.upTarget = null
    this.upstreamFull = false
    up?.destroy()
    // The client may have been paused for this upstream's sake.
    this.updateReading()
  }

  private pauseUpstreamWrites(): void {
    this.upstreamFull = true
    this.updateReading()
  }

  private onUpstreamData(up: Duplex, chunk: Buffer): void {
    if (up !== this.up) return
    if (this.upgraded) return this.writeClient(chunk)
    if (!this.busy || this.pass === null || this.responseDone) {
      // Nothing was asked: an app talking out of turn cannot be trusted with the next request.
      return this.dropUpstream()
    }
    const r = this.framing.feed(chunk, 0, chunk.length)
    if (r === INVALID) {
      const err = new ShoalError('BAD_FRAME', `invalid response: ${this.framing.error}`)
      this.front.emit('upstream-error', { app: this.app, target: this.target!, error: err })
      this.dropUpstream()
      return this.badGateway(err)
    }
    this.responseStarted = true
    if (r === MORE) return this.relay(chunk, chunk.length)
    if (this.framing.upgraded) {
      this.writeClient(chunk)
      return this.becomePipe()
    }
    this.relay(chunk, r)
    this.upResponses++
    this.upIdleSince = this.front.coarseNow
    // Bytes past the response's end were not asked for either.
    if (this.framing.closeAfter || r < chunk.length) {
      this.closeAfter ||= this.framing.closeAfter
      this.dropUpstream()
    }
    this.endResponse()
  }

  private endResponse(): void {
    this.responseDone = true
    if (this.req === Req.Sent) {
      this.finishExchange()
      this.pump()
    } else if (this.req === Req.Body) {
      // The app answered before reading the whole body (e.g. 413): read and drop the rest.
      this.discarding = true
    }
  }

  private onUpstreamGone(up: Duplex, err: NodeJS.ErrnoException | null): void {
    if (up !== this.up) return
    this.up = null
    this.upTarget = null
    up.destroy()
    if (this.upgraded) return this.destroy()
    if (!this.busy || this.pass === null || this.responseDone) return
    if (err === null && this.framing.untilClose) {
      // A close-delimited body ends here; the client can only tell by the close.
      this.closeAfter = true
      return this.endResponse()
    }
    const error: NodeJS.ErrnoException = err ?? Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    this.front.emit('upstream-error', { app: this.app, target: this.target!, error })
    if (this.responseStarted) return this.destroy()
    // Nothing reached the app: a bodyless request is tried once more, on the same target (a
    // pinned connection the app had just closed) or on whatever the router says now (a direct
    // path that stopped answering; the node may switch to a tunnel).
    const code = error.code ?? ''
    const appClosed = this.reusedUpstream && CLOSED_BY_APP.has(code)
    if (this.head !== null && !hasBody(this.head) && !this.retried && (appClosed || NEVER_CONNECTED.has(code))) {
      this.retried = true
      if (appClosed) return this.send(this.target!)
      const now = this.front.resolver.currentTarget?.(this.app)
      if (now !== undefined) return now !== null ? this.send(now) : this.badGateway(error)
      this.front.resolver.target(this.app).then(
        (next) => {
          if (this.closed || this.pass === null) return
          if (next !== null) this.send(next)
          else this.badGateway(error)
        },
        (e: unknown) => this.internalError(e)
      )
      return
    }
    this.badGateway(error)
  }

  private badGateway(err: NodeJS.ErrnoException): void {
    this.answerAndClose(502, `shoal: app "${this.app}" did not answer (${err.code ?? err.message})\n`, `upstream: ${err.code ?? err.message}`)
  }

  /** After a 101: bytes flow both ways unchanged until either side closes. */
  private becomePipe(): void {
    this.upgraded = true
    this.busy = true
    if (this.pending !== null && this.up !== null) this.up.write(this.pending)
    this.pending = null
    this.updateReading()
  }

  // ------------------------------------------------------------------ flow control

  /** Relays chunk[0, end) to the client, with the front's Keep-Alive hint spliced into a head. */
  private relay(chunk: Buffer, end: number): void {
    const f = this.framing
    if (f.spliceAt < 0) return this.writeClient(end === chunk.length ? chunk : chunk.subarray(0, end))
    const at = f.spliceAt
    const after = f.spliceEnd
    const text = f.spliceBytes
    f.spliceAt = -1
    if (text.length <= after - at) {
      // A value rewritten no longer than it was (timeout=60 → timeout=5): in place, in memory
      // that is this connection's until it is written.
      for (let i = 0; i < text.length; i++) chunk[at + i] = text[i]
      if (text.length < after - at) chunk.copyWithin(at + text.length, after, end)
      return this.writeClient(chunk.subarray(0, end - (after - at - text.length)))
    }
    const size = at + text.length + (end - after)
    // A small response is cheaper copied once than written as three pieces.
    if (size <= SPLICE_COPY_MAX) {
      const out = Buffer.allocUnsafe(size)
      chunk.copy(out, 0, 0, at)
      text.copy(out, at)
      chunk.copy(out, at + text.length, after, end)
      return this.writeClient(out)
    }
    this.sock.cork()
    this.writeClient(chunk.subarray(0, at))
    this.writeClient(text)
    this.writeClient(chunk.subarray(after, end))
    this.sock.uncork()
  }

  private writeClient(bytes: Buffer): void {
    this.moved += bytes.length
    if (!this.sock.write(bytes)) this.up?.pause()
  }

  /** Reads from the client only while there is room: upstream not full, little pipelined ahead. */
  private updateReading(): void {
    const stop = this.upstreamFull || (this.pending !== null && this.pending.length > MAX_PENDING)
    if (stop === this.readingPaused || this.closed) return
    this.readingPaused = stop
    if (stop) this.sock.pause()
    else this.sock.resume()
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
