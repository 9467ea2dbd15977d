import { EventEmitter } from 'node:events'
import type net from 'node:net'
import { LINK_HEADER_BYTES, LinkFrameReader, writeLinkHeader } from '../protocol/link-frames.js'

/** Queued bytes (here and in the socket) above which `send` asks the writer to wait for 'drain'. */
export const LINK_HIGH_WATER = 1024 * 1024
/** Queued messages are written at once when they reach this many bytes, without waiting for the turn. */
const FLUSH_BYTES = 64 * 1024
/** A body up to this is copied into the turn's write buffer; a larger one is written as it is. */
const COPY_MAX = 16 * 1024
const BUILD_BYTES = 16 * 1024

/**
 * A TCP socket carrying tagged messages (protocol/link-frames.ts): `send(tag, body)`, and a
 * 'message' event (tag, body) for each message received; also 'drain', 'end', 'error', 'close'.
 *
 * Messages sent during one turn of the event loop leave in one socket write, after the turn's
 * I/O callbacks ran: a link multiplexing many connections then costs one system call per batch
 * instead of one per message (the point of it; see mesh/front-links.ts). Small messages are
 * copied into one buffer as they are sent; large ones are written gathered, without a copy.
 */
export class FramedSocket extends EventEmitter {
  private readonly reader: LinkFrameReader
  /** Written at the end of the turn: buffers ready to go, then what `build` holds. */
  private queue: Buffer[] = []
  private build: Buffer | null = null
  private built = 0
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
    this.reader = new LinkFrameReader((tag, body) => this.emit('message', tag, body))
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk))
    socket.on('drain', () => this.onSocketDrain())
    socket.on('end', () => this.emit('end'))
    socket.on('error', (err: Error) => this.emit('error', err))
    socket.on('close', () => this.emit('close'))
    if (head !== undefined && head.length > 0) process.nextTick(() => this.onBytes(head))
  }

  /** Queues one message; false when the sender should wait for 'drain'. The body may be reused
   * once this returns only if it is at most COPY_MAX bytes; a larger one is kept until written. */
  send(tag: number, body: Uint8Array): boolean {
    if (this.socket.destroyed) return false
    const length = body.byteLength
    if (length <= COPY_MAX) {
      if (this.build === null || this.built + LINK_HEADER_BYTES + length > this.build.length) {
        this.endBuild()
        this.build = Buffer.allocUnsafe(Math.max(BUILD_BYTES, LINK_HEADER_BYTES + length))
      }
      writeLinkHeader(this.build, this.built, tag, length)
      this.build.set(body, this.built + LINK_HEADER_BYTES)
      this.built += LINK_HEADER_BYTES + length
    } else {
      this.endBuild()
      const header = Buffer.allocUnsafe(LINK_HEADER_BYTES)
      writeLinkHeader(header, 0, tag, length)
      this.queue.push(header, Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, length))
    }
    this.queued += LINK_HEADER_BYTES + length
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
    this.build = null
    this.built = 0
    this.queued = 0
    this.socket.destroy(err)
  }

  private onBytes(chunk: Buffer): void {
    try {
      this.reader.push(chunk)
    } catch (err) {
      this.destroy(err as Error)
    }
  }

  /** Moves what the build buffer holds to the queue (the buffer is the socket's from then on). */
  private endBuild(): void {
    if (this.built === 0) return
    this.queue.push(this.build!.subarray(0, this.built))
    this.build = null
    this.built = 0
  }

  private flush(): void {
    this.scheduled = false
    if (this.queued === 0 || this.socket.destroyed) return
    this.endBuild()
    const q = this.queue
    this.queue = []
    this.queued = 0
    if (q.length === 1) this.socket.write(q[0]!)
    else {
      // One gathered write (writev).
      this.socket.cork()
      for (const b of q) this.socket.write(b)
      this.socket.uncork()
    }
    // Room again without the socket filling up: it will not say 'drain', so this does.
    if (!this.socket.writableNeedDrain) this.onSocketDrain()
  }

  private onSocketDrain(): void {
    if (!this.wantsDrain || this.queued + this.socket.writableLength >= LINK_HIGH_WATER) return
    this.wantsDrain = false
    this.emit('drain')
  }
}
