// Puts the front's Keep-Alive hint into a response head on its way to the client, at the place
// ResponseFraming found for it, without copying more than a small response.
import type { ResponseFraming } from './response-framing.js'

/** Below this size a response whose head gets the front's Keep-Alive is copied into one write. */
const SPLICE_COPY_MAX = 16 * 1024

/** Where relayed response bytes go: the client socket (the connection implements it). */
export interface ClientWriter {
  /** Writes bytes to the client; they are the socket's from here on. */
  writeClient(bytes: Buffer): void
  /** Holds the client's writes until `uncorkClient`, so that pieces written between leave as one. */
  corkClient(): void
  uncorkClient(): void
}

/**
 * Writes chunk[0, end) to `client` with the splice `framing` found in it (spliceAt >= 0), and
 * clears that splice. The chunk must be the caller's to change until it is written: a hint no
 * longer than the value it replaces is written over that value in place.
 */
export function writeSpliced(chunk: Buffer, end: number, framing: ResponseFraming, client: ClientWriter): void {
  const at = framing.spliceAt
  const after = framing.spliceEnd
  const text = framing.spliceBytes
  framing.spliceAt = -1
  if (text.length <= after - at) {
    // A value rewritten no longer than it was (timeout=60 → timeout=5): in place, in memory
    // that is this connection's until it is written.
    for (let i = 0; i < text.length; i++) chunk[at + i] = text[i]
    if (text.length < after - at) chunk.copyWithin(at + text.length, after, end)
    return client.writeClient(chunk.subarray(0, end - (after - at - text.length)))
  }
  const size = at + text.length + (end - after)
  // A small response is cheaper copied once than written as three pieces.
  if (size <= SPLICE_COPY_MAX) {
    const out = Buffer.allocUnsafe(size)
    chunk.copy(out, 0, 0, at)
    text.copy(out, at)
    chunk.copy(out, at + text.length, after, end)
    return client.writeClient(out)
  }
  client.corkClient()
  client.writeClient(chunk.subarray(0, at))
  client.writeClient(text)
  client.writeClient(chunk.subarray(after, end))
  client.uncorkClient()
}
