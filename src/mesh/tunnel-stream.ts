import { Duplex } from 'node:stream'
import { ShoalError } from '../core/errors.js'
import { MAX_TUNNEL_DATA, TUNNEL_WINDOW } from '../protocol/tunnel-messages.js'

/**
 * Credit is returned once this much has been consumed. Not sooner: a sender with less than this
 * owed still holds 7/8 of the window, so it never waits, and small exchanges (an HTTP request
 * and its answer) then cost one frame each way instead of two.
 */
const CREDIT_BATCH = TUNNEL_WINDOW / 8
/**
 * The receive window grows (doubling) up to this while the reader keeps up and the sender is
 * held back by the window, so one stream can fill a long fat link. A reader that stalls later
 * may then hold this much in memory.
 */
export const MAX_TUNNEL_WINDOW = 16 * 1024 * 1024
/** Readable buffer; must stay under 7/8 of the window or a stalled sender could never resume
 * (credit is only returned from _read, which runs below this mark). */
const READ_HIGH_WATER = 64 * 1024

/** What a stream needs from its tunnel: sending frames and waiting for the connection to drain. */
export interface TunnelLink {
  /** Sends one frame; false when the connection is congested (wait for `onDrain`). */
  sendData(stream: TunnelStream, data: Uint8Array): boolean
  sendCredit(stream: TunnelStream, bytes: number): void
  sendEnd(stream: TunnelStream): void
  sendReset(stream: TunnelStream, err: Error | null): void
  onDrain(fn: () => void): void
  forget(stream: TunnelStream): void
}

/**
 * One tunnelled byte stream, usable wherever a socket is (it answers the socket methods an
 * http.Agent calls). Writes stop when the peer's window is used up and resume as it reads;
 * `end()` half-closes; `destroy(err)` resets the peer's side with err's code and message.
 */
export class TunnelStream extends Duplex {
  /** Idle timeout set by setTimeout(), 0 when off (http.Agent reads this). */
  timeout = 0
  /** Payload bytes received from / handed to the peer, as net.Socket counts them. */
  bytesRead = 0
  bytesWritten = 0
  private sendCredit = TUNNEL_WINDOW
  private recvWindow = TUNNEL_WINDOW
  private window = TUNNEL_WINDOW
  private received = 0
  private credited = 0
  private pending: { chunk: Buffer; offset: number; cb: (err?: Error | null) => void } | null = null
  private endSent = false
  private resetByPeer = false
  private idleTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly link: TunnelLink,
    /** Chosen by the opener; unique per direction on one connection. */
    readonly id: number,
    /** True on the side that opened the stream. */
    readonly opener: boolean,
    readonly app: string,
    /** What the far end is, for X-Forwarded-For: a link's peer address, or 'tunnel' over the mesh. */
    readonly remoteAddress = 'tunnel'
  ) {
    super({ readableHighWaterMark: READ_HIGH_WATER, allowHalfOpen: true })
  }

  // --- frames from the peer (called by the tunnel) ---

  /** Data from the peer; a peer overrunning its window is reset. */
  onPeerData(data: Uint8Array): void {
    if (data.byteLength > this.recvWindow) {
      this.destroy(new ShoalError('TUNNEL_RESET', 'peer overran the tunnel window'))
      return
    }
    this.recvWindow -= data.byteLength
    this.received += data.byteLength
    this.bytesRead += data.byteLength
    this.touch()
    this.push(data)
  }

  onPeerCredit(bytes: number): void {
    this.sendCredit += bytes
    this.pump()
  }

  onPeerEnd(): void {
    this.push(null)
  }

  onPeerReset(err: Error): void {
    this.resetByPeer = true
    this.destroy(err)
  }

  /**
   * Refuses or aborts the stream on behalf of this side without raising a local 'error': the
   * peer's stream errors with `err`'s code and message. Use it to turn a tunnel away.
   */
  refuse(err: Error): void {
    if (this.destroyed) return
    this.link.sendReset(this, err)
    this.resetByPeer = true
    this.destroy()
  }

  /** The connection went away. */
  onLinkClosed(): void {
    this.resetByPeer = true
    this.destroy(new ShoalError('TUNNEL_CLOSED', 'mesh connection closed'))
  }

  /** The connection can take more frames. */
  onLinkDrain(): void {
    this.pump()
  }

  // --- Duplex ---

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.touch()
    this.pending = { chunk, offset: 0, cb }
    this.pump()
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.endSent = true
    this.link.sendEnd(this)
    cb()
  }

  override _read(): void {
    const consumed = this.received - this.readableLength
    const owed = consumed - this.credited
    if (owed >= CREDIT_BATCH) {
      this.credited += owed
      let grant = owed
      // Reader idle yet the sender had (nearly) used the window up: the window is the limit.
      if (this.readableLength === 0 && this.recvWindow < this.window / 4 && this.window < MAX_TUNNEL_WINDOW) {
        grant += this.window
        this.window *= 2
      }
      this.recvWindow += grant
      this.link.sendCredit(this, grant)
    }
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.clearIdle()
    const cleanClose = this.endSent && this.readableEnded
    if (!this.resetByPeer && !cleanClose) this.link.sendReset(this, err)
    this.link.forget(this)
    const p = this.pending
    this.pending = null
    p?.cb(err ?? new ShoalError('TUNNEL_CLOSED', 'stream closed'))
    cb(err)
  }

  private pump(): void {
    const p = this.pending
    if (!p || this.destroyed) return
    let congested = false
    while (p.offset < p.chunk.byteLength && this.sendCredit > 0) {
      const n = Math.min(this.sendCredit, MAX_TUNNEL_DATA, p.chunk.byteLength - p.offset)
      const ok = this.link.sendData(this, p.chunk.subarray(p.offset, p.offset + n))
      p.offset += n
      this.sendCredit -= n
      this.bytesWritten += n
      if (!ok) {
        congested = true
        break
      }
    }
    if (p.offset < p.chunk.byteLength) {
      // Out of credit: onPeerCredit resumes. Congested: onLinkDrain resumes.
      if (congested) this.link.onDrain(() => this.onLinkDrain())
      return
    }
    this.pending = null
    if (congested) this.link.onDrain(() => p.cb())
    else p.cb()
  }

  // --- the parts of net.Socket that http.Agent and friends call ---

  /** As net.Socket: 'timeout' after `ms` idle; 0 turns it off and removes `cb`. */
  setTimeout(ms: number, cb?: () => void): this {
    this.timeout = ms
    if (cb) {
      if (ms === 0) this.removeListener('timeout', cb)
      else this.once('timeout', cb)
    }
    this.touch()
    return this
  }
  setNoDelay(): this {
    return this
  }
  setKeepAlive(): this {
    return this
  }
  ref(): this {
    return this
  }
  unref(): this {
    return this
  }

  private touch(): void {
    this.clearIdle()
    if (this.timeout > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => this.emit('timeout'), this.timeout)
      this.idleTimer.unref()
    }
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
  }
}
