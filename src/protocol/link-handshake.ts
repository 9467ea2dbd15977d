/**
 * How a front link starts (see mesh/front-links.ts): the dialling node sends an HTTP/1.1 upgrade
 * request to the other node's HTTP port, and that node answers 101 and switches the connection to
 * tagged, length-framed messages (link-frames.ts): the frames of one tunnel (mesh/tunnel.ts). A node that does
 * not know links answers like any front (404 for the unknown host): the dialler then keeps
 * opening one connection per client connection, as before links existed.
 */
export const LINK_UPGRADE = 'shoal-link/1'
/** The path of the upgrade request; any path is accepted, this one tells a log reader what it is. */
export const LINK_PATH = '/.shoal/link'
/** An answer head longer than this is not a link's. */
export const MAX_LINK_ANSWER_HEAD = 4096

export const LINK_REQUEST = Buffer.from(
  `GET ${LINK_PATH} HTTP/1.1\r\nhost: shoal-link\r\nconnection: upgrade\r\nupgrade: ${LINK_UPGRADE}\r\n\r\n`,
  'latin1'
)
export const LINK_ACCEPTED = Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: ${LINK_UPGRADE}\r\n\r\n`, 'latin1')

/**
 * Reads the answer to LINK_REQUEST from the bytes received so far: 'more' while the head is
 * incomplete, else whether the link was accepted and the bytes after the head (the first framed
 * bytes, possibly none). A refusal carries the status line, for the log.
 */
export function readLinkAnswer(buf: Buffer): 'more' | { accepted: true; rest: Buffer } | { accepted: false; reason: string } {
  const end = buf.indexOf('\r\n\r\n', 0, 'latin1')
  if (end < 0) return buf.length > MAX_LINK_ANSWER_HEAD ? { accepted: false, reason: 'answer head too long' } : 'more'
  const head = buf.toString('latin1', 0, end)
  const status = head.slice(0, head.indexOf('\r\n') >>> 0)
  const accepted = /^HTTP\/1\.1 101 /.test(status) && head.toLowerCase().split('\r\n').some((l) => l.startsWith('upgrade:') && l.slice(8).trim() === LINK_UPGRADE)
  return accepted ? { accepted: true, rest: buf.subarray(end + 4) } : { accepted: false, reason: status.slice(0, 200) || 'no status line' }
}
