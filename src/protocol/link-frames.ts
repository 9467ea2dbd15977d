import { badFrame } from '../core/errors.js'

/**
 * Message framing of a front link (see proxy/framed-socket.ts): each message is preceded by its
 * length, a 32-bit little-endian unsigned integer. Protomux runs on top and needs whole messages.
 */
export const LINK_HEADER_BYTES = 4
/** No message on a front link may be longer; a longer one closes the link. Above the largest
 * protomux message a tunnel sends (64 KiB of data plus its header). */
export const MAX_LINK_MESSAGE = 1024 * 1024

/** The header that precedes a message of `length` bytes. */
export function linkHeader(length: number): Buffer {
  const h = Buffer.allocUnsafe(LINK_HEADER_BYTES)
  h.writeUInt32LE(length, 0)
  return h
}

/**
 * Cuts a byte stream into messages. `push` takes each chunk as it arrives (the reader may keep
 * a view of it, so the caller must not reuse its memory) and calls `onMessage` for each message
 * it completes, in order; the message is a view valid until the next `push`. Throws BAD_FRAME on
 * an over-long length: the stream can no longer be trusted and must be closed.
 */
export class LinkFrameReader {
  /** Bytes of a message not yet complete, kept as they came: joined once, when all are here
   * (a peer sending a large message a byte at a time must not cost a copy per byte). */
  private parts: Buffer[] = []
  private held = 0
  /** Bytes `parts` must reach before anything more can be read from them. */
  private need = 0

  constructor(private readonly onMessage: (message: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf = chunk
    if (this.held > 0) {
      this.parts.push(chunk)
      this.held += chunk.length
      if (this.held < this.need) return
      buf = Buffer.concat(this.parts, this.held)
      this.parts = []
      this.held = 0
    }
    let off = 0
    while (buf.length - off >= LINK_HEADER_BYTES) {
      const length = buf.readUInt32LE(off)
      if (length > MAX_LINK_MESSAGE) throw badFrame(`front link message of ${length} bytes (at most ${MAX_LINK_MESSAGE})`)
      const end = off + LINK_HEADER_BYTES + length
      if (end > buf.length) break
      this.onMessage(buf.subarray(off + LINK_HEADER_BYTES, end))
      off = end
    }
    if (off === buf.length) return
    const rest = off === 0 ? buf : buf.subarray(off)
    this.parts = [rest]
    this.held = rest.length
    this.need = rest.length >= LINK_HEADER_BYTES ? LINK_HEADER_BYTES + rest.readUInt32LE(0) : LINK_HEADER_BYTES
  }

  /** Bytes held of a message not yet complete. */
  get buffered(): number {
    return this.held
  }
}
