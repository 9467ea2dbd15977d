import { ShoalError, toShoalError } from '../core/errors.js'
import { MAX_CHUNK_BYTES, PUSH_AHEAD_BYTES } from '../protocol/volume-messages.js'
import { chunkHash } from './chunk-hash.js'
import type { ReceiverOptions } from './replication-receiver.js'

/**
 * A chunk nobody asked for: pushed ahead of an offer (see the ack's `push`), or left over from
 * an aborted transfer. Kept once its hash checks out, up to PUSH_AHEAD_BYTES between offers
 * (the offer then finds it stored and does not ask for it); one this node holds, one over that
 * budget or a patch on a chunk it does not hold is dropped (the offer asks for it if needed).
 * A bad one is reported, and leaves any transfer alone.
 *
 * `pushed`: bytes of pushed chunks kept since the last offer. Returns the bytes this one adds
 * to them (0 when it is dropped).
 */
export function keepPushed(opts: ReceiverOptions, pushed: number, hash: string, bytes: () => Uint8Array | null): number {
  const { chunks } = opts
  if (opts.pushAhead === false || chunks.has(hash) || pushed >= PUSH_AHEAD_BYTES) return 0
  let data: Uint8Array | null
  try {
    data = bytes()
  } catch {
    return 0
  }
  if (data === null) return 0
  if (data.byteLength > MAX_CHUNK_BYTES || chunkHash(data) !== hash) {
    opts.onError?.(new ShoalError('BAD_CHUNK', `pushed chunk ${hash.slice(0, 12)}… does not match its hash`), null)
    return 0
  }
  chunks.put(hash, data).catch((err: unknown) => opts.onError?.(toShoalError(err), null))
  return data.byteLength
}
