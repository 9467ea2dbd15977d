/**
 * An ed25519 key pair written in OpenSSH's own private key format ("openssh-key-v1", not
 * encrypted). ssh2 reads host keys in this format but not node:crypto's PKCS#8 export of
 * ed25519, so the host key is generated with node:crypto and encoded here.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'

const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1')
const KEY_TYPE = 'ssh-ed25519'

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  const len = Buffer.alloc(4)
  len.writeUInt32BE(body.length)
  return Buffer.concat([len, body])
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n >>> 0)
  return b
}

/** The 32-byte seed and 32-byte public key of a fresh ed25519 key pair. */
export function generateEd25519(): { seed: Buffer; publicKey: Buffer } {
  const { privateKey } = generateKeyPairSync('ed25519')
  const jwk = privateKey.export({ format: 'jwk' })
  return { seed: Buffer.from(jwk.d!, 'base64url'), publicKey: Buffer.from(jwk.x!, 'base64url') }
}

/** The public key as an authorized_keys / known_hosts line. */
export function ed25519PublicLine(publicKey: Buffer, comment: string): string {
  const blob = Buffer.concat([sshString(KEY_TYPE), sshString(publicKey)])
  return `${KEY_TYPE} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`
}

export function encodeOpenSshEd25519(seed: Buffer, publicKey: Buffer, comment: string): string {
  const publicBlob = Buffer.concat([sshString(KEY_TYPE), sshString(publicKey)])
  const check = randomBytes(4).readUInt32BE()
  let secret = Buffer.concat([
    uint32(check),
    uint32(check),
    sshString(KEY_TYPE),
    sshString(publicKey),
    sshString(Buffer.concat([seed, publicKey])),
    sshString(comment)
  ])
  // Padded with 1, 2, 3… to the cipher block size, 8 for "none".
  const pad = (8 - (secret.length % 8)) % 8
  secret = Buffer.concat([secret, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))])
  const body = Buffer.concat([MAGIC, sshString('none'), sshString('none'), sshString(''), uint32(1), sshString(publicBlob), sshString(secret)])
  const b64 = body.toString('base64').replace(/.{1,70}/g, '$&\n')
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}-----END OPENSSH PRIVATE KEY-----\n`
}
