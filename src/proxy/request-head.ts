/**
 * The head of one HTTP/1.x request, read straight from the client's bytes. Strict on purpose:
 * anything two parsers could read differently (the stuff of request smuggling) is refused.
 */
export interface RequestHead {
  /** The head as latin1 text (byte for byte), request line to the CRLF of the last header line. */
  readonly text: string
  /** Bytes the head took in the buffer, blank line (and any leading empty lines) included. */
  readonly size: number
  readonly method: string
  readonly url: string
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minor: number
  /** The Host header value, '' when absent. */
  readonly host: string
  /** Content-Length, -1 when absent. */
  readonly contentLength: number
  /** Transfer-Encoding: chunked (the only coding accepted). */
  readonly chunked: boolean
  /** The client wants the connection kept open after this request. */
  readonly keepAlive: boolean
  /** Upgrade header value when Connection lists upgrade (WebSocket), else ''. */
  readonly upgrade: string
  /** Hop count from x-shoal-hops: 0 when absent, NaN when malformed or repeated. */
  readonly hops: number
  /** X-Forwarded-For values joined with ", ", '' when absent. */
  readonly forwardedFor: string
  readonly forwardedHost: string
  readonly forwardedProto: string
  /** Some header line must not be forwarded as is (hop-by-hop, X-Forwarded-*, hop counter). */
  readonly dropsLines: boolean
  /** Lower-cased header names listed in Connection besides keep-alive/close/upgrade, or null. */
  readonly connectionListed: Set<string> | null
}

/** Why a request was refused before anything was forwarded. */
export interface HeadRefusal {
  readonly status: 400 | 431
  readonly reason: string
}

/** Headers never forwarded as they came (RFC 9110 §7.6.1, plus what this front rewrites). */
export const DROPPED_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'x-shoal-hops',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto'
])

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Control bytes other than HTAB, and CR or LF that are not part of a CRLF. */
const BAD_BYTES = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/
const DIGITS = /^\d{1,15}$/
const HOPS = /^\d{1,3}$/
const CRLFCRLF = Buffer.from('\r\n\r\n')

const refuse = (reason: string): HeadRefusal => ({ status: 400, reason })

/**
 * Reads the request head at buf[start, end). Returns null while the head is incomplete (and
 * within `maxSize` bytes), a refusal for anything malformed, ambiguous or too large.
 */
