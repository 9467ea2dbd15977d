import { BodyFraming, INVALID, MORE } from './body-framing.js'

/** An app's response head larger than this is refused (502). */
export const MAX_RESPONSE_HEAD = 64 * 1024

const CRLFCRLF = Buffer.from('\r\n\r\n')
const EMPTY = Buffer.alloc(0)
const DIGITS = /^\d{1,15}$/

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
   * `spliceText` when relaying (spliceAt -1: relay as is). Offsets are in the buffer fed.
   */
  spliceAt = -1
  spliceEnd = -1
  spliceText = ''
  /** `spliceText` as bytes (made once per connection, not per response). */
  spliceBytes: Buffer = EMPTY
  private readonly lineText: string
  private readonly lineBytes: Buffer
  private readonly valueText: string
  private readonly valueBytes: Buffer

  /** `keepAlive`: the Keep-Alive value clients should see, e.g. "timeout=5". */
  constructor(private readonly keepAlive: string) {
    this.lineText = `Keep-Alive: ${keepAlive}\r\n`
    this.lineBytes = Buffer.from(this.lineText, 'latin1')
    this.valueText = ` ${keepAlive}`
    this.valueBytes = Buffer.from(this.valueText, 'latin1')
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
    const verdict = this.parseHead(src.toString('latin1', from, stop + 2), base, start)
    return verdict === INVALID ? INVALID : after
  }

  /** `base`: where the head's first byte is in the buffer being fed (negative when it came in an
   * earlier one); bytes before `first` were relayed already. */
  private parseHead(text: string, base: number, first: number): number {
    const status = statusOf(text)
    if (status < 0) return this.fail('malformed status line')
    const minor = text.charCodeAt(7) === 0x30 ? '0' : '1'
    let contentLength = -1
    let transferEncoding = ''
    let connection = ''
    let keepAliveAt = -1
    let keepAliveEnd = -1
    let pos = text.indexOf('\r\n') + 2
    while (pos < text.length) {
      const next = text.indexOf('\r\n', pos)
      const colon = text.indexOf(':', pos)
      if (colon < 0 || colon > next) return this.fail('header line without a colon')
      const len = colon - pos
      // Only three names matter here: skip the rest without building strings.
      if (len === 14 || len === 17 || len === 10) {
        const name = text.slice(pos, colon).toLowerCase()
        if (name === 'content-length') {
          const value = text.slice(colon + 1, next).trim()
          if (!DIGITS.test(value)) return this.fail(`bad Content-Length "${value}"`)
          const n = Number(value)
          if (contentLength >= 0 && contentLength !== n) return this.fail('conflicting Content-Length')
          contentLength = n
        } else if (name === 'transfer-encoding') {
          transferEncoding += `${text.slice(colon + 1, next)},`
        } else if (name === 'connection') {
          connection += `${text.slice(colon + 1, next).toLowerCase()},`
        } else if (name === 'keep-alive' && keepAliveAt < 0) {
          keepAliveAt = colon + 1
          keepAliveEnd = next
        }
      }
      pos = next + 2
    }
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
    this.closeAfter = hasToken(connection, 'close') || (minor === '0' && !hasToken(connection, 'keep-alive'))
    if (!this.closeAfter) {
      if (keepAliveAt < 0) {
        this.spliceAt = this.spliceEnd = base + text.length
        this.spliceText = this.lineText
        this.spliceBytes = this.lineBytes
      } else if (text.slice(keepAliveAt, keepAliveEnd).trim() !== this.keepAlive) {
        this.spliceAt = base + keepAliveAt
        this.spliceEnd = base + keepAliveEnd
        this.spliceText = this.valueText
        this.spliceBytes = this.valueBytes
      }
      if (this.spliceAt < first) this.spliceAt = -1
    }
    if (this.headRequest || status === 204 || status === 304) {
      this.phase = Phase.Done
    } else if (transferEncoding !== '') {
      // Chunked only when it is the final coding; otherwise the body runs to the close.
      const codings = transferEncoding.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '')
      const chunked = codings[codings.length - 1] === 'chunked'
      this.body = new BodyFraming(-1, chunked)
      if (!chunked) this.closeAfter = true
      this.phase = Phase.Body
    } else if (contentLength === 0) {
      this.phase = Phase.Done
    } else {
      this.body = new BodyFraming(contentLength, false)
      if (contentLength < 0) this.closeAfter = true
      this.phase = Phase.Body
    }
    return 0
  }

  private fail(reason: string): number {
    this.error = reason
    return INVALID
  }
}

/** The status code of `HTTP/1.x NNN[ reason]`, or -1. (By hand: once per response.) */
function statusOf(text: string): number {
  if (!text.startsWith('HTTP/1.') || text.length < 12) return -1
  const minor = text.charCodeAt(7)
  if ((minor !== 0x30 && minor !== 0x31) || text.charCodeAt(8) !== 0x20) return -1
  let status = 0
  for (let i = 9; i < 12; i++) {
    const d = text.charCodeAt(i) - 0x30
    if (d < 0 || d > 9) return -1
    status = status * 10 + d
  }
  const after = text.charCodeAt(12)
  return after === 0x20 || after === 0x0d ? status : -1
}

function hasToken(list: string, token: string): boolean {
  if (!list.includes(token)) return false
  for (const t of list.split(',')) if (t.trim() === token) return true
  return false
}
