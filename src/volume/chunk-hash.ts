import { createHash } from 'node:crypto'

/** The digest chunkHash uses (named once, for the hasher's worker too). */
export const CHUNK_HASH = 'sha256'

/**
 * SHA-256 of a chunk, lowercase hex. Chosen by measurement: OpenSSL's SHA-256 uses the CPU's SHA
 * extensions and ran at ~1.1 GB/s per core here, against ~0.5 GB/s for BLAKE2b (sodium).
 */
export function chunkHash(data: Uint8Array): string {
  return createHash(CHUNK_HASH).update(data).digest('hex')
}
