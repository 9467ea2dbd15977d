import { BodyFraming, INVALID, MORE } from './body-framing.js'
import { emptyResponseHead, readResponseHead, type ResponseHead } from './response-head.js'

/** An app's response head larger than this is refused (502). */
export const MAX_RESPONSE_HEAD = 64 * 1024

const CRLFCRLF = Buffer.from('\r\n\r\n')
const EMPTY = Buffer.alloc(0)

const enum Phase {
  Head,
  Body,
  Done
}

/**
 * Tells where each response from an app ends while its bytes pass through unchanged: status
 * line and headers, then a Content-Length, chunked or close-delimited body; interim 1xx
 * responses come before the final one; HEAD requests, 204 and 304 have no body; a 101 ends
 * HTTP on the connection (what follows belongs to the upgraded protocol).
 *
 * One header is the front's own business: Keep-Alive tells the client how long its connection
 * stays open, which is the front's timeout, not the app's. `splice` says where to put it.
 */
export class ResponseFraming {
  private phase = Phase.Done
  private headRequest = false
  private partial: Buffer | null = null
  private body: BodyFraming | null = null
  /** Status of the final response (after `feed` found its head). */
  status = 0
  /** The app will not take another request on this connection after this response. */
  closeAfter = false
  /** The response was 101 Switching Protocols. */
  upgraded = false
  /** Why the response was refused, after `feed` answered INVALID. */
  error = ''
  /**
   * After a `feed` that read a final response head: replace buf[spliceAt, spliceEnd) with
   * `spliceBytes` when relaying (spliceAt -1: relay as is). Offsets are in the buffer fed.
   */
  spliceAt = -1
  spliceEnd = -1
  /** The bytes to put there. */
  spliceBytes: Buffer = EMPTY
  private readonly hint: HintBytes
  /** The last head read (reused: one per connection, not per response). */
  private readonly head: ResponseHead = emptyResponseHead()

  /** `keepAlive`: the Keep-Alive value clients should see, e.g. "timeout=5". */
  constructor(keepAlive: string) {
    this.hint = hintBytes(keepAlive)
  }

  /** `spliceBytes` as text. */
  get spliceText(): string {
    return this.spliceBytes.toString('latin1')
  }

  /** Starts reading the response to one request; `headRequest` for a HEAD request. */
  begin(headRequest: boolean): void {
    this.phase = Phase.Head
    this.headRequest = headRequest
    this.partial = null
    this.body = null
    this.status = 0
    this.closeAfter = false
    this.upgraded = false
    this.error = ''
    this.spliceAt = -1
  }

  /** True while a body runs until the app closes the connection. */
  get untilClose(): boolean {
    return this.phase === Phase.Body && this.body !== null && this.body.untilClose
  }

  /** True once the final response ended (or, for 101, its head did). */
  get done(): boolean {
    return this.phase === Phase.Done
  }

  /**
   * Scans buf[start, end). Returns the offset just past the final response when it ends in this
   * range, MORE when all of it belongs to the response and more is to come, INVALID when the
   * app's bytes are not a valid response (see `error`).
   */
  feed(buf: Buffer, start: number, end: number): number {
    let i = start
    while (i < end || this.phase === Phase.Done) {
      if (this.phase === Phase.Done) return i
      if (this.phase === Phase.Head) {
        i = this.readHead(buf, i, end)
        if (i < 0) return i
        continue
      }
      const r = this.body!.feed(buf, i, end)
      if (r === INVALID) return this.fail(`bad chunked body: ${this.body!.error}`)
      if (r === MORE) return MORE
      this.phase = Phase.Done
      i = r
    }
    return MORE
  }

