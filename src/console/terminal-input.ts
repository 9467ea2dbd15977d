/**
 * A keyboard as Ink expects one (isTTY, setRawMode, ref/unref) in front of any readable stream,
 * such as an SSH channel: bytes are passed through untouched, raw mode is the remote pty's job.
 */
import { PassThrough } from 'node:stream'

export class TerminalInput extends PassThrough {
  readonly isTTY = true
  isRaw = false

  setRawMode(mode: boolean): this {
    this.isRaw = mode
    return this
  }

  ref(): this {
    return this
  }

  unref(): this {
    return this
  }
}
