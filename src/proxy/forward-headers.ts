import { DROPPED_HEADERS, headText, type RequestHead } from './request-head.js'

/** Header counting how many Shoal fronts a request went through. */
export const HOPS_HEADER = 'x-shoal-hops'

export interface ForwardOptions {
  /** Hop count the request arrived with (see RequestHead.hops). */
  hops: number
  /** Value of X-Forwarded-Proto set by this front. */
  proto: string
  /** The client's address, appended to X-Forwarded-For. */
  client: string
}

/**
 * The head to send upstream, as latin1 text ending with the blank line. The request line and
 * every header line are kept byte for byte (case, order and repeats), except hop-by-hop ones
 * (with any listed in Connection). X-Forwarded-For is extended with the client,
 * X-Forwarded-Host/-Proto are set by the first Shoal front (later fronts keep them), the hop
 * counter is raised, chunked framing is kept when the client streamed its body, Upgrade is kept
 * for WebSocket hand-offs, and an HTTP/1.0 request asks for a persistent upstream connection.
 */
export function forwardHead(head: RequestHead, opts: ForwardOptions): string {
  return forwardHeadBytes(head, opts).toString('latin1')
}

/** The added lines last encoded, kept by a connection: a client's next request usually adds
 * the very same ones. */
export interface AddedLinesCache {
  text: string
  bytes: Buffer
}

/** `forwardHead` as the bytes to write, built from the client's own bytes. */
export function forwardHeadBytes(head: RequestHead, opts: ForwardOptions, cache?: AddedLinesCache): Buffer {
  const fromShoal = opts.hops > 0
  const suffix = addedLines(head, opts, fromShoal)
  if (head.connectionListed !== null) return Buffer.from(keptLines(head, fromShoal) + suffix, 'latin1')
  let added: Buffer
  if (cache !== undefined && cache.text === suffix) {
    added = cache.bytes
  } else {
    added = Buffer.from(suffix, 'latin1')
    if (cache !== undefined) {
      cache.text = suffix
      cache.bytes = added
    }
  }
  const src = head.bytes
  const dropped = head.droppedLines
  let kept = src.length
  for (let i = 0; i < dropped.length; i += 3) if (!(fromShoal && dropped[i + 2] === 1)) kept -= dropped[i + 1] - dropped[i]
  const out = Buffer.allocUnsafe(kept + added.length)
  if (dropped.length === 0) {
    out.set(src, 0)
    out.set(added, src.length)
    return out
  }
  let at = 0
  let from = 0
  for (let i = 0; i < dropped.length; i += 3) {
    if (fromShoal && dropped[i + 2] === 1) continue
    at += src.copy(out, at, from, dropped[i])
    from = dropped[i + 1]
  }
  at += src.copy(out, at, from, src.length)
  out.set(added, at)
  return out
}

/** The header lines this front adds, and the blank line. */
function addedLines(head: RequestHead, opts: ForwardOptions, fromShoal: boolean): string {
  let out = `x-forwarded-for: ${head.forwardedFor === '' ? opts.client : `${head.forwardedFor}, ${opts.client}`}\r\n`
  if (!fromShoal || head.forwardedHost === '') out += `x-forwarded-host: ${head.host}\r\n`
  if (!fromShoal || head.forwardedProto === '') out += `x-forwarded-proto: ${opts.proto}\r\n`
  out += `${HOPS_HEADER}: ${opts.hops + 1}\r\n`
  if (head.chunked) out += 'transfer-encoding: chunked\r\n'
  if (head.upgrade !== '') out += `connection: Upgrade\r\nupgrade: ${head.upgrade}\r\n`
  else if (head.minor === 0) out += 'connection: keep-alive\r\n'
  return out + '\r\n'
}

/** The head's lines without hop-by-hop ones and those listed in Connection (the rare case). */
function keptLines(head: RequestHead, fromShoal: boolean): string {
  const text = headText(head)
  let pos = text.indexOf('\r\n') + 2
  let out = text.slice(0, pos)
  while (pos < text.length) {
    const next = text.indexOf('\r\n', pos) + 2
    const name = text.slice(pos, text.indexOf(':', pos)).toLowerCase()
    const relayed = fromShoal && (name === 'x-forwarded-host' || name === 'x-forwarded-proto')
    if (relayed || !(DROPPED_HEADERS.has(name) || head.connectionListed?.has(name))) out += text.slice(pos, next)
    pos = next
  }
  return out
}