export function parseRequestHead(buf: Buffer, start: number, end: number, maxSize: number): RequestHead | HeadRefusal | null {
  let from = start
  // Empty lines before a request line are ignored (RFC 9112 §2.2), e.g. a stray CRLF after a body.
  while (from + 1 < end && buf[from] === 13 && buf[from + 1] === 10) from += 2
  const stop = buf.indexOf(CRLFCRLF, from)
  if (stop < 0 || stop >= end) {
    if (end - from > maxSize) return { status: 431, reason: 'request headers too large' }
    // A head ended by bare LFs would never be found; say so rather than time out.
    const lf = buf.indexOf(10, from)
    if (lf >= 0 && lf < end && (lf === from || buf[lf - 1] !== 13)) return refuse('bare LF in request head')
    return null
  }
  if (stop + 4 - from > maxSize) return { status: 431, reason: 'request headers too large' }
  // Up to and including the last header line's CRLF.
  const text = buf.toString('latin1', from, stop + 2)
  if (BAD_BYTES.test(text)) return refuse('control character or bare CR/LF in request head')
  const lineEnd = text.indexOf('\r\n')
  const sp1 = text.indexOf(' ')
  const sp2 = sp1 < 0 ? -1 : text.indexOf(' ', sp1 + 1)
  if (sp1 <= 0 || sp2 < 0 || sp2 > lineEnd) return refuse('malformed request line')
  const method = text.slice(0, sp1)
  const url = text.slice(sp1 + 1, sp2)
  const version = text.slice(sp2 + 1, lineEnd)
  if (!TOKEN.test(method) || url.length === 0) return refuse('malformed request line')
  // This front routes by Host; it is not a forward proxy.
  if (method === 'CONNECT') return refuse('CONNECT is not supported')
  let minor: number
  if (version === 'HTTP/1.1') minor = 1
  else if (version === 'HTTP/1.0') minor = 0
  else return refuse('unsupported HTTP version')

  let host: string | undefined
  let contentLength = -1
  let te: string | undefined
  let connection = ''
  let upgradeValue = ''
  let hopsRaw: string | undefined
  let hopsRepeated = false
  let forwardedFor = ''
  let forwardedHost = ''
  let forwardedProto = ''
  let dropsLines = false
  let pos = lineEnd + 2
  while (pos < text.length) {
    const next = text.indexOf('\r\n', pos)
    const first = text.charCodeAt(pos)
    if (first === 32 || first === 9) return refuse('obsolete line folding')
    const colon = text.indexOf(':', pos)
    if (colon < 0 || colon > next) return refuse('header line without a colon')
    const rawName = text.slice(pos, colon)
    if (!TOKEN.test(rawName)) return refuse(`malformed header name "${rawName}"`)
    const name = rawName.toLowerCase()
    pos = next + 2
    if (!DROPPED_HEADERS.has(name) && name !== 'host' && name !== 'content-length') continue
    const value = trimOws(text.slice(colon + 1, next))
    switch (name) {
      case 'host':
        if (host !== undefined) return refuse('more than one Host header')
        host = value
        continue
      case 'content-length':
        if (contentLength >= 0) return refuse('more than one Content-Length')
        if (!DIGITS.test(value)) return refuse(`bad Content-Length "${value}"`)
        contentLength = Number(value)
        continue
      case 'transfer-encoding':
        te = te === undefined ? value : `${te}, ${value}`
        break
      case 'connection':
        connection = connection === '' ? value.toLowerCase() : `${connection}, ${value.toLowerCase()}`
        break
      case 'upgrade':
        upgradeValue = value
        break
      case 'x-shoal-hops':
        if (hopsRaw !== undefined) hopsRepeated = true
        hopsRaw = value
        break
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === '' ? value : `${forwardedFor}, ${value}`
        break
      case 'x-forwarded-host':
        forwardedHost ||= value
        break
      case 'x-forwarded-proto':
        forwardedProto ||= value
        break
    }
    dropsLines = true
  }

  let chunked = false
  if (te !== undefined) {
    if (minor === 0) return refuse('Transfer-Encoding is not allowed in HTTP/1.0')
    if (te.toLowerCase() !== 'chunked') return refuse(`unsupported Transfer-Encoding "${te}"`)
    if (contentLength >= 0) return refuse('both Content-Length and Transfer-Encoding')
    chunked = true
  }
  if (host === undefined && minor === 1) return refuse('missing Host header')

  let keepAlive = minor === 1
  let wantsUpgrade = false
  let connectionListed: Set<string> | null = null
  if (connection !== '') {
    let close = false
    for (const raw of connection.split(',')) {
      const token = trimOws(raw)
      if (token === 'close') close = true
      else if (token === 'keep-alive') keepAlive = true
      else if (token === 'upgrade') wantsUpgrade = true
      else if (token !== '') (connectionListed ??= new Set()).add(token)
    }
    if (close) keepAlive = false
  }
  if (connectionListed !== null) dropsLines = true
  const hops = hopsRaw === undefined ? 0 : !hopsRepeated && HOPS.test(hopsRaw) ? Number(hopsRaw) : NaN
  return {
    text,
    size: stop + 4 - start,
    method,
    url,
    minor,
    host: host ?? '',
    contentLength,
    chunked,
    keepAlive,
    upgrade: wantsUpgrade ? upgradeValue : '',
    hops,
    forwardedFor,
    forwardedHost,
    forwardedProto,
    dropsLines,
    connectionListed
  }
}

export function isRefusal(r: RequestHead | HeadRefusal): r is HeadRefusal {
  return (r as HeadRefusal).status !== undefined
}

/** True when the request carries a body (its bytes follow the head). */
export function hasBody(head: RequestHead): boolean {
  return head.chunked || head.contentLength > 0
}

/** Strips optional whitespace (SP, HTAB) around a field value; String.trim would eat more. */
function trimOws(v: string): string {
  let a = 0
  let b = v.length
  while (a < b && (v.charCodeAt(a) === 32 || v.charCodeAt(a) === 9)) a++
  while (b > a && (v.charCodeAt(b - 1) === 32 || v.charCodeAt(b - 1) === 9)) b--
  return a === 0 && b === v.length ? v : v.slice(a, b)
}
