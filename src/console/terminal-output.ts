/**
 * A terminal as Ink expects it (isTTY, columns, rows, 'resize' events) in front of any writable
 * stream: an SSH channel, or a stream given an explicit size. Writes pass straight through.
 */
import { Writable } from 'node:stream'

export class TerminalOutput extends Writable {
  readonly isTTY = true
  columns: number
  rows: number
  private readonly target: NodeJS.WritableStream
  private readonly crlf: boolean

  /**
   * `crlf`: turn each "\n" into "\r\n". A local terminal's line discipline does that; an SSH
   * channel has no pty on this side, so the console must.
   */
  constructor(target: NodeJS.WritableStream, columns: number, rows: number, opts: { crlf?: boolean } = {}) {
    super({ decodeStrings: false })
    this.target = target
    this.columns = columns
    this.rows = rows
    this.crlf = opts.crlf ?? false
  }

  /** Takes a new size and tells Ink, which reflows on 'resize'. */
  resize(columns: number, rows: number): void {
    if (columns === this.columns && rows === this.rows) return
    this.columns = columns
    this.rows = rows
    this.emit('resize')
  }

  override _write(chunk: unknown, encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    try {
      if (this.crlf) this.target.write(String(chunk).replace(/\r?\n/g, '\r\n'))
      else if (typeof chunk === 'string') this.target.write(chunk, encoding)
      else this.target.write(chunk as Uint8Array)
      callback()
    } catch (err) {
      callback(err as Error)
    }
  }
}