  /** The offset after the head (phase moved on), or MORE/INVALID. */
  private readHead(buf: Buffer, start: number, end: number): number {
    let src = buf
    let from = start
    let shift = 0
    if (this.partial !== null) {
      shift = this.partial.length
      src = Buffer.concat([this.partial, buf.subarray(start, end)])
      from = 0
    }
    const stop = src.indexOf(CRLFCRLF, from)
    const srcEnd = this.partial !== null ? src.length : end
    if (stop < 0 || stop >= srcEnd) {
      if (srcEnd - from > MAX_RESPONSE_HEAD) return this.fail('response head too large')
      this.partial = this.partial !== null ? src : Buffer.from(buf.subarray(start, end))
      return MORE
    }
    if (stop + 4 - from > MAX_RESPONSE_HEAD) return this.fail('response head too large')
    this.partial = null
    // Back from the joined buffer to offsets in `buf`.
    const base = shift === 0 ? from : start - shift
    const after = base + (stop + 4 - from)
    const verdict = this.parseHead(src, from, stop + 2, base, start)
    return verdict === INVALID ? INVALID : after
  }

  /** The head is src[from, end) (to its last header line's CRLF). `base`: where its first byte
   * is in the buffer being fed (negative when it came in an earlier one); bytes before `first`
   * were relayed already. */
  private parseHead(src: Buffer, from: number, end: number, base: number, first: number): number {
    const h = this.head
    const error = readResponseHead(src, from, end, h)
    if (error !== '') return this.fail(error)
    const status = h.status
    if (status < 200) {
      if (status === 101) {
        this.status = status
        this.upgraded = true
        this.phase = Phase.Done
      }
      // Other 1xx are interim: the final response follows.
      return 0
    }
    this.status = status
    const connection = h.connection
    this.closeAfter = hasToken(connection, 'close') || (h.minor === 0 && !hasToken(connection, 'keep-alive'))
    if (!this.closeAfter) {
      if (h.keepAliveAt < 0) {
        this.spliceAt = this.spliceEnd = base + (end - from)
        this.spliceBytes = this.hint.line
      } else if (!sameValue(src, from + h.keepAliveAt, from + h.keepAliveEnd, this.hint.bare)) {
        this.spliceAt = base + h.keepAliveAt
        this.spliceEnd = base + h.keepAliveEnd
        this.spliceBytes = this.hint.value
      }
      if (this.spliceAt < first) this.spliceAt = -1
    }
    if (this.headRequest || status === 204 || status === 304) {
      this.phase = Phase.Done
    } else if (h.transferEncoding !== '') {
      // Chunked only when it is the final coding; otherwise the body runs to the close.
      const codings = h.transferEncoding.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '')
      const chunked = codings[codings.length - 1] === 'chunked'
      this.body = new BodyFraming(-1, chunked)
      if (!chunked) this.closeAfter = true
      this.phase = Phase.Body
    } else if (h.contentLength === 0) {
      this.phase = Phase.Done
    } else {
      this.body = new BodyFraming(h.contentLength, false)
      if (h.contentLength < 0) this.closeAfter = true
      this.phase = Phase.Body
    }
    return 0
  }

  private fail(reason: string): number {
    this.error = reason
    return INVALID
  }
}

/** A Keep-Alive value as bytes: bare, as a header value, as a header line. */
interface HintBytes {
  readonly bare: Buffer
  readonly value: Buffer
  readonly line: Buffer
}

/** Made once per value (a front has one), not once per connection. */
const hints = new Map<string, HintBytes>()

function hintBytes(keepAlive: string): HintBytes {
  let h = hints.get(keepAlive)
  if (h === undefined) {
    h = {
      bare: Buffer.from(keepAlive, 'latin1'),
      value: Buffer.from(` ${keepAlive}`, 'latin1'),
      line: Buffer.from(`Keep-Alive: ${keepAlive}\r\n`, 'latin1')
    }
    hints.set(keepAlive, h)
  }
  return h
}

/** buf[a, b), without spaces and tabs around it, is exactly `want`. */
function sameValue(buf: Buffer, a: number, b: number, want: Buffer): boolean {
  while (a < b && (buf[a] === 0x20 || buf[a] === 0x09)) a++
  while (b > a && (buf[b - 1] === 0x20 || buf[b - 1] === 0x09)) b--
  return b - a === want.length && buf.compare(want, 0, want.length, a, b) === 0
}

function hasToken(list: string, token: string): boolean {
  if (!list.includes(token)) return false
  for (const t of list.split(',')) if (t.trim() === token) return true
  return false
}
