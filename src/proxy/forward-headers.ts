import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'

/** Header counting how many Shoal fronts a request went through. */
export const HOPS_HEADER = 'x-shoal-hops'

/** Hop-by-hop headers (RFC 9110 §7.6.1): never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings'
])

/** Hop count a request arrived with; NaN when the header is malformed. */
export function hopsOf(req: IncomingMessage): number {
  const raw = req.headers[HOPS_HEADER]
  if (raw === undefined) return 0
  if (Array.isArray(raw) || !/^\d{1,3}$/.test(raw)) return NaN
  return Number(raw)
}

/**
 * Why a request must be refused before it reaches any app, or null. Node's parser already
 * refuses Content-Length with Transfer-Encoding, duplicate Content-Length, bad chunk framing and
 * codings other than a final `chunked`; this adds what it lets through: codings stacked under
 * `chunked` (we could not re-frame them faithfully) and Transfer-Encoding on HTTP/1.0.
 */
export function smugglingReason(req: IncomingMessage): string | null {
  const te = req.headers['transfer-encoding']
  if (te === undefined) return null
  if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) return 'Transfer-Encoding is not allowed in HTTP/1.0'
  if (te.trim().toLowerCase() !== 'chunked') return `unsupported Transfer-Encoding "${te}"`
  if (req.headers['content-length'] !== undefined) return 'both Content-Length and Transfer-Encoding'
  return null
}

/**
 * Headers for the upstream request, as a flat raw list (original case and repeats kept; Node
 * writes such a list without re-validating each header). Hop-by-hop ones are removed (with any
 * listed in Connection), X-Forwarded-For is extended with the client, X-Forwarded-Host/-Proto
 * are set by the first Shoal front (later fronts keep them), the hop counter is raised, and
 * chunked framing is kept when the client streamed its body. `upgrade` keeps Connection/Upgrade
 * for WebSocket hand-offs.
 */
export function forwardHeaders(req: IncomingMessage, opts: { hops: number; proto: string; upgrade?: boolean }): string[] {
  const raw = req.rawHeaders
  const src: IncomingHttpHeaders = req.headers
  // Names listed in Connection are hop-by-hop too; usually it is just keep-alive.
  let listed: Set<string> | null = null
  const conn = src.connection
  if (conn && conn !== 'keep-alive' && conn !== 'close') {
    listed = new Set()
    for (const name of conn.split(',')) listed.add(name.trim().toLowerCase())
  }
  const fromShoal = opts.hops > 0
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase()
    if (HOP_BY_HOP.has(name) || listed?.has(name) || name === HOPS_HEADER || name === 'x-forwarded-for') continue
    if ((name === 'x-forwarded-host' || name === 'x-forwarded-proto') && !fromShoal) continue
    out.push(raw[i], raw[i + 1])
  }
  const client = req.socket.remoteAddress ?? ''
  const prior = src['x-forwarded-for']
  out.push('x-forwarded-for', prior ? `${prior}, ${client}` : client)
  if (!fromShoal || !src['x-forwarded-host']) out.push('x-forwarded-host', src.host ?? '')
  if (!fromShoal || !src['x-forwarded-proto']) out.push('x-forwarded-proto', opts.proto)
  out.push(HOPS_HEADER, String(opts.hops + 1))
  if (src['transfer-encoding'] !== undefined) out.push('transfer-encoding', 'chunked')
  if (opts.upgrade) {
    out.push('connection', 'Upgrade')
    if (src.upgrade) out.push('upgrade', src.upgrade)
  }
  return out
}

/** Response headers to relay, from the raw list (keeps case and repeated Set-Cookie). */
export function responseHeaders(raw: string[]): string[] {
  let connectionListed: Set<string> | null = null
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() === 'connection') {
      connectionListed ??= new Set()
      for (const n of raw[i + 1].split(',')) connectionListed.add(n.trim().toLowerCase())
    }
  }
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase()
    if (HOP_BY_HOP.has(name) || connectionListed?.has(name)) continue
    out.push(raw[i], raw[i + 1])
  }
  return out
}
