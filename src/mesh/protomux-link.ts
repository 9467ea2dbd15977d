import type Protomux from 'protomux'
import type { Channel, Message } from 'protomux'
import { rawParts } from '../protocol/codec-util.js'
import { CHANNELS } from '../protocol/version.js'
import type { Frame, Link, LinkHandler } from '../volume/link.js'

/**
 * A replication Link over one protomux channel (protocol CHANNELS.replication, channel `id`,
 * e.g. the app name as bytes) on an existing mux such as `Protomux.from(secretStream)`. Frames
 * are sent as one raw message type (protomux copies a frame into its own message buffer before
 * `send` returns, parts included); `send` returns the stream's drained flag and onDrain follows
 * the mux's drain. Both peers must open the same protocol + id.
 */
export class ProtomuxLink implements Link {
  /** Resolves when the remote side has opened the channel too. */
  readonly opened: Promise<void>
  private readonly channel: Channel
  private readonly message: Message<Frame>
  private handler: LinkHandler | null = null
  private readonly early: Uint8Array[] = []
  private closedSeen = false
  private resolveOpened!: () => void

  /** Throws if a channel with this protocol and id is already open on the mux. */
  constructor(mux: Protomux, id: Uint8Array) {
    this.opened = new Promise((resolve) => {
      this.resolveOpened = resolve
    })
    const channel = mux.createChannel({
      protocol: CHANNELS.replication,
      id,
      unique: true,
      onopen: () => this.resolveOpened(),
      onclose: () => this.onClosed(),
      ondrain: () => this.handler?.onDrain()
    })
    if (!channel) throw new Error('replication channel already open for this id')
    this.channel = channel
    this.message = channel.addMessage<Frame>({
      encoding: rawParts,
      onmessage: (received) => {
        const frame = received as Uint8Array // decoding always gives one buffer
        if (this.handler) this.handler.onFrame(frame)
        else this.early.push(frame)
      }
    })
    channel.open()
  }

  send(frame: Frame): boolean {
    if (this.channel.closed) return false
    return this.message.send(frame)
  }

  setHandler(h: LinkHandler): void {
    this.handler = h
    while (this.early.length && this.handler === h) h.onFrame(this.early.shift()!)
    if (this.closedSeen) h.onClose()
  }

  close(): void {
    this.channel.close()
  }

  private onClosed(): void {
    if (this.closedSeen) return
    this.closedSeen = true
    this.resolveOpened()
    this.handler?.onClose()
  }
}
