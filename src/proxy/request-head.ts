import { digitsIn, isExact, isName, nameBytes, owsEnd, owsStart } from './field-bytes.js'

/**
 * The head of one HTTP/1.x request, read straight from the client's bytes. Strict on purpose:
 * anything two parsers could read differently (the stuff of request smuggling) is refused.
 */
export interface RequestHead {
  /** The head's bytes, request line to the CRLF of the last header line (a view of the client's). */
  readonly bytes: Buffer
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
  /**
   * The header lines named in DROPPED_HEADERS, as offsets in `bytes`: start, end (past the
   * CRLF) and 1 for X-Forwarded-Host/-Proto (kept when relayed by another front), else 0.
   */
  readonly droppedLines: readonly number[]
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

const CRLFCRLF = Buffer.from('\r\n\r\n')
const HTTP_1 = nameBytes('HTTP/1.')
const CONNECT = nameBytes('CONNECT')
const HOPS = /^\d{1,3}$/

/** Bytes allowed in a token (RFC 9110 §5.6.2): method and header names. */
const TCHAR = new Uint8Array(256)
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1

/** Header names this parser reads, by length (names compared without case). */
const enum Name {
  Host,
  ContentLength,
  TransferEncoding,
  Connection,
  Upgrade,
  Hops,
  ForwardedFor,
  ForwardedHost,
  ForwardedProto,
  /** Dropped, value unused. */
  OtherDropped
}
const NAMES = new Map<number, Array<[Uint8Array, Name]>>()
function known(name: string, id: Name): void {
  const list = NAMES.get(name.length) ?? []
  list.push([nameBytes(name), id])
  NAMES.set(name.length, list)
}
known('host', Name.Host)
known('content-length', Name.ContentLength)
for (const name of DROPPED_HEADERS) {
  const id: Name =
    name === 'transfer-encoding' ? Name.TransferEncoding
    : name === 'connection' ? Name.Connection
    : name === 'upgrade' ? Name.Upgrade
    : name === 'x-shoal-hops' ? Name.Hops
    : name === 'x-forwarded-for' ? Name.ForwardedFor
    : name === 'x-forwarded-host' ? Name.ForwardedHost
    : name === 'x-forwarded-proto' ? Name.ForwardedProto
    : Name.OtherDropped
  known(name, id)
}

/** Shared by every head that drops no line (most): no array per request. */
const NO_LINES: readonly number[] = []

const refuse = (reason: string): HeadRefusal => ({ status: 400, reason })
const BAD_BYTES = 'control character or bare CR/LF in request head'

/**
 * Reads the request head at buf[start, end). Returns null while the head is incomplete (and
 * within `maxSize` bytes), a refusal for anything malformed, ambiguous or too large. Works on the
 * bytes: only the values this front uses become strings.
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
  const headEnd = stop + 2
  // Control bytes other than HTAB, and CR or LF that are not part of a CRLF.
  for (let i = from; i < headEnd; i++) {
    const c = buf[i]
    if (c >= 0x20 && c !== 0x7f) continue
    if (c === 9) continue
    if (c === 13 && buf[i + 1] === 10) {
      i++
      continue
    }
    return refuse(BAD_BYTES)
  }
  // From here every CR is followed by LF.
  const lineEnd = buf.indexOf(13, from)
  let sp1 = from
  while (sp1 < lineEnd && buf[sp1] !== 32) sp1++
  let sp2 = sp1 + 1
  while (sp2 < lineEnd && buf[sp2] !== 32) sp2++
  if (sp1 === from || sp1 >= lineEnd || sp2 >= lineEnd) return refuse('malformed request line')
  for (let i = from; i < sp1; i++) if (TCHAR[buf[i]] === 0) return refuse('malformed request line')
  if (sp2 === sp1 + 1) return refuse('malformed request line')
  // This front routes by Host; it is not a forward proxy.
  if (sp1 - from === CONNECT.length && isExact(buf, from, CONNECT)) return refuse('CONNECT is not supported')
  // "HTTP/1.1" or "HTTP/1.0", nothing else.
  if (lineEnd - sp2 - 1 !== 8 || !isExact(buf, sp2 + 1, HTTP_1)) return refuse('unsupported HTTP version')
  const minor = buf[lineEnd - 1] - 0x30
  if (minor !== 0 && minor !== 1) return refuse('unsupported HTTP version')

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
  let droppedLines: number[] | null = null
  let pos = lineEnd + 2
  while (pos < headEnd) {
    const first = buf[pos]
    if (first === 32 || first === 9) return refuse('obsolete line folding')
    let colon = pos
    let nameOk = true
    while (colon < headEnd && buf[colon] !== 58 && buf[colon] !== 13) {
      if (TCHAR[buf[colon]] === 0) nameOk = false
      colon++
    }
    if (buf[colon] !== 58) return refuse('header line without a colon')
    if (!nameOk || colon === pos) return refuse(`malformed header name "${buf.toString('latin1', pos, colon)}"`)
    let cr = colon
    while (buf[cr] !== 13) cr++
    const lineStart = pos
    pos = cr + 2
    const candidates = NAMES.get(colon - lineStart)
    if (candidates === undefined) continue
    let id = -1
    for (const [name, which] of candidates) {
      if (isName(buf, lineStart, name)) {
        id = which
        break
      }
    }
    if (id < 0) continue
    const va = owsStart(buf, colon + 1, cr)
    const vb = owsEnd(buf, va, cr)
    if (id === Name.ContentLength) {
      if (contentLength >= 0) return refuse('more than one Content-Length')
      contentLength = digitsIn(buf, va, vb, 15)
      if (contentLength < 0) return refuse(`bad Content-Length "${buf.toString('latin1', va, vb)}"`)
      continue
    }
    const value = buf.toString('latin1', va, vb)
    switch (id) {
      case Name.Host:
        if (host !== undefined) return refuse('more than one Host header')
        host = value
        continue
      case Name.TransferEncoding:
        te = te === undefined ? value : `${te}, ${value}`
        break
      case Name.Connection:
        connection = connection === '' ? value.toLowerCase() : `${connection}, ${value.toLowerCase()}`
        break
      case Name.Upgrade:
        upgradeValue = value
        break
      case Name.Hops:
        if (hopsRaw !== undefined) hopsRepeated = true
        hopsRaw = value
        break
      case Name.ForwardedFor:
        forwardedFor = forwardedFor === '' ? value : `${forwardedFor}, ${value}`
        break
      case Name.ForwardedHost:
        forwardedHost ||= value
        break
      case Name.ForwardedProto:
        forwardedProto ||= value
        break
    }
    droppedLines ??= []
    droppedLines.push(lineStart - from, pos - from, id === Name.ForwardedHost || id === Name.ForwardedProto ? 1 : 0)
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
  const hops = hopsRaw === undefined ? 0 : !hopsRepeated && HOPS.test(hopsRaw) ? Number(hopsRaw) : NaN
  return {
    bytes: buf.subarray(from, headEnd),
    size: stop + 4 - start,
    method: methodOf(buf, from, sp1),
    url: buf.toString('latin1', sp1 + 1, sp2),
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
    dropsLines: droppedLines !== null || connectionListed !== null,
    droppedLines: droppedLines ?? NO_LINES,
    connectionListed
  }
}

/** The head as latin1 text (byte for byte), request line to the CRLF of the last header line. */
export function headText(head: RequestHead): string {
  return head.bytes.toString('latin1')
}

export function isRefusal(r: RequestHead | HeadRefusal): r is HeadRefusal {
  return (r as HeadRefusal).status !== undefined
}

/** True when the request carries a body (its bytes follow the head). */
export function hasBody(head: RequestHead): boolean {
  return head.chunked || head.contentLength > 0
}

const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'].map((m) => [m, nameBytes(m)] as const)

/** The method as a string, shared for the common ones. */
function methodOf(buf: Buffer, from: number, to: number): string {
  for (const [name, bytes] of METHODS) if (bytes.length === to - from && isExact(buf, from, bytes)) return name
  return buf.toString('latin1', from, to)
}

/** Strips optional whitespace (SP, HTAB) around a field value; String.trim would eat more. */
function trimOws(v: string): string {
  let a = 0
  let b = v.length
  while (a < b && (v.charCodeAt(a) === 32 || v.charCodeAt(a) === 9)) a++
  while (b > a && (v.charCodeAt(b - 1) === 32 || v.charCodeAt(b - 1) === 9)) b--
  return a === 0 && b === v.length ? v : v.slice(a, b)
}
