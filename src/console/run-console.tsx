/**
 * Opens the console on a terminal: the local one (`shoal console`) or an SSH channel. Resolves
 * when the operator quits (q or Ctrl-C) or the streams close.
 */
import { render } from 'ink'
import { App } from './App.js'
import { colorWanted } from './paint.js'
import type { ConsoleSource } from './source.js'
import { TerminalOutput } from './terminal-output.js'

/** Redraws per second at most: enough to look live, cheap when a thousand apps change. */
export const MAX_FPS = 15

export interface RunConsoleOptions {
  readOnly: boolean
  stdin?: NodeJS.ReadStream
  stdout?: NodeJS.WriteStream
  /** Fixed terminal size, when stdout is not a terminal that knows its own. */
  columns?: number
  rows?: number
  /** Colour on or off; defaults to on unless NO_COLOR is set or TERM is dumb. */
  color?: boolean
  /** Poll period of status and apps, ms. */
  pollMs?: number
  /**
   * Whether this console may patch the process's global console (Ink's patchConsole). False
   * when several consoles share one process (SSH sessions inside a node), so no session touches
   * another's output or the node's logs.
   */
  ownsProcess?: boolean
  /** Closes the console from outside, e.g. when the SSH client goes away. */
  signal?: AbortSignal
  /** Lines the help overlay (?) shows first, e.g. the demo's commands to try. */
  notes?: readonly string[]
}

export async function runConsole(source: ConsoleSource, opts: RunConsoleOptions): Promise<void> {
  const given = opts.stdout ?? process.stdout
  const stdout: NodeJS.WriteStream = opts.columns || opts.rows
    ? (new TerminalOutput(given, opts.columns ?? (given.columns || 80), opts.rows ?? (given.rows || 24)) as unknown as NodeJS.WriteStream)
    : given
  const ownsProcess = opts.ownsProcess ?? true
  const color = opts.color ?? colorWanted(process.env)
  const enterAlt = '\u001b[?1049h\u001b[H'
  const leaveAlt = '\u001b[?1049l'
  if (stdout.isTTY) stdout.write(enterAlt)
  const instance = render(<App source={source} readOnly={opts.readOnly} color={color} pollMs={opts.pollMs} notes={opts.notes} />, {
    stdout,
    stdin: opts.stdin ?? process.stdin,
    exitOnCtrlC: true,
    patchConsole: ownsProcess,
    // Not incrementalRendering: with a full-height screen in the alternate buffer it left stale
    // lines at the bottom (Ink 6.8). Synchronized output still keeps redraws from flickering.
    maxFps: MAX_FPS
  })
  const stop = () => instance.unmount()
  opts.signal?.addEventListener('abort', stop, { once: true })
  if (opts.signal?.aborted) stop()
  try {
    await instance.waitUntilExit()
  } finally {
    opts.signal?.removeEventListener('abort', stop)
    instance.cleanup()
    if (stdout.isTTY && stdout.writable) stdout.write(leaveAlt)
  }
}
