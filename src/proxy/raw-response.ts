import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'

/**
 * A complete HTTP/1.1 response with a plain-text body, as bytes: what the fronts answer by
 * themselves (refusals, 404, 502, 503). `close` adds Connection: close.
 */
export function statusResponse(status: number, body: string, headers: Record<string, string> | null, close: boolean): Buffer {
  const bytes = Buffer.from(body)
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${bytes.length}\r\n`
  if (close) head += 'connection: close\r\n'
  if (headers !== null) for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`
  return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), bytes])
}

/** A client that never reads gets this long before its socket is cut. */
export const LINGER_MS = 1_000

/** Writes a complete response straight onto a socket and closes it. */
export function endWithStatus(socket: Duplex, status: number, body: string, headers: Record<string, string> | null = null): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  socket.end(statusResponse(status, body, headers, true))
  setTimeout(() => socket.destroy(), LINGER_MS).unref()
}
