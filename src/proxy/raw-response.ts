import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'

/**
 * Writes a complete HTTP/1.1 response straight onto a socket and closes it. Used where no
 * ServerResponse exists: parse errors, refused upgrades.
 */
export function endWithStatus(socket: Duplex, status: number, body: string, headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const bytes = Buffer.from(body)
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${bytes.length}\r\nconnection: close\r\n`
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`
  socket.end(Buffer.concat([Buffer.from(head + '\r\n'), bytes]))
  // A client that never reads must not keep the socket alive.
  setTimeout(() => socket.destroy(), 1_000).unref()
}
