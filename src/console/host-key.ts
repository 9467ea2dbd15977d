/**
 * The SSH server's host key: generated on first start, then read from the same folder on every
 * start, so clients see the same host key across restarts.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import ssh2 from 'ssh2'

// ssh2 is CommonJS: its named exports are not visible to Node's ESM loader.
const { utils } = ssh2
import { ed25519PublicLine, encodeOpenSshEd25519, generateEd25519 } from './openssh-key.js'

export const HOST_KEY_FILE = 'ssh_host_ed25519_key'

export interface HostKey {
  /** The private key in OpenSSH format, as ssh2's Server takes it. */
  privateKey: string
  /** `ssh-ed25519 AAAA…` for a known_hosts line. */
  publicLine: string
}

export async function loadOrCreateHostKey(dir: string): Promise<HostKey> {
  const file = join(dir, HOST_KEY_FILE)
  let privateKey: string
  try {
    privateKey = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const { seed, publicKey } = generateEd25519()
    privateKey = encodeOpenSshEd25519(seed, publicKey, 'shoal console host key')
    // Written aside and renamed, so a crash never leaves half a key behind.
    const tmp = `${file}.${process.pid}.tmp`
    await writeFile(tmp, privateKey, { mode: 0o600 })
    await rename(tmp, file)
    await writeFile(`${file}.pub`, ed25519PublicLine(publicKey, 'shoal console host key') + '\n', { mode: 0o644 })
  }
  const parsed = utils.parseKey(privateKey)
  if (parsed instanceof Error) throw new Error(`the SSH host key in ${file} cannot be read: ${parsed.message}`)
  const key = Array.isArray(parsed) ? parsed[0]! : parsed
  return { privateKey, publicLine: `${key.type} ${key.getPublicSSH().toString('base64')}` }
}
