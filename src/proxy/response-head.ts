import { digitsIn, isExact, isName, nameBytes, owsEnd, owsStart } from './field-bytes.js'

/**
 * What a proxy needs from an app's response head, read from its bytes: the status, the framing
 * headers and where a Keep-Alive header's value is. Other headers are stepped over without being
 * turned into strings (this runs once per response on the front's hot path).
 */
export interface ResponseHead {
  status: number
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number
  /** Content-Length, -1 when absent. */
  contentLength: number
  /** Transfer-Encoding values joined with ",", '' when absent. */
  transferEncoding: string
  /** Connection values, lower-cased, joined with ",", '' when absent. */
  connection: string
  /** Where the first Keep-Alive header's value runs (after the colon, to the line's CR),
   * relative to the head's first byte; -1 when there is none. */
  keepAliveAt: number
  keepAliveEnd: number
}

const CONTENT_LENGTH = nameBytes('content-length')
const TRANSFER_ENCODING = nameBytes('transfer-encoding')
const CONNECTION = nameBytes('connection')
const KEEP_ALIVE = nameBytes('keep-alive')
const HTTP_1 = nameBytes('HTTP/1.')
/** Content-Length values up to this many digits (as the request side allows). */
const MAX_DIGITS = 15

export function emptyResponseHead(): ResponseHead {
  return { status: 0, minor: 1, contentLength: -1, transferEncoding: '', connection: '', keepAliveAt: -1, keepAliveEnd: -1 }
}

/**
 * Reads the head at buf[from, end): status line and header lines, `end` just past the last
 * header line's CRLF (the blank line is not included). Fills `out`; returns '' or why the head is
 * not a valid response head.
 */
export function readResponseHead(buf: Buffer, from: number, end: number, out: ResponseHead): string {
  out.contentLength = -1
  out.transferEncoding = ''
  out.connection = ''
  out.keepAliveAt = -1
  out.keepAliveEnd = -1
  const status = statusOf(buf, from, end)
  if (status < 0) return 'malformed status line'
  out.status = status
  out.minor = buf[from + 7] === 0x30 ? 0 : 1
  let pos = lineEnd(buf, from, end) + 2
  while (pos < end) {
    const cr = lineEnd(buf, pos, end)
    let colon = pos
    while (colon < cr && buf[colon] !== 0x3a) colon++
    if (colon === cr) return 'header line without a colon'
    const len = colon - pos
    // Only four names matter here; the rest are skipped without building strings.
    if (len === 14 && isName(buf, pos, CONTENT_LENGTH)) {
      const a = owsStart(buf, colon + 1, cr)
      const n = digitsIn(buf, a, owsEnd(buf, a, cr), MAX_DIGITS)
      if (n < 0) return `bad Content-Length "${buf.toString('latin1', colon + 1, cr).trim()}"`
      if (out.contentLength >= 0 && out.contentLength !== n) return 'conflicting Content-Length'
      out.contentLength = n
    } else if (len === 17 && isName(buf, pos, TRANSFER_ENCODING)) {
      out.transferEncoding += `${buf.toString('latin1', colon + 1, cr)},`
    } else if (len === 10) {
      if (isName(buf, pos, CONNECTION)) out.connection += `${buf.toString('latin1', colon + 1, cr).toLowerCase()},`
      else if (isName(buf, pos, KEEP_ALIVE) && out.keepAliveAt < 0) {
        out.keepAliveAt = colon + 1 - from
        out.keepAliveEnd = cr - from
      }
    }
    pos = cr + 2
  }
  return ''
}

/** Offset of the CR of the CRLF ending the line at `pos` (the head ends with one). */
function lineEnd(buf: Buffer, pos: number, end: number): number {
  let i = pos
  while (i < end - 1 && !(buf[i] === 0x0d && buf[i + 1] === 0x0a)) i++
  return i
}

/** The status code of `HTTP/1.x NNN[ reason]` at buf[from, end), or -1. */
function statusOf(buf: Buffer, from: number, end: number): number {
  if (end - from < 12 || !isExact(buf, from, HTTP_1)) return -1
  const minor = buf[from + 7]
  if ((minor !== 0x30 && minor !== 0x31) || buf[from + 8] !== 0x20) return -1
  let status = 0
  for (let i = from + 9; i < from + 12; i++) {
    const d = buf[i] - 0x30
    if (d < 0 || d > 9) return -1
    status = status * 10 + d
  }
  const after = buf[from + 12]
  return after === 0x20 || after === 0x0d ? status : -1
}

