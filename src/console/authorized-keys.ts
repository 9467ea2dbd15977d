/**
 * Who may open the console over SSH: an OpenSSH-style authorized_keys file. Each line is
 * `[options] key-type base64-key [comment]`; blank lines and `#` comments are skipped.
 *
 * Read-only access: put the option `shoal-read-only` before the key, alone or among other
 * comma-separated options, e.g.
 *
 *     shoal-read-only ssh-ed25519 AAAAC3Nza… alice@laptop
 *
 * Such a key gets the console with every action (pin, unpin, move, promote, drill) refused.
 * Other OpenSSH options are accepted and ignored.
 */
import { readFile } from 'node:fs/promises'
import ssh2, { type ParsedKey } from 'ssh2'

const { utils } = ssh2

export const READ_ONLY_OPTION = 'shoal-read-only'

const KEY_TYPE = /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/

export interface AuthorizedKey {
  type: string
  /** The key blob as sent in the SSH protocol. */
  blob: Buffer
  key: ParsedKey
  readOnly: boolean
  comment: string
  line: number
}

export interface ParsedAuthorizedKeys {
  keys: AuthorizedKey[]
  /** Lines that could not be read, with why; they grant nothing. */
  problems: Array<{ line: number; reason: string }>
}

export function parseAuthorizedKeys(text: string): ParsedAuthorizedKeys {
  const keys: AuthorizedKey[] = []
  const problems: ParsedAuthorizedKeys['problems'] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim()
    if (!line || line.startsWith('#')) return
    const fields = splitFields(line)
    let options: string[] = []
    if (!KEY_TYPE.test(fields[0] ?? '')) {
      options = splitOptions(fields.shift() ?? '')
    }
    const [type, b64, ...comment] = fields
    if (!type || !KEY_TYPE.test(type) || !b64) {
      problems.push({ line: i + 1, reason: 'not a public key line' })
      return
    }
    const parsed = utils.parseKey(`${type} ${b64}`)
    const key = parsed instanceof Error ? parsed : Array.isArray(parsed) ? parsed[0] : parsed
    if (!key || key instanceof Error) {
      problems.push({ line: i + 1, reason: key instanceof Error ? key.message : 'unreadable key' })
      return
    }
    keys.push({ type, blob: key.getPublicSSH(), key, readOnly: options.some((o) => o.toLowerCase() === READ_ONLY_OPTION), comment: comment.join(' '), line: i + 1 })
  })
  return { keys, problems }
}

export async function readAuthorizedKeys(file: string): Promise<ParsedAuthorizedKeys> {
  return parseAuthorizedKeys(await readFile(file, 'utf8'))
}

/** Whitespace-separated fields, where the options field may hold quoted spaces (`command="a b"`). */
function splitFields(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (const ch of line) {
    if (ch === '"') quoted = !quoted
    if (!quoted && (ch === ' ' || ch === '\t')) {
      if (cur) out.push(cur)
      cur = ''
    } else {
      cur += ch
    }
  }
  if (cur) out.push(cur)
  return out
}

function splitOptions(field: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (const ch of field) {
    if (ch === '"') quoted = !quoted
    if (!quoted && ch === ',') {
      out.push(cur)
      cur = ''
    } else {
      cur += ch
    }
  }
  out.push(cur)
  return out.map((o) => o.trim()).filter(Boolean)
}
