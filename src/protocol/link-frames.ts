import { badFrame } from '../core/errors.js'

/**
 * Message framing of a front link (mesh/framed-socket.ts): each message is its length (a 32-bit
 * little-endian unsigned integer, counting the tag and the body), a one-byte tag (what kind of
 * message; the tunnel's frame kind), then the body.
 */
export const LINK_HEADER_BYTES = 5
/** No message on a front link may be longer; a longer one closes the link. Above the largest
 * frame a tunnel sends (64 KiB of data plus its header). */
export const MAX_LINK_MESSAGE = 1024 * 1024

/** Writes the header of a message with `tag` and a body of `bodyLength` bytes at buf[at]. */
export function writeLinkHeader(buf: Buffer, at: number, tag: number, bodyLength: number): void {
  buf.writeUInt32LE(bodyLength + 1, at)
  buf[at + 4] = tag
}

/**
 * Cuts a byte stream into messages. `push` takes each chunk as it arrives (the reader may keep
 * a view of it, so the caller must not reuse its memory) and calls `onMessage` for each message
 * it completes, in order; the body is a view valid until the next `push`. Throws BAD_FRAME on a
 * length over MAX_LINK_MESSAGE or of zero (no tag): the stream can no longer be trusted.
 */
export class LinkFrameReader {
  /** Bytes of a message not yet complete, kept as they came: joined once, when all are here
   * (a peer sending a large message a byte at a time must not cost a copy per byte). */
  private parts: Buffer[] = []
  private held = 0
  /** Bytes `parts` must reach before anything more can be read from them. */
  private need = 0

  constructor(private readonly onMessage: (tag: number, body: Buffer) => void) {}

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
    while (buf.length - off >= 4) {
      const length = readLength(buf, off)
      const end = off + 4 + length
      if (end > buf.length) break
      this.onMessage(buf[off + 4]!, buf.subarray(off + LINK_HEADER_BYTES, end))
      off = end
    }
    if (off === buf.length) return
    const rest = off === 0 ? buf : buf.subarray(off)
    this.parts = [rest]
    this.held = rest.length
    this.need = rest.length >= 4 ? 4 + readLength(rest, 0) : 4
  }

  /** Bytes held of a message not yet complete. */
  get buffered(): number {
    return this.held
  }
}

function readLength(buf: Buffer, at: number): number {
  const length = buf.readUInt32LE(at)
  if (length === 0) throw badFrame('front link message without a tag')
  if (length > MAX_LINK_MESSAGE) throw badFrame(`front link message of ${length} bytes (at most ${MAX_LINK_MESSAGE})`)
  return length
}
