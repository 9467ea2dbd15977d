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
 * link (a framed TCP connection that carries nothing else). Either sends the frames of one turn
 * of the event loop together.
 */
export interface TunnelCarrier {
  /** Sends one frame; false when the connection is congested (wait for `ondrain`). */
  send(kind: TunnelMessageName, body: Uint8Array): boolean
  open(): void
  close(): void
}

/**
 * Frames up to BATCH_FRAME_MAX sent on a channel in one turn of the event loop leave as one
 * protomux batch (one encrypted message on the mesh) instead of one each; a batch is sent early
 * when it would grow past BATCH_BYTES. Larger frames (bulk data) go alone.
 */
const BATCH_BYTES = 64 * 1024
const BATCH_FRAME_MAX = 16 * 1024

/** The `shoal/tunnel/v1` protomux channel: one message type per frame kind. */
export function channelCarrier(mux: Protomux, events: CarrierEvents): TunnelCarrier {
  const channel = mux.createChannel({
    protocol: CHANNELS.tunnel,
    onopen: () => events.onopen(),
    onclose: () => {
      endBatch()
      events.onclose()
    },
    ondrain: () => events.ondrain()
  })
  if (!channel) throw new ShoalError('INTERNAL', 'a tunnel channel is already open on this connection')
  /** Bytes in the batch being built this turn (0: the mux is not corked by us). */
  let batched = 0
  let scheduled = false
  const endBatch = () => {
    if (batched === 0) return
    batched = 0
    // Always, closed or not: the mux (the mesh connection's, with every other channel on it)
    // stays corked otherwise.
    channel.uncork()
  }
  const endOfTurn = () => {
    scheduled = false
    endBatch()
  }
  const messages = {} as Record<TunnelMessageName, Message<Uint8Array>>
  for (const kind of TUNNEL_MESSAGES) {
    messages[kind] = channel.addMessage({ encoding: c.raw, onmessage: (buf: Uint8Array) => events.onframe(kind, buf) })
  }
  return {
    send: (kind, body) => {
      const size = body.byteLength
      if (batched > 0 && (batched + size > BATCH_BYTES || size > BATCH_FRAME_MAX)) endBatch()
      if (size <= BATCH_FRAME_MAX) {
        if (batched === 0) {
          channel.cork()
          if (!scheduled) {
            scheduled = true
            setImmediate(endOfTurn)
          }
        }
        batched += size + 1
      }
      return messages[kind].send(body)
    },
    open: () => channel.open(),
    close: () => {
      endBatch()
      channel.close()
    }
  }
}

/**
 * A front link: each frame is one framed message tagged with its kind's index in
 * TUNNEL_MESSAGES. The link is open from the start (it exists once the upgrade is answered) and
 * closing the tunnel closes the connection. No protomux: on a connection that carries one tunnel,
 * its channel and message headers, and the copies they take, buy nothing. Writes of one turn
 * leave together (FramedSocket).
 */
/** Each frame kind's tag on a front link: its index in TUNNEL_MESSAGES. */
const TAG = Object.fromEntries(TUNNEL_MESSAGES.map((kind, i) => [kind, i])) as Record<TunnelMessageName, number>

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
    send: (kind, body) => link.send(TAG[kind], body),
    open: () => events.onopen(),
    close: () => {
      link.destroy()
      close()
    }
  }
}
