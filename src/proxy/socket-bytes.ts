import type { Duplex } from 'node:stream'

const COUNTED = Symbol('shoal.bytesCounted')

/**
 * Bytes moved on a client connection (both directions) since the last call for it: one
 * request's worth on a keep-alive connection, or the whole connection at its close. Reads the
 * socket's own counters, so no per-chunk listener is needed.
 */
export function socketBytesSinceLast(socket: Duplex): number {
  const s = socket as Duplex & { bytesRead?: number; bytesWritten?: number; [COUNTED]?: number }
  // Streams handed to accept() may not count bytes at all: count nothing rather than NaN.
  const total = (Number.isFinite(s.bytesRead) ? s.bytesRead! : 0) + (Number.isFinite(s.bytesWritten) ? s.bytesWritten! : 0)
  const delta = total - (s[COUNTED] ?? 0)
  s[COUNTED] = total
  return delta
}
