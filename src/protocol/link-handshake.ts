/**
 * How a front link starts (see mesh/front-links.ts): the dialling node sends an HTTP/1.1 upgrade
 * request to the other node's HTTP port, naming the node it means to reach in the path; that
 * node answers 101 with its own id and switches the connection to tagged, length-framed messages
 * (link-frames.ts): the frames of one tunnel (mesh/tunnel.ts).
 *
 * The ids are there because an advertised address can lead somewhere else: a private address
 * that another server also has (a Docker bridge, a LAN behind another NAT), even the dialling
 * node itself. A node asked for another id answers 421; a dialler takes a link only from the node
 * it named. A node that does not know links answers like any front (404 for the unknown host).
 * Either way the dialler reaches that node through the mesh tunnel instead.
 */
export const LINK_UPGRADE = 'shoal-link/1'
/** The path of the upgrade request, followed by the id of the node it is meant for. */
export const LINK_PATH = '/.shoal/link/'
/** The answer's header naming the node that took the link. */
export const LINK_NODE_HEADER = 'shoal-node'
/** An answer head longer than this is not a link's. */
export const MAX_LINK_ANSWER_HEAD = 4096

/** The upgrade request for a link to node `node` (its id). */
export function linkRequest(node: string): Buffer {
  return Buffer.from(`GET ${LINK_PATH}${node} HTTP/1.1\r\nhost: shoal-link\r\nconnection: upgrade\r\nupgrade: ${LINK_UPGRADE}\r\n\r\n`, 'latin1')
}

/** The 101 answer of node `self`. */
export function linkAccepted(self: string): Buffer {
  return Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: ${LINK_UPGRADE}\r\n${LINK_NODE_HEADER}: ${self}\r\n\r\n`, 'latin1')
}

/** The node a link request's path names, or null when the path is not a link path. */
export function linkTarget(url: string): string | null {
  if (!url.startsWith(LINK_PATH)) return null
  const node = url.slice(LINK_PATH.length)
  return /^[0-9a-f]{64}$/.test(node) ? node : null
}

/** A plain HTTP answer refusing a link (the connection closes after it). */
export function linkRefusal(status: '400 Bad Request' | '421 Misdirected Request' | '503 Service Unavailable', text: string): Buffer {
  const body = Buffer.from(`shoal: ${text}\n`, 'latin1')
  return Buffer.concat([Buffer.from(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n`, 'latin1'), body])
}

/**
 * Reads the answer to `linkRequest(expected)` from the bytes received so far: 'more' while the
 * head is incomplete, else whether node `expected` took the link and the bytes after the head
 * (the first framed bytes, possibly none). A refusal carries the reason, for the log.
 */
export function readLinkAnswer(buf: Buffer, expected: string): 'more' | { accepted: true; rest: Buffer } | { accepted: false; reason: string } {
  const end = buf.indexOf('\r\n\r\n', 0, 'latin1')
  if (end < 0) return buf.length > MAX_LINK_ANSWER_HEAD ? { accepted: false, reason: 'answer head too long' } : 'more'
  const head = buf.toString('latin1', 0, end)
  const status = head.slice(0, head.indexOf('\r\n') >>> 0)
  const fields = new Map<string, string>()
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':')
    if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  if (!/^HTTP\/1\.1 101 /.test(status) || fields.get('upgrade') !== LINK_UPGRADE) return { accepted: false, reason: status.slice(0, 200) || 'no status line' }
  const node = fields.get(LINK_NODE_HEADER)
  if (node === undefined) return { accepted: false, reason: 'the answer does not say which node it is' }
  if (node !== expected) return { accepted: false, reason: `answered as node ${node.slice(0, 12)}, not ${expected.slice(0, 12)}` }
  return { accepted: true, rest: buf.subarray(end + 4) }
}
