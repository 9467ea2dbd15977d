import c from 'compact-encoding'
import type Protomux from 'protomux'
import type { Message } from 'protomux'
import { ShoalError, badFrame } from '../core/errors.js'
import { TUNNEL_MESSAGES, type TunnelMessageName } from '../protocol/tunnel-messages.js'
import { CHANNELS } from '../protocol/version.js'
import type { FramedSocket } from './framed-socket.js'

/** What a tunnel hears from its carrier. */
export interface CarrierEvents {
  /** Frames may be sent (both ends are there). */
  onopen(): void
  /** No frame will be sent or received any more. */
  onclose(): void
  /** The carrier took the frames it had refused room for (see `send`). */
  ondrain(): void
  /** One frame from the peer; may throw (the tunnel handles it). */
  onframe(kind: TunnelMessageName, body: Uint8Array): void
}

/**
 * What a MeshTunnel sends its frames over: a protomux channel on a mesh connection, or a front
 * link (a framed TCP connection that carries nothing else).
 */
export interface TunnelCarrier {
  /** Sends one frame; false when the connection is congested (wait for `ondrain`). */
  send(kind: TunnelMessageName, body: Uint8Array): boolean
  /** Frames sent until `uncork` may leave together. */
  cork(): void
  uncork(): void
  open(): void
  close(): void
}

/** The `shoal/tunnel/v1` protomux channel: one message type per frame kind. */
export function channelCarrier(mux: Protomux, events: CarrierEvents): TunnelCarrier {
  const channel = mux.createChannel({
    protocol: CHANNELS.tunnel,
    onopen: () => events.onopen(),
    onclose: () => events.onclose(),
    ondrain: () => events.ondrain()
  })
  if (!channel) throw new ShoalError('INTERNAL', 'a tunnel channel is already open on this connection')
  const messages = {} as Record<TunnelMessageName, Message<Uint8Array>>
  for (const kind of TUNNEL_MESSAGES) {
    messages[kind] = channel.addMessage({ encoding: c.raw, onmessage: (buf: Uint8Array) => events.onframe(kind, buf) })
  }
  return {
    send: (kind, body) => messages[kind].send(body),
    cork: () => channel.cork(),
    uncork: () => channel.uncork(),
    open: () => channel.open(),
    close: () => channel.close()
  }
}

/**
 * A front link: each frame is one framed message tagged with its kind's index in
 * TUNNEL_MESSAGES. The link is open from the start (it exists once the upgrade is answered) and
 * closing the tunnel closes the connection. No protomux: on a connection that carries one tunnel,
 * its channel and message headers, and the copies they take, buy nothing. Writes of one turn
 * leave together anyway (FramedSocket), so cork is nothing here.
 */
export function linkCarrier(link: FramedSocket, events: CarrierEvents): TunnelCarrier {
  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    events.onclose()
  }
  link.on('message', (tag: number, body: Buffer) => {
    const kind = TUNNEL_MESSAGES[tag]
    if (kind === undefined) return link.destroy(badFrame(`unknown front link frame kind ${tag}`))
    events.onframe(kind, body)
  })
  link.on('drain', () => events.ondrain())
  // The peer is done with the link: so is this end (after what it has queued).
  link.on('end', () => link.end())
  // Errors end in 'close'.
  link.on('error', () => {})
  link.on('close', close)
  return {
    send: (kind, body) => link.send(TUNNEL_MESSAGES.indexOf(kind), body),
    cork: () => {},
    uncork: () => {},
    open: () => events.onopen(),
    close: () => {
      link.destroy()
      close()
    }
  }
}
