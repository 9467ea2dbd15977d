import sodium from 'sodium-universal'
import b4a from 'b4a'
import { ShoalError } from '../core/errors.js'

const TOPIC_PREFIX = b4a.from('shoal/topic/v1')
const PROOF_PREFIX = b4a.from('shoal/admission/v1')

/** Parses a cluster key: exactly 64 hex characters. */
export function parseClusterKey(hex: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new ShoalError('BAD_CLUSTER_KEY', 'a cluster key is 64 hex characters (make one with: shoal init)')
  }
  return b4a.from(hex.toLowerCase(), 'hex')
}

export function newClusterKey(): Buffer {
  const key = b4a.alloc(32)
  sodium.randombytes_buf(key)
  return key
}

/** The hyperswarm topic: a keyed hash, so it reveals nothing of the key. */
export function clusterTopic(clusterKey: Uint8Array): Buffer {
  const out = b4a.alloc(32)
  sodium.crypto_generichash(out, TOPIC_PREFIX, clusterKey)
  return out
}

/**
 * Proof that the sender knows the cluster key, bound to one connection: a keyed hash of that
 * connection's Noise handshake hash and the sender's public key. It cannot be replayed on another
 * connection (another handshake hash) nor reflected back (another public key), and the key itself
 * never crosses the wire.
 */
export function admissionProof(clusterKey: Uint8Array, handshakeHash: Uint8Array, senderPublicKey: Uint8Array): Buffer {
  const out = b4a.alloc(32)
  sodium.crypto_generichash_batch(out, [PROOF_PREFIX, handshakeHash, senderPublicKey], clusterKey)
  return out
}

export function verifyProof(clusterKey: Uint8Array, handshakeHash: Uint8Array, senderPublicKey: Uint8Array, proof: Uint8Array): boolean {
  if (proof.byteLength !== 32) return false
  return sodium.sodium_memcmp(admissionProof(clusterKey, handshakeHash, senderPublicKey), proof)
}
