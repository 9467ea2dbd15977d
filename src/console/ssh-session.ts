/**
 * One SSH session showing the console: the channel's bytes become the console's keyboard, its
 * output goes back with the client's terminal size, and window changes reflow it. The session
 * ends when the operator quits or the client goes away; nothing here touches other sessions.
 */
import type { PseudoTtyInfo, ServerChannel, Session } from 'ssh2'
import type { ConsoleSource } from './source.js'
import { runConsole } from './run-console.js'
import { TerminalInput } from './terminal-input.js'
import { TerminalOutput } from './terminal-output.js'

export interface SshSessionOptions {
  source: () => ConsoleSource
  releaseSource?: (source: ConsoleSource) => void
  readOnly: boolean
  pollMs?: number
  onError: (err: unknown) => void
  /** The console opened on this session, and later ended (each called at most once). */
  onOpen?: () => void
  onClosed?: () => void
}

const DEFAULT_SIZE = { cols: 80, rows: 24 }

/** Returns a function that ends the session's console (when its connection is gone). */
export function serveConsoleSession(session: Session, opts: SshSessionOptions): () => void {
  const gone = new AbortController()
  session.on('close', () => gone.abort())
  let pty: Pick<PseudoTtyInfo, 'cols' | 'rows' | 'term'> | null = null
  let output: TerminalOutput | null = null
  let envNoColor = false

  session.on('pty', (accept, _reject, info) => {
    pty = info
    accept?.()
  })
  session.on('window-change', (accept, _reject, info) => {
    if (pty) pty = { ...pty, cols: info.cols, rows: info.rows }
    output?.resize(info.cols || DEFAULT_SIZE.cols, info.rows || DEFAULT_SIZE.rows)
    accept?.()
  })
  session.on('env', (accept, _reject, info) => {
    if (info.key === 'NO_COLOR') envNoColor = true
    accept?.()
  })
  session.on('exec', (_accept, reject) => {
    reject?.()
  })
  session.on('shell', (accept) => {
    const channel = accept()
    output = new TerminalOutput(channel, pty?.cols || DEFAULT_SIZE.cols, pty?.rows || DEFAULT_SIZE.rows, { crlf: true })
    run(channel, output).catch(opts.onError)
  })

  async function run(channel: ServerChannel, out: TerminalOutput): Promise<void> {
    const input = new TerminalInput()
    channel.pipe(input)
    channel.on('close', () => gone.abort())
    channel.on('error', () => gone.abort())
    const source = opts.source()
    opts.onOpen?.()
    const color = !envNoColor && (pty?.term ?? 'dumb') !== 'dumb'
    try {
      await runConsole(source, {
        readOnly: opts.readOnly,
        stdin: input as unknown as NodeJS.ReadStream,
        stdout: out as unknown as NodeJS.WriteStream,
        color,
        pollMs: opts.pollMs,
        ownsProcess: false,
        signal: gone.signal
      })
    } finally {
      opts.onClosed?.()
      opts.releaseSource?.(source)
      channel.unpipe(input)
      input.end()
      if (!gone.signal.aborted) {
        channel.exit(0)
        channel.end()
      }
    }
  }

  return () => gone.abort()
}
