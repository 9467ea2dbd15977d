import net from 'node:net'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ShoalError } from '../core/errors.js'
import { isWildcard } from '../node/advertised-addresses.js'
import { resolveHome } from '../node/home.js'
import { asksForHelp, HelpRequested } from './help.js'

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * util.parseArgs with errors turned into plain sentences (exit status 2). `--help` or `-h`
 * throws HelpRequested first, so asking for help never starts anything.
 */
export function parse<O extends Options>(argv: string[], options: O, positionals = 0) {
  if (asksForHelp(argv)) throw new HelpRequested(options)
  try {
    const r = parseArgs({ args: argv, options, strict: true, allowPositionals: positionals > 0 })
    if (r.positionals.length > positionals) throw new ShoalError('BAD_ARGUMENT', `unexpected argument "${r.positionals[positionals]}"`)
    return r
  } catch (err) {
    if (err instanceof ShoalError) throw err
    throw new ShoalError('BAD_ARGUMENT', sentence(err as Error & { code?: string }, options))
  }
}

/** parseArgs' messages (several lines, its own wording) as one sentence in Shoal's words. */
function sentence(e: Error & { code?: string }, options: Options): string {
  const quoted = /'([^']+)'/.exec(e.message)?.[1] ?? ''
  // "-f, --follow <value>" or "-f": name the flag by its long name, as the help lists it.
  const given = quoted.split(/[ ,]+/).find((w) => w.startsWith('--')) ?? quoted.split(/[ ,]+/)[0]!
  const flag = given.startsWith('--') ? given : longName(given, options)
  switch (e.code) {
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/.test(e.message)) return `${flag} needs a value`
      if (/argument is ambiguous/.test(e.message)) return `${flag} needs a value (write ${flag}=VALUE for a value that starts with a dash)`
      if (/does not take an argument/.test(e.message)) return `${flag} takes no value`
      break
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${quoted}'`
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"`
  }
  return e.message.split('\n')[0]!
}

function longName(short: string, options: Options): string {
  const hit = Object.entries(options).find(([, o]) => o.short !== undefined && `-${o.short}` === short)
  return hit === undefined ? short : `--${hit[0]}`
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
    if (a === '') throw new ShoalError('BAD_ARGUMENT', `${what} has an empty address in "${s}" (addresses are separated by single commas)`)
    // Digits and dots only: an IPv4 address, and it must be a real one (not 999.1.1.1).
    if (/^[\d.]+$/.test(a) && net.isIPv4(a) === false) throw new ShoalError('BAD_ARGUMENT', `${what}: "${a}" is not an IPv4 address`)
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

/** A count of things (lines, events): a whole number, 0 or more. */
export function parseCount(s: string | undefined, what: string, fallback: number): number {
  if (s === undefined) return fallback
  if (!/^\d{1,7}$/.test(s)) throw new ShoalError('BAD_ARGUMENT', `${what} takes a whole number (0 or more), got "${s}"`)
  return Number(s)
}

export function parsePositiveNumber(s: string | undefined, what: string, fallback: number): number {
  if (s === undefined) return fallback
  const n = Number(s)
  if (!Number.isFinite(n) || n <= 0) throw new ShoalError('BAD_ARGUMENT', `${what} takes a positive number, got "${s}"`)
  return n
}
