import { createHash } from 'node:crypto'

/**
 * SHA-256 of a chunk, lowercase hex. Chosen by measurement: OpenSSL's SHA-256 uses the CPU's SHA
 * extensions and ran at ~1.1 GB/s per core here, against ~0.5 GB/s for BLAKE2b (sodium).
 */
export function chunkHash(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}
