import { EventEmitter } from 'node:events'
import type Protomux from 'protomux'
import { ShoalError, isErrorCode } from '../core/errors.js'
import { MAX_APP_NAME, decodeTunnel, encodeTunnel, type TunnelMessageName } from '../protocol/tunnel-messages.js'
import { FramedSocket } from './framed-socket.js'
import { channelCarrier, linkCarrier, type TunnelCarrier } from './tunnel-carrier.js'
import { TunnelStream, type TunnelLink } from './tunnel-stream.js'

/** Streams the peer may have open towards us at once; more are reset. */
export const MAX_INBOUND_STREAMS = 4096

export interface MeshTunnelOptions {
  /** Called for each stream the peer opens. Connect it to the app's local target, or
   * `stream.refuse(shoalError)` (its code reaches the opener). Must not block; a throw refuses
   * the stream with the thrown error. */
  onStream?: (app: string, stream: TunnelStream) => void
  maxInboundStreams?: number
  /** The peer's address, as streams it opens report it (X-Forwarded-For); 'tunnel' by default. */
  remoteAddress?: string
}

/**
 * Byte-stream tunnels to one peer, over its mesh connection's protomux (the `shoal/tunnel/v1`
 * channel) or over a front link (see tunnel-carrier.ts). Both sides construct one; either may
 * `open(app)` streams, many at once, each with its own flow control. Malformed frames close the
 * tunnel channel only, never the mesh connection (a front link, which carries nothing else,
 * closes).
 *
 * Events: 'open' (channel paired), 'close', 'bad-frame' (Error).
 */
export class MeshTunnel extends EventEmitter {
  private readonly channel: TunnelCarrier
  /** Streams we opened, by our id; streams the peer opened, by its id. */
  private readonly mine = new Map<number, TunnelStream>()
  private readonly theirs = new Map<number, TunnelStream>()
  private readonly drainWaiters: Array<() => void> = []
  private readonly queued: Array<() => void> = []
  private readonly onStream: (app: string, stream: TunnelStream) => void
  private readonly maxInbound: number
  private readonly remoteAddress: string
  private nextId = 1
  private isOpen = false
  private isClosed = false
  private readonly link: TunnelLink

  /** Over a mesh connection's protomux (the `shoal/tunnel/v1` channel), or a front link. */
  constructor(over: Protomux | FramedSocket, opts: MeshTunnelOptions = {}) {
    super()
    this.onStream = opts.onStream ?? ((app, s) => s.refuse(new ShoalError('UNKNOWN_APP', `this node accepts no tunnels (app "${app}")`)))
    this.maxInbound = opts.maxInboundStreams ?? MAX_INBOUND_STREAMS
    this.remoteAddress = opts.remoteAddress ?? 'tunnel'
    const events = {
      onopen: () => this.onOpen(),
      onclose: () => this.onClose(),
      ondrain: () => this.onDrain(),
      onframe: (kind: TunnelMessageName, buf: Uint8Array) => this.onFrame(kind, buf)
    }
    this.channel = over instanceof FramedSocket ? linkCarrier(over, events) : channelCarrier(over, events)
    this.link = {
      sendData: (s, data) => this.frame('data', encodeTunnel('data', { opener: s.opener, id: s.id, data })),
      sendCredit: (s, bytes) => void this.frame('credit', encodeTunnel('credit', { opener: s.opener, id: s.id, bytes })),
      sendEnd: (s) => void this.frame('end', encodeTunnel('end', { opener: s.opener, id: s.id })),
      sendReset: (s, err) => void this.frame('reset', encodeTunnel('reset', resetOf(s, err))),
      onDrain: (fn) => this.drainWaiters.push(fn),
      forget: (s) => {
        const table = s.opener ? this.mine : this.theirs
        if (table.get(s.id) === s) table.delete(s.id)
      }
    }
    this.channel.open()
  }

  /** Streams open right now, both directions. */
  get streams(): number {
    return this.mine.size + this.theirs.size
  }

  get opened(): boolean {
    return this.isOpen
  }

