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
 * Headers for the upstream request: hop-by-hop ones removed (with any listed in Connection),
 * X-Forwarded-For extended with the client, X-Forwarded-Host/-Proto set by the first Shoal front
 * (later fronts keep them), the hop counter raised, and chunked framing kept when the client
 * streamed its body. `upgrade` keeps Connection/Upgrade for WebSocket hand-offs.
 */
export function forwardHeaders(
  req: IncomingMessage,
  opts: { hops: number; proto: string; upgrade?: boolean }
): Record<string, string | string[]> {
  const src: IncomingHttpHeaders = req.headers
  const drop = new Set(HOP_BY_HOP)
  const conn = src.connection
  if (conn) for (const name of conn.split(',')) drop.add(name.trim().toLowerCase())
  const out: Record<string, string | string[]> = {}
  for (const name in src) {
    if (drop.has(name)) continue
    const v = src[name]
    if (v !== undefined) out[name] = v
  }
  const client = req.socket.remoteAddress ?? ''
  const prior = src['x-forwarded-for']
  out['x-forwarded-for'] = prior ? `${prior}, ${client}` : client
  const fromShoal = opts.hops > 0
  if (!fromShoal || !src['x-forwarded-host']) out['x-forwarded-host'] = src.host ?? ''
  if (!fromShoal || !src['x-forwarded-proto']) out['x-forwarded-proto'] = opts.proto
  out[HOPS_HEADER] = String(opts.hops + 1)
  if (src['transfer-encoding'] !== undefined) out['transfer-encoding'] = 'chunked'
  if (opts.upgrade) {
    out.connection = 'Upgrade'
    if (src.upgrade) out.upgrade = src.upgrade
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
