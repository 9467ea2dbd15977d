// The app side of a client connection: the upstream connection pinned to it, the responses
// relayed back, and the flow control between the two sockets. ClientConnection adds the client
// side. They share one object's plain fields, not objects talking to each other: this is the
// per-request path, and a field read costs nothing where a call through another object would.
import type { Duplex } from 'node:stream'
import { ShoalError } from '../core/errors.js'
import { INVALID, MORE } from './body-framing.js'
import type { FrontContext } from './front-context.js'
import { writeSpliced, type ClientWriter } from './keep-alive-splice.js'
import type { GatePass } from './pause-gate.js'
import { hasBody, type RequestHead } from './request-head.js'
import { ResponseFraming } from './response-framing.js'
import { sameTarget, type Target } from './route.js'
import { ReadBuffer } from './read-buffer.js'
import { connectTarget, readsDirectly } from './target-connect.js'
import { retryRoute } from './upstream-retry.js'

/** Bytes a client may send ahead (pipelining) before its connection stops being read. */
export const MAX_PENDING = 64 * 1024

/** Where the request of the exchange in progress stands. */
export const enum Req {
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
 * Sends each request head over the upstream connection pinned to the client connection (kept
 * while the app's target stays the same and it is not idle too long), and passes response bytes
 * back unchanged while ResponseFraming finds where each response ends; only the front's
 * Keep-Alive hint is spliced into response heads. A bodyless request whose upstream failed
 * before any answer is tried once more (see retryRoute). A 101 response turns the connection
 * into a two-way byte pipe (WebSocket).
 */
export abstract class UpstreamRelay implements ClientWriter {
  protected pending: Buffer | null = null
  protected closed = false
  private readingPaused = false
  /** Writes to the upstream wait for 'drain'. */
  private upstreamFull = false
  protected upgraded = false

  // The exchange in progress (request and its response), from head to response end.
  protected busy = false
  protected req = Req.Head
  protected head: RequestHead | null = null
  protected headOut: Buffer | null = null
  protected app = ''
  protected pass: GatePass<Target> | null = null
  protected target: Target | null = null
  /** Request body bytes are read and dropped (the request was answered here). */
  protected discarding = false
  protected responseDone = false
  /** Bytes of the current response have reached the client. */
  protected responseStarted = false
  protected retried = false
  private reusedUpstream = false
  protected closeAfter = false
  protected started = 0
  /** Bytes read from and written to the client since the last exchange ended. */
  protected moved = 0
  /** The upstream corked so a request's head and first body bytes leave in one write. */
  protected corked: Duplex | null = null

  // The pinned upstream connection.
  protected up: Duplex | null = null
  private upTarget: Target | null = null
  private upResponses = 0
  protected upIdleSince = 0
  /** What upstream TCP connections read into (made on first use). */
  private readBuffer: ReadBuffer | null = null
  private readonly framing: ResponseFraming

  constructor(
    protected readonly sock: Duplex,
    protected readonly front: FrontContext
  ) {
    this.framing = new ResponseFraming(front.keepAliveHint)
  }

  /** Cuts the client connection and its upstream (idempotent). */
  abstract destroy(): void
  /** Moves pending client bytes along (after a response ended, the next request may start). */
  protected abstract pump(): void
  /** The exchange is over (response sent and request read, or the connection died). */
  protected abstract finishExchange(): void
  /** Answers (if nothing was sent yet) and closes: the byte stream cannot be trusted any more. */
  protected abstract answerAndClose(status: number, body: string, reason: string): void
  protected abstract internalError(err: unknown): void

  /** Sends the current request head to `target`, over the pinned connection when it fits. */
  protected send(target: Target): void {
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

  protected dropUpstream(): void {
    const up = this.up
    this.up = null
    this.upTarget = null
    this.upstreamFull = false
    up?.destroy()
    // The client may have been paused for this upstream's sake.
    this.updateReading()
  }

  protected pauseUpstreamWrites(): void {
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
    // Nothing reached the app: a bodyless request is tried once more.
    const retry = this.head !== null && !hasBody(this.head) && !this.retried ? retryRoute(error.code ?? '', this.reusedUpstream) : null
    if (retry === null) return this.badGateway(error)
    this.retried = true
    if (retry === 'same-target') return this.send(this.target!)
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
    if (this.framing.spliceAt < 0) this.writeClient(end === chunk.length ? chunk : chunk.subarray(0, end))
    else writeSpliced(chunk, end, this.framing, this)
  }

  writeClient(bytes: Buffer): void {
    this.moved += bytes.length
    if (!this.sock.write(bytes)) this.up?.pause()
  }

  corkClient(): void {
    this.sock.cork()
  }

  uncorkClient(): void {
    this.sock.uncork()
  }

  /** Reads from the client only while there is room: upstream not full, little pipelined ahead. */
  protected updateReading(): void {
    const stop = this.upstreamFull || (this.pending !== null && this.pending.length > MAX_PENDING)
    if (stop === this.readingPaused || this.closed) return
    this.readingPaused = stop
    if (stop) this.sock.pause()
    else this.sock.resume()
  }
}