  /**
   * Opens a stream to `app` (any name up to MAX_APP_NAME the peer's onStream understands) on the peer. Returns at once; bytes written before the channel is
   * paired are queued. Errors (unknown app, refused connection, lost peer) arrive as the
   * stream's 'error' with the peer's ShoalError code.
   */
  open(app: string): TunnelStream {
    const stream = new TunnelStream(this.link, this.nextId++, true, app)
    if (this.isClosed) {
      process.nextTick(() => stream.onLinkClosed())
      return stream
    }
    if (app.length > MAX_APP_NAME) {
      // The peer would refuse the frame and drop every tunnel: fail this stream alone.
      process.nextTick(() => stream.onPeerReset(new ShoalError('BAD_ARGUMENT', `tunnel name longer than ${MAX_APP_NAME}`)))
      return stream
    }
    this.mine.set(stream.id, stream)
    this.whenOpen(() => {
      if (!stream.destroyed) this.channel.send('open', encodeTunnel('open', { id: stream.id, app }))
    })
    return stream
  }

  /** Closes the channel; every stream errors with TUNNEL_CLOSED. Idempotent. */
  close(): void {
    if (this.isClosed) return
    this.channel.close()
    this.onClose()
  }

  private frame(kind: TunnelMessageName, buf: Uint8Array): boolean {
    if (this.isClosed) return true
    if (!this.isOpen) {
      this.queued.push(() => this.channel.send(kind, buf))
      return true
    }
    return this.channel.send(kind, buf)
  }

  private whenOpen(fn: () => void): void {
    if (this.isOpen) fn()
    else this.queued.push(fn)
  }

  private onOpen(): void {
    this.isOpen = true
    for (const fn of this.queued.splice(0)) fn()
    this.emit('open')
  }

  private onClose(): void {
    if (this.isClosed) return
    this.isClosed = true
    this.isOpen = false
    this.queued.length = 0
    for (const s of [...this.mine.values(), ...this.theirs.values()]) s.onLinkClosed()
    this.mine.clear()
    this.theirs.clear()
    for (const fn of this.drainWaiters.splice(0)) fn()
    this.emit('close')
  }

  private onDrain(): void {
    for (const fn of this.drainWaiters.splice(0)) fn()
  }

  /** Never throws: protomux would tear down the whole mesh connection. */
  private onFrame(kind: TunnelMessageName, buf: Uint8Array): void {
    try {
      this.dispatch(kind, buf)
    } catch (err) {
      this.emit('bad-frame', err)
      if (!ShoalError.is(err, 'BAD_FRAME')) return
      // A peer that speaks nonsense loses its tunnels, not its mesh session.
      this.close()
    }
  }

  private dispatch(kind: TunnelMessageName, buf: Uint8Array): void {
    switch (kind) {
      case 'open': {
        const m = decodeTunnel('open', buf)
        if (this.theirs.has(m.id)) throw new ShoalError('BAD_FRAME', `tunnel stream ${m.id} opened twice`)
        const stream = new TunnelStream(this.link, m.id, false, m.app, this.remoteAddress)
        if (this.theirs.size >= this.maxInbound) {
          stream.refuse(new ShoalError('TUNNEL_RESET', 'too many tunnel streams'))
          return
        }
        this.theirs.set(m.id, stream)
        try {
          this.onStream(m.app, stream)
        } catch (err) {
          stream.refuse(err instanceof Error ? err : new Error(String(err)))
        }
        return
      }
      case 'data': {
        const m = decodeTunnel('data', buf)
        this.lookup(m.opener, m.id)?.onPeerData(m.data)
        return
      }
      case 'credit': {
        const m = decodeTunnel('credit', buf)
        this.lookup(m.opener, m.id)?.onPeerCredit(m.bytes)
        return
      }
      case 'end': {
        const m = decodeTunnel('end', buf)
        this.lookup(m.opener, m.id)?.onPeerEnd()
        return
      }
      case 'reset': {
        const m = decodeTunnel('reset', buf)
        const s = this.lookup(m.opener, m.id)
        if (!s) return
        const code = m.code !== undefined && isErrorCode(m.code) ? m.code : 'TUNNEL_RESET'
        s.onPeerReset(new ShoalError(code, m.message ?? 'tunnel stream reset by the peer'))
        return
      }
    }
  }

  /** The stream a frame is about: the OPENER flag says whose id space `id` is in. Frames for
   * streams already gone (a race with reset) are dropped. */
  private lookup(senderIsOpener: boolean, id: number): TunnelStream | undefined {
    return senderIsOpener ? this.theirs.get(id) : this.mine.get(id)
  }
}

function resetOf(s: TunnelStream, err: Error | null) {
  const code = (err as { code?: unknown } | null)?.code
  return {
    opener: s.opener,
    id: s.id,
    ...(typeof code === 'string' ? { code: code.slice(0, 64) } : {}),
    ...(err ? { message: err.message.slice(0, 500) } : {})
  }
}
