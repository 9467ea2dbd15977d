import net from 'node:net'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ShoalError } from '../core/errors.js'
import { isWildcard } from '../node/advertised-addresses.js'
import { resolveHome } from '../node/home.js'

type Options = NonNullable<ParseArgsConfig['options']>

/** util.parseArgs with errors turned into plain sentences (exit status 2). */
export function parse<O extends Options>(argv: string[], options: O, positionals = 0) {
  try {
    const r = parseArgs({ args: argv, options, strict: true, allowPositionals: positionals > 0 })
    if (r.positionals.length > positionals) throw new Error(`unexpected argument ${r.positionals[positionals]}`)
    return r
  } catch (err) {
    if (err instanceof ShoalError) throw err
    const e = err as Error & { code?: string }
    const ambiguous = /^Option '(--[\w-]+)[^']*' argument is ambiguous/.exec(e.message)
    const msg = ambiguous
      ? `${ambiguous[1]} needs a value (write ${ambiguous[1]}=VALUE for a value that starts with a dash)`
      : e.message.replace(/\. To specify a positional.*$/s, '').replace(/^Unknown option/, 'unknown option').split('\n')[0]!
    throw new ShoalError('BAD_ARGUMENT', msg)
  }
}

export const homeOption = { home: { type: 'string' } } as const
export const jsonOption = { json: { type: 'boolean', default: false } } as const

export function home(values: { home?: string | undefined }): string {
  return resolveHome(values.home)
}

/** "host:port[,host:port]" → addresses; a plain sentence for anything else. */
export function parseHostPorts(s: string, what = '--bootstrap'): Array<{ host: string; port: number }> {
  return s.split(',').map((part) => {
    const m = /^(.+):(\d{1,5})$/.exec(part.trim())
    const port = m === null ? NaN : Number(m[2])
    if (m === null || port < 1 || port > 65535) throw new ShoalError('BAD_ARGUMENT', `${what} takes host:port[,host:port], got "${part}"`)
    return { host: m[1]!, port }
  })
}

/** Most addresses a node advertises (the record carries up to 16; the rest is for the DHT's). */
export const MAX_ADVERTISED = 8

/** --advertise: addresses (IP literals or host names) other nodes reach this one at, in order. */
export function parseAddresses(s: string, what = '--advertise'): string[] {
  const list = s.split(',').map((a) => a.trim())
  for (const a of list) {
    const name = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(a)
    if (!(net.isIP(a) !== 0 || name) || isWildcard(a)) throw new ShoalError('BAD_ARGUMENT', `${what} takes addresses other nodes can reach (IP or host name, comma-separated), got "${a}"`)
  }
  if (list.length > MAX_ADVERTISED) throw new ShoalError('BAD_ARGUMENT', `${what} takes at most ${MAX_ADVERTISED} addresses, got ${list.length}`)
  return list
}

export function parsePort(s: string | undefined, what: string, fallback: number): number {
  if (s === undefined) return fallback
  const n = Number(s)
  if (!/^\d+$/.test(s) || n > 65535) throw new ShoalError('BAD_ARGUMENT', `${what} takes a port number (0-65535), got "${s}"`)
  return n
}

export function parsePositiveNumber(s: string | undefined, what: string, fallback: number): number {
  if (s === undefined) return fallback
  const n = Number(s)
  if (!Number.isFinite(n) || n <= 0) throw new ShoalError('BAD_ARGUMENT', `${what} takes a positive number, got "${s}"`)
  return n
}
