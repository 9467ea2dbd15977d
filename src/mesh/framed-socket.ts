import { EventEmitter } from 'node:events'
import type net from 'node:net'
import { LinkFrameReader, linkHeader } from '../protocol/link-frames.js'

/** Queued bytes (here and in the socket) above which `write` asks the writer to wait for 'drain'. */
export const LINK_HIGH_WATER = 1024 * 1024
/** Queued messages are written at once when they reach this many bytes, without waiting for the turn. */
const FLUSH_BYTES = 64 * 1024
/** Queued bytes up to this are copied into one buffer for their write; more are written gathered. */
const COPY_MAX = 16 * 1024

/**
 * A TCP socket carrying whole messages, as protomux needs its stream to (see
 * protocol/link-frames.ts). It answers the part of the stream interface protomux uses: write,
 * end, destroy, pause, resume, and the events data (one message each), drain, end, error, close.
 *
 * Messages written during one turn of the event loop leave in one socket write, after the turn's
 * I/O callbacks ran: a link multiplexing many connections then costs one system call per batch
 * instead of one per message (the point of it; see proxy/front-links.ts).
 */
export class FramedSocket extends EventEmitter {
  /** Protomux keeps itself here (Protomux.from finds it again). */
  userData: unknown = null
  private readonly reader: LinkFrameReader
  private queue: Buffer[] = []
  private queued = 0
  private scheduled = false
  private wantsDrain = false
  private readonly flushBound = () => this.flush()

  /** `head`: bytes already read from the socket that belong to the framed stream. */
  constructor(
    readonly socket: net.Socket,
    head?: Buffer
  ) {
    super()
    this.reader = new LinkFrameReader((m) => this.emit('data', m))
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk))
    socket.on('drain', () => this.onSocketDrain())
    socket.on('end', () => this.emit('end'))
    socket.on('error', (err: Error) => this.emit('error', err))
    socket.on('close', () => this.emit('close'))
    if (head !== undefined && head.length > 0) process.nextTick(() => this.onBytes(head))
  }

  get destroyed(): boolean {
    return this.socket.destroyed
  }

  /** Queues one message; false when the writer should wait for 'drain'. */
  write(message: Uint8Array): boolean {
    if (this.socket.destroyed) return false
    const m = Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength)
    this.queue.push(linkHeader(m.length), m)
    this.queued += m.length + 4
    if (this.queued >= FLUSH_BYTES) this.flush()
    else if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flushBound)
    }
    if (this.queued + this.socket.writableLength < LINK_HIGH_WATER) return true
    this.wantsDrain = true
    return false
  }

  /** Sends what is queued, then the FIN. */
  end(): void {
    this.flush()
    this.socket.end()
  }

  destroy(err?: Error): void {
    this.queue = []
    this.queued = 0
    this.socket.destroy(err)
  }

  pause(): void {
    this.socket.pause()
  }

  resume(): void {
    this.socket.resume()
  }

  private onBytes(chunk: Buffer): void {
    try {
      this.reader.push(chunk)
    } catch (err) {
      this.destroy(err as Error)
    }
  }

  private flush(): void {
    this.scheduled = false
    if (this.queued === 0 || this.socket.destroyed) return
    const q = this.queue
    const bytes = this.queued
    this.queue = []
    this.queued = 0
    if (bytes < COPY_MAX) this.socket.write(Buffer.concat(q, bytes))
    else {
      // Bulk data: one gathered write (writev) rather than a copy of it all.
      this.socket.cork()
      for (const b of q) this.socket.write(b)
      this.socket.uncork()
    }
    if (this.wantsDrain && this.socket.writableLength < LINK_HIGH_WATER && !this.socket.writableNeedDrain) this.onSocketDrain()
  }

  private onSocketDrain(): void {
    if (!this.wantsDrain || this.queued + this.socket.writableLength >= LINK_HIGH_WATER) return
    this.wantsDrain = false
    this.emit('drain')
  }
}
