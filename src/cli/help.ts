import type { ParseArgsConfig } from 'node:util'
import { COMMON_FLAGS, USAGE, type CommandUsage, type FlagText } from './usage.js'

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * Thrown by parse() when the arguments ask for help, before anything else is checked or done:
 * main() prints the command's usage with the flags it parses and exits 0.
 */
export class HelpRequested extends Error {
  constructor(readonly options: Options) {
    super('help requested')
    this.name = 'HelpRequested'
  }
}

/** `--help` or `-h` anywhere before a `--` (after it, everything is a positional). */
export function asksForHelp(argv: string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h')
}

/** `app add` for `shoal app add …`; `up` for `shoal up …`. */
export function commandPath(name: string, rest: string[]): string {
  const sub = rest[0]
  return sub !== undefined && USAGE[name]?.subcommands?.includes(`${name} ${sub}`) ? `${name} ${sub}` : name
}

/** `shoal app --help`: a command made of subcommands, asked before naming one. */
export function isGroupHelp(name: string, rest: string[]): boolean {
  return USAGE[name]?.subcommands !== undefined && (rest[0] === '--help' || rest[0] === '-h')
}

/** The usage of a command made of subcommands: each one's synopsis and what it does. */
export function groupHelp(name: string, summary: string): string {
  const subs = (USAGE[name]?.subcommands ?? []).map((path) => USAGE[path]!)
  return [
    `usage: shoal ${USAGE[name]!.synopsis}`,
    '',
    summary,
    '',
    ...subs.map((u) => `  shoal ${u.synopsis}\n      ${u.what ?? ''}`),
    '',
    `shoal ${name} SUBCOMMAND --help lists a subcommand's options.`
  ].join('\n')
}

/** The usage of one command: synopsis, what it does, then one line per flag it parses. */
export function commandHelp(path: string, summary: string, options: Options): string {
  const usage: CommandUsage = USAGE[path] ?? { synopsis: path }
  const rows = Object.entries(options).map(([long, o]) => {
    const t = flagText(usage, long)
    const names = `${o.short === undefined ? '    ' : `-${o.short}, `}--${long}`
    const value = o.type === 'string' ? ` ${t?.value ?? 'VALUE'}` : ''
    return [`${names}${value}`, `${t?.text ?? ''}${o.multiple ? ' (repeatable)' : ''}`] as const
  })
  rows.push(['-h, --help', 'print this help'])
  const width = Math.max(...rows.map(([left]) => left.length))
  return [
    `usage: shoal ${usage.synopsis}`,
    '',
    usage.what ?? summary,
    '',
    'options:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`.trimEnd())
  ].join('\n')
}

function flagText(usage: CommandUsage, long: string): FlagText | undefined {
  return usage.flags?.[long] ?? COMMON_FLAGS[long]
}
