/**
 * Where an HTTP/1.1 message body ends, found incrementally over the bytes as they stream past
 * (the bytes themselves are forwarded unchanged by the caller). Chunk data is skipped by
 * arithmetic; only chunk-size lines and trailers are looked at byte by byte.
 */

/** `feed` results other than an end offset. */
export const MORE = -1
export const INVALID = -2

/** Larger chunk sizes are refused (more hex digits than a safe integer holds). */
const MAX_SIZE_DIGITS = 13
/** A chunk-size line (with extensions) or trailer line longer than this is refused. */
const MAX_LINE = 8 * 1024

const CR = 13
const LF = 10

const enum S {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  FinalLf,
  Done
}

/**
 * Chunked transfer coding (RFC 9112 §7.1): size line, data, CRLF … a zero-size chunk, optional
 * trailer lines, and the blank line that ends the message.
 */
export class ChunkedScanner {
  private state = S.Size
  private remaining = 0
  private digits = 0
  private line = 0
  /** Why the framing was refused, after `feed` answered INVALID. */
  error = ''

  /**
   * Scans buf[start, end). Returns the offset just past the message's last byte when it ends in
   * this range, MORE when every byte was part of the body and more is to come, INVALID when the
   * framing is broken (see `error`).
   */
  feed(buf: Uint8Array, start: number, end: number): number {
    let i = start
    while (i < end) {
      switch (this.state) {
        case S.Data: {
          const take = Math.min(this.remaining, end - i)
          i += take
          this.remaining -= take
          if (this.remaining === 0) this.state = S.DataCr
          continue
        }
        case S.Size: {
          const c = buf[i]
          const v = hexValue(c)
          if (v >= 0) {
            if (++this.digits > MAX_SIZE_DIGITS) return this.fail('chunk size too large')
            this.remaining = this.remaining * 16 + v
          } else if (this.digits === 0) {
            return this.fail('chunk size missing')
          } else if (c === CR) {
            this.state = S.SizeLf
          } else if (c === 0x3b /* ; */) {
            this.state = S.Ext
          } else {
            return this.fail('bad character in chunk size')
          }
          break
        }
        case S.Ext: {
          const c = buf[i]
          if (c === CR) this.state = S.SizeLf
          else if (c === LF || (c < 0x20 && c !== 9) || c === 0x7f) return this.fail('bad character in chunk extension')
          else if (++this.line > MAX_LINE) return this.fail('chunk extension too long')
          break
        }
        case S.SizeLf:
          if (buf[i] !== LF) return this.fail('chunk size line not ended by CRLF')
          this.digits = 0
          this.line = 0
          this.state = this.remaining === 0 ? S.TrailerStart : S.Data
          break
        case S.DataCr:
          if (buf[i] !== CR) return this.fail('chunk data longer than its size')
          this.state = S.DataLf
          break
        case S.DataLf:
          if (buf[i] !== LF) return this.fail('chunk data not ended by CRLF')
          this.state = S.Size
          break
        case S.TrailerStart:
          if (buf[i] === CR) {
            this.state = S.FinalLf
          } else if (buf[i] === LF || buf[i] === 0x20 || buf[i] === 9) {
            return this.fail('bad trailer line')
          } else {
            this.line = 1
            this.state = S.Trailer
          }
          break
        case S.Trailer: {
          const c = buf[i]
          if (c === CR) this.state = S.TrailerLf
          else if (c === LF || c === 0) return this.fail('bad character in trailer')
          else if (++this.line > MAX_LINE) return this.fail('trailer line too long')
          break
        }
        case S.TrailerLf:
          if (buf[i] !== LF) return this.fail('trailer line not ended by CRLF')
          this.line = 0
          this.state = S.TrailerStart
          break
        case S.FinalLf:
          if (buf[i] !== LF) return this.fail('chunked body not ended by CRLF')
          this.state = S.Done
          return i + 1
        case S.Done:
          return i
      }
      i++
    }
    return MORE
  }

  private fail(reason: string): number {
    this.error = reason
    return INVALID
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  const l = c | 0x20
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10
  return -1
}

/**
 * One message body: a known length, chunked, or (responses only) everything until the
 * connection closes. Bodyless messages never need one.
 */
export class BodyFraming {
  private remaining: number
  private readonly chunked: ChunkedScanner | null

  /** `length` ≥ 0: that many bytes; -1 with `chunked`; -1 without: until the close. */
  constructor(length: number, chunked: boolean) {
    this.remaining = length
    this.chunked = chunked ? new ChunkedScanner() : null
  }

  /** True for a close-delimited body: it ends only when the sender closes. */
  get untilClose(): boolean {
    return this.remaining < 0 && this.chunked === null
  }

  get error(): string {
    return this.chunked?.error ?? ''
  }

  /** As ChunkedScanner.feed: the offset just past the body, MORE, or INVALID. */
  feed(buf: Uint8Array, start: number, end: number): number {
    if (this.chunked !== null) return this.chunked.feed(buf, start, end)
    if (this.remaining < 0) return MORE
    const take = Math.min(this.remaining, end - start)
    this.remaining -= take
    return this.remaining === 0 ? start + take : MORE
  }
}
